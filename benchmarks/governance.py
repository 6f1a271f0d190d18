"""Governance benchmark: project suggestions and the map's clusters over a city of
1,000,000 reports, each next to a raw-SQL baseline computing the same figures.

    .venv/bin/python benchmarks/governance.py                  # SQLite, a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/x .venv/bin/python benchmarks/governance.py

It never touches the developer's database (benchmarks/_db.py). The data: DEMO.md's world
plus `--reports` reports over a 20 km × 20 km city and the last 365 days, five
categories, 60 % closed; suggestions look at the last 30 days. Timed, interleaved, in
the same run:

- `projects.suggestions()` for dispatcher-city (every report visible), against the two
  GROUP BY statements written by hand (category × street, category × cell) that find the
  same groups, plus the fetch of their reports;
- `GET /api/v1/map/clusters.geojson?zoom=12` for dispatcher-city through the test client
  (authentication, roles, the query, GeoJSON), against the raw GROUP BY over the same
  cells.

Targets (issue 14): each within 2× of its baseline and under 2 s. docs/performance.md
records the figures.
"""

import argparse
import random
import statistics
import time
from datetime import timedelta

from _db import demo_database, signed_in_client  # noqa: E402  (benchmarks/ is on sys.path)
from _measure import describe_run, timed  # noqa: E402
from reports import build_reports  # noqa: E402  (the same city as the report benchmark)

BENCH_DB_NAME = "gridlink_bench_governance"
ZOOM = 12


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each measure")
    parser.add_argument("--seed", type=int, default=20261205)
    return parser.parse_args()


def raw_suggestion_groups(since) -> list:
    """The baseline: the same groups by hand-written SQL, then their reports."""
    from django.conf import settings
    from django.db import connection

    cell = settings.PROJECT_SUGGESTION_RADIUS_M * 2 / 111_320.0
    n = settings.PROJECT_SUGGESTION_MIN_REPORTS
    base = ("FROM gridapp_report WHERE created_at >= %s AND project_id IS NULL "
            "AND status NOT IN ('rejected', 'duplicate')")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT category_id, SUBSTR(region_code, 1, 9) {base} "
                       f"GROUP BY 1, 2 HAVING COUNT(*) >= %s", [since, n])
        streets = cursor.fetchall()
        cursor.execute(f"SELECT category_id, FLOOR(lat / %s), FLOOR(lng / %s) {base} "
                       f"GROUP BY 1, 2, 3 HAVING COUNT(*) >= %s", [cell, cell, since, n])
        cells = cursor.fetchall()
        rows = []
        for category, street in streets[:100]:
            cursor.execute(f"SELECT id, lat, lng {base} AND category_id = %s "
                           f"AND region_code BETWEEN %s AND %s",
                           [since, category, street.ljust(12, "0"), street.ljust(12, "9")])
            rows.append(cursor.fetchall())
    return [streets, cells, rows]


def raw_clusters() -> list:
    """The baseline: the same figures (count, centre, a count per status) for the same
    reports (the city's, as dispatcher-city sees them) in one hand-written GROUP BY."""
    from django.db import connection

    from gridapp.models import Report

    cell = 360 / 2 ** ZOOM / 4
    per_status = ", ".join(f"SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)"
                           for s in Report.Status.values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT FLOOR(lat / %s), FLOOR(lng / %s), COUNT(*), AVG(lat), AVG(lng), "
                       f"{per_status} FROM gridapp_report "
                       f"WHERE region_code BETWEEN '450500000000' AND '450599999999' "
                       f"GROUP BY 1, 2", [cell, cell])
        return cursor.fetchall()


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    with demo_database(BENCH_DB_NAME):
        from django.conf import settings
        from django.utils import timezone

        from accounts.models import User
        from gridapp.selectors import projects

        started = time.perf_counter()
        build_reports(args.reports, rng, history=False)
        print(describe_run(args.reports, started))

        dispatcher = User.objects.get(username="dispatcher-city")
        client = signed_in_client(dispatcher)
        now = timezone.now()
        since = now - timedelta(days=settings.PROJECT_SUGGESTION_DAYS)
        found = projects.suggestions(dispatcher, now=now)  # warm-up, and the answer's size
        assert client.get(f"/api/v1/map/clusters.geojson?zoom={ZOOM}").status_code == 200
        times: dict[str, list[float]] = {k: [] for k in ("sug", "raw_sug", "map", "raw_map")}
        for _run in range(args.runs):  # interleaved
            times["sug"].append(timed(lambda: projects.suggestions(dispatcher, now=now)))
            times["raw_sug"].append(timed(lambda: raw_suggestion_groups(since)))
            times["map"].append(timed(
                lambda: client.get(f"/api/v1/map/clusters.geojson?zoom={ZOOM}")))
            times["raw_map"].append(timed(raw_clusters))

        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{'measure':<52} {'median ms':>10}")
        print(f"{'project suggestions, dispatcher-city':<52} {med['sug']:>10.1f}")
        print(f"{'baseline: the GROUP BYs and fetches in raw SQL':<52} {med['raw_sug']:>10.1f}")
        print(f"{'GET /map/clusters.geojson zoom 12, dispatcher-city':<52} {med['map']:>10.1f}")
        print(f"{'baseline: the GROUP BY in raw SQL':<52} {med['raw_map']:>10.1f}")
        print(f"{len(found)} suggestions; ratios: suggestions {med['sug'] / med['raw_sug']:.2f}×,"
              f" clusters {med['map'] / med['raw_map']:.2f}×; targets ≤ 2× and < 2 s: "
              f"{med['sug'] <= 2 * med['raw_sug'] and med['sug'] < 2000}, "
              f"{med['map'] <= 2 * med['raw_map'] and med['map'] < 2000}")


if __name__ == "__main__":
    main()
