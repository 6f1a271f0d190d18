"""Report benchmark: duplicate lookup and a dispatcher's first page over 200,000 reports.

    .venv/bin/python benchmarks/reports.py                  # SQLite, a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/x .venv/bin/python benchmarks/reports.py

It never touches the developer's database: with a PostgreSQL DATABASE_URL it creates,
migrates and finally drops its own database `gridlink_bench_reports` on that server;
otherwise it migrates a temporary SQLite file.

The data: DEMO.md's world plus 200,000 reports spread over a 20 km × 20 km city and the
last 365 days, five categories, 60 % closed. Timed, interleaved, in the same run:

- `possible_duplicates` for 300 random new points, against a baseline that loads the
  same category's open reports of the last 30 days and measures every distance in Python
  (no bounding box in SQL);
- the first page of `GET /api/v1/reports/` for dispatcher-city (all 200,000 visible),
  through the test client with a real JWT: authentication, roles, page, photos,
  serialization; against a baseline page serialized without `select_related` and
  `prefetch_related` (one query per row and relation), and against `GET /api/v1/ping`;
- that page's JSON written by our orjson renderer against DRF's `JSONRenderer`;
- on PostgreSQL, the first page with prepared statements (server-side binding) against
  client-side binding, in alternating blocks on fresh connections.

docs/performance.md records the figures.
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

from _db import demo_database, signed_in_client  # noqa: E402  (benchmarks/ is on sys.path)
from _measure import describe_run, timed  # noqa: E402

BENCH_DB_NAME = "gridlink_bench_reports"
LAT0, LNG0 = 21.40, 109.05  # south-west corner of the generated city (GCJ-02)
SPAN_LAT, SPAN_LNG = 0.18, 0.193  # about 20 km × 20 km at this latitude


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=300, help="duplicate lookups timed")
    parser.add_argument("--pages", type=int, default=40, help="first pages timed")
    parser.add_argument("--seed", type=int, default=20261126)
    return parser.parse_args()


def build_reports(count: int, rng: random.Random, *, history: bool = True) -> None:
    """`count` reports, bulk-inserted, each with one photo and one timeline event unless
    `history` is off (benchmarks that read neither)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from gridapp.models import Category, Grid, Photo, Report, ReportEvent

    reporters = list(User.objects.filter(username__startswith="resident"))
    grids = list(Grid.objects.select_related("community"))
    categories = list(Category.objects.filter(children__isnull=True))
    now, statuses = timezone.now(), ["submitted", "accepted", "dispatched", "in_progress"]
    for start in range(0, count, 5000):
        batch = []
        for i in range(start, min(start + 5000, count)):
            grid = rng.choice(grids)
            status = "closed" if rng.random() < 0.6 else rng.choice(statuses)
            number = f"BH{i:014d}"
            batch.append(Report(
                number=number, reporter=rng.choice(reporters), category=rng.choice(categories),
                description="路灯不亮", lat=LAT0 + rng.random() * SPAN_LAT,
                lng=LNG0 + rng.random() * SPAN_LNG, grid=grid, region_code=grid.community.code,
                status=status, content_check="pass",
                created_at=now - timedelta(seconds=rng.randrange(365 * 86400)),
                photo_count=int(history),  # the photo below
                thumbnail_name=f"photos/b/{number}_t.jpg" if history else ""))
        reports = Report.objects.bulk_create(batch)
        if not history:
            continue
        ReportEvent.objects.bulk_create([ReportEvent(
            report=r, action="submit", actor_id=r.reporter_id, to_status="submitted",
            level="community", at=r.created_at) for r in reports])
        Photo.objects.bulk_create([Photo(
            owner_id=r.reporter_id, report=r, kind="before", image=f"photos/b/{r.number}.jpg",
            thumbnail=r.thumbnail_name, content_type="image/jpeg", width=2000,
            height=1500, original_format="JPEG", original_bytes=2_500_000, sha256="0" * 64)
            for r in reports])
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would
        cursor.execute("ANALYZE")


def new_report(rng: random.Random, categories: list) -> object:
    from django.utils import timezone

    from gridapp.models import Report

    return Report(category=rng.choice(categories), lat=LAT0 + rng.random() * SPAN_LAT,
                  lng=LNG0 + rng.random() * SPAN_LNG, created_at=timezone.now())


def naive_duplicates(report) -> list:
    """The baseline: every open report of the category from the last 30 days, measured."""
    from django.conf import settings

    from gridapp import geo
    from gridapp.models import Report

    radius = report.category.duplicate_radius_m
    since = report.created_at - timedelta(days=settings.REPORT_DUPLICATE_DAYS)
    rows = Report.objects.filter(category_id=report.category_id,
                                 status__in=Report.OPEN_STATUSES,
                                 created_at__gte=since).values_list("pk", "number", "lat", "lng")
    near = [(geo.distance_m(report.lat, report.lng, lat, lng), pk) for pk, _n, lat, lng in rows]
    return sorted(d for d in near if d[0] <= radius)[:5]


def naive_page(client_user) -> list:
    """The baseline list: the same visible page, serialized without joins or prefetches."""
    from gridapp.api.serializers.reports import ReportSerializer
    from gridapp.selectors.reports import visible_reports

    reports = visible_reports(client_user).order_by("-created_at", "-pk")
    count = reports.count()
    return [count, ReportSerializer(list(reports[:20]), many=True,
                                    context={"show_flags": True}).data]


def time_rendering(client, dispatcher, runs: int) -> dict[str, list[float]]:
    """The first page's JSON written by the API's orjson renderer and by DRF's own."""
    from rest_framework.renderers import JSONRenderer

    from config.api.renderers import FastJSONRenderer
    from gridapp.api.serializers.reports import ReportSerializer
    from gridapp.selectors.reports import visible_reports, with_list_details

    rows = list(with_list_details(visible_reports(dispatcher)).order_by("-created_at", "-pk")[:20])
    payload = {"results": ReportSerializer(rows, many=True, context={"show_flags": True}).data,
               "next": "https://example.org/api/v1/reports/?cursor=x", "previous": None}
    fast, drf = [], []
    for _i in range(runs):  # interleaved
        fast.append(timed(lambda: FastJSONRenderer().render(payload)))
        drf.append(timed(lambda: JSONRenderer().render(payload)))
    return {"first page rendered: orjson (ours)": fast, "baseline: DRF's JSONRenderer": drf}


def time_binding(client, runs: int) -> dict[str, list[float]]:
    """PostgreSQL only: the first page with server-side binding (psycopg prepares the
    statements it has run 5 times on a connection) against client-side binding, in
    alternating blocks on fresh connections, each warmed up first."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    options = connection.settings_dict["OPTIONS"]
    samples: dict[bool, list[float]] = {True: [], False: []}
    for _block in range(max(1, runs // 10)):
        for server_side in (True, False):
            connection.close()
            options.update(server_side_binding=server_side,
                           prepare_threshold=5 if server_side else None)
            for _warm in range(6):
                client.get("/api/v1/reports/")
            samples[server_side] += [timed(lambda: client.get("/api/v1/reports/"))
                                     for _i in range(10)]
    connection.close()
    options.update(server_side_binding=True, prepare_threshold=5)
    return {"first page, prepared statements (ours)": samples[True],
            "baseline: the same, client-side binding": samples[False]}


def median_ms(samples: list[float]) -> str:
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else samples[0]
    return f"{statistics.median(samples):>9.2f} {p90:>9.2f}"


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    with demo_database(BENCH_DB_NAME):

        from accounts.models import User
        from gridapp.models import Category
        from gridapp.services.intake import possible_duplicates

        started = time.perf_counter()
        build_reports(args.reports, rng)
        print(describe_run(args.reports, started))

        categories = list(Category.objects.filter(children__isnull=True))
        lookups = [new_report(rng, categories) for _i in range(args.lookups)]
        dup, naive, found = [], [], 0
        for report in lookups:  # interleaved
            dup.append(timed(lambda r=report: possible_duplicates(r)))
            naive.append(timed(lambda r=report: naive_duplicates(r)))
            found += len(possible_duplicates(report))

        dispatcher = User.objects.get(username="dispatcher-city")
        client = signed_in_client(dispatcher)
        assert client.get("/api/v1/reports/").status_code == 200  # warm-up
        pages, naive_pages = [], []
        for _i in range(args.pages):
            pages.append(timed(lambda: client.get("/api/v1/reports/")))
            naive_pages.append(timed(lambda: naive_page(User.objects.get(pk=dispatcher.pk))))

        pings = [timed(lambda: client.get("/api/v1/ping")) for _i in range(args.pages)]
        renders = time_rendering(client, dispatcher, args.pages)
        binding = time_binding(client, args.pages)

        print(f"{'measure':<46} {'median ms':>9} {'p90 ms':>9}")
        print(f"{'possible_duplicates (bbox in SQL)':<46} {median_ms(dup)}")
        print(f"{'baseline: whole category in Python':<46} {median_ms(naive)}")
        print(f"{'GET /reports/ first page, dispatcher-city':<46} {median_ms(pages)}")
        print(f"{'baseline: same page without joins/prefetch':<46} {median_ms(naive_pages)}")
        print(f"{'baseline: GET /ping, the same client':<46} {median_ms(pings)}")
        for name, samples in {**renders, **binding}.items():
            print(f"{name:<46} {median_ms(samples)}")
        print(f"{found / len(lookups):.2f} duplicates per lookup on average; targets: "
              f"< 20 ms {statistics.median(dup) < 20}, < 100 ms {statistics.median(pages) < 100}")


if __name__ == "__main__":
    main()
