"""Analytics benchmark: scorecards, statistics, a grid's performance and a city
dispatcher's home screen over a city of 2,000 grids, 40 departments and 1,000,000 reports,
each next to hand-written SQL computing the same figures on the same database in the
same run.

    .venv/bin/python benchmarks/analytics.py                  # SQLite, a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/x .venv/bin/python benchmarks/analytics.py

It never touches the developer's database (benchmarks/_db.py). The data: DEMO.md's world
plus four districts of ten streets of fifty communities, one grid each with its leader,
40 city departments, and `--reports` reports over the last 365 days with their timelines:
accepted after an hour, dispatched to the department of their category and district
(5 % returned and dispatched to another), started, resolved, 60 % closed (40 % of them
rated, 3 % reopened first); 3 % of the open ones escalated to the city. Timed,
interleaved, medians of `--runs`:

- a month's scorecards for the city: `facts_by_department` and `figures` for every
  department (what publishing computes, without storing it), against one hand-written
  GROUP BY over the month's dispatches joined to their later events, with the same
  figures then computed in Python;
- `GET /api/v1/stats/overview/` for dispatcher-city over the last 365 days through the
  test client, against the same figures by hand-written SQL (one statement per figure
  group: counts, hours, rates, trend, routing);
- one grid's leader performance for the year (`leader_performance`), against one
  hand-written GROUP BY over the grid's reports;
- `GET /api/v1/home/` for dispatcher-city, against one hand-written statement counting
  the queue by traffic light in SQL;
- the first page (20) of the city's open reports, `GET /api/v1/reports/` for
  dispatcher-city, against `GET /api/v1/ping` through the same client (issue 19: under
  50 ms without counting the region), and the `COUNT(*)` an offset page would add;
- the console's home page (`GET /console/`) for dispatcher-city, against one hand-written
  GROUP BY of the city's open reports by status and traffic light;
- once, at the end: publishing the city's scorecards of the year (rolled back), against
  computing them without storing their lines.

Targets (issue 13, the first four): each within 2× of its baseline and under 2 s; the
home screen under 50 ms. docs/performance.md records the figures.
"""

import argparse
import datetime as dt
import random
import statistics
import time
from collections import defaultdict

from _db import demo_database, signed_in_client  # noqa: E402  (benchmarks/ is on sys.path)
from _measure import describe_run, timed  # noqa: E402

BENCH_DB_NAME = "gridlink_bench_analytics"
LIST_URL = "/api/v1/reports/?status=submitted,accepted,dispatched,in_progress"
DISTRICTS, STREETS, COMMUNITIES = 4, 10, 50  # 2,000 communities, one grid each
DEPARTMENTS = 40
CITY = "4505"
LAT0, LNG0, SPAN = 21.40, 109.05, 0.18
BATCH = 5000
# The measures issue 13 sets targets for (≤ 2× the baseline, < 2 s).
ISSUE_13 = ("scorecards, the city, one month", "GET /stats/overview/ 365 days, dispatcher-city",
            "leader_performance, one grid, the year", "GET /home/, dispatcher-city")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each measure")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--keep", action="store_true",
                        help="keep the database for the next run with --keep, which measures "
                             "it again without building (--reports is then what it holds)")
    return parser.parse_args()


# --- the city ----------------------------------------------------------------------------


def build_city(rng: random.Random) -> tuple[list, list]:
    """Regions, grids with one leader each, and the departments. (grids, departments)."""
    from accounts.models import User
    from gridapp.models import Department, Grid, LeaderTerm, Region

    city = Region.objects.get(code=f"{CITY}00000000")
    communities = []
    for d in range(DISTRICTS):
        district = Region.objects.create(code=f"{CITY}{10 + d:02d}000000", name=f"区{d}",
                                         level="district", parent=city)
        for s in range(STREETS):
            street = Region.objects.create(code=f"{district.code[:6]}{s + 1:03d}000",
                                           name=f"街道{d}-{s}", level="street", parent=district)
            communities += [Region(code=f"{street.code[:9]}{c + 1:03d}", name=f"社区{d}-{s}-{c}",
                                   level="community", parent=street) for c in range(COMMUNITIES)]
    communities = Region.objects.bulk_create(communities)
    step = SPAN / 45
    grids = []
    for i, community in enumerate(communities):
        lat, lng = LAT0 + (i // 45) * step, LNG0 + (i % 45) * step
        ring = [[lng, lat], [lng + step, lat], [lng + step, lat + step], [lng, lat + step],
                [lng, lat]]
        grids.append(Grid(code=f"G{i:05d}", name=f"网格{i}", community=community,
                          boundary={"type": "Polygon", "coordinates": [ring]}, min_lat=lat,
                          min_lng=lng, max_lat=lat + step, max_lng=lng + step))
    grids = Grid.objects.bulk_create(grids)
    leaders = User.objects.bulk_create([User(username=f"bench-leader-{i}")
                                        for i in range(len(grids))])
    LeaderTerm.objects.bulk_create([
        LeaderTerm(grid=grid, user=leader, start_date=dt.date(2024, 1, 1))
        for grid, leader in zip(grids, leaders, strict=True)])
    departments = Department.objects.bulk_create([
        Department(code=f"bench-{i:02d}", name=f"部门{i}", region=city)
        for i in range(DEPARTMENTS)])
    return grids, departments


def build_reports(count: int, rng: random.Random, grids: list, departments: list) -> None:
    """`count` reports with their timelines, bulk-inserted."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from gridapp.models import Category, LeaderTerm, Report, ReportEvent

    residents = list(User.objects.filter(username__startswith="resident")
                     .values_list("pk", flat=True))
    leader_of = dict(LeaderTerm.objects.values_list("grid_id", "user_id"))
    categories = list(Category.objects.filter(children__isnull=True).values_list("pk", flat=True))
    route = {(c, d): rng.choice(departments).pk for c in categories for d in range(DISTRICTS)}
    now, hour = timezone.now(), dt.timedelta(hours=1)
    for start in range(0, count, BATCH):
        reports, timelines = [], []
        for i in range(start, min(start + BATCH, count)):
            grid = rng.choice(grids)
            category = rng.choice(categories)
            created = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
            report = Report(number=f"BA{i:014d}", category_id=category, description="路灯不亮",
                            grid=grid, region_code=grid.community.code, lat=grid.min_lat,
                            lng=grid.min_lng, content_check="pass", created_at=created,
                            reporter_id=leader_of[grid.pk] if rng.random() < 0.5
                            else rng.choice(residents),
                            accept_due_at=created + 4 * hour,
                            deadline_at=created + dt.timedelta(days=15))
            events = [("submit", created, "", "submitted", None)]
            district = int(grid.community.code[4:6]) - 10
            department = route[category, district]
            timeline(report, events, rng, created, department, departments, now)
            reports.append(report)
            timelines.append(events)
        Report.objects.bulk_create(reports)
        ReportEvent.objects.bulk_create([
            ReportEvent(report=report, action=action, actor_id=report.reporter_id, at=at,
                        from_status=frm, to_status=to, department_id=dep, level=report.level)
            for report, events in zip(reports, timelines, strict=True)
            for action, at, frm, to, dep in events])
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would
        cursor.execute("ANALYZE")


def timeline(report, events: list, rng: random.Random, created, department: int,
             departments: list, now) -> None:
    """The report's life from submission, as far as `now` allows: its events appended,
    its columns set."""
    hour = dt.timedelta(hours=1)
    report.status, report.level = "submitted", "community"
    steps = [("accept", created + hour, "submitted", "accepted", None)]
    at = created + 2 * hour
    if rng.random() < 0.05:  # the table's department returns it; another one takes it
        steps += [("dispatch", at, "accepted", "dispatched", department),
                  ("return", at + 3 * hour, "dispatched", "accepted", department)]
        department = rng.choice([d.pk for d in departments if d.pk != department])
        at += 4 * hour
    start = at + dt.timedelta(hours=rng.expovariate(1 / 12))
    resolve = start + dt.timedelta(hours=rng.expovariate(1 / 48))
    steps += [("dispatch", at, "accepted", "dispatched", department),
              ("start", start, "dispatched", "in_progress", department),
              ("resolve", resolve, "in_progress", "resolved", department)]
    closing = rng.random() < 0.6
    if closing and rng.random() < 0.03:
        steps += [("reopen", resolve + hour, "resolved", "dispatched", department),
                  ("start", resolve + 2 * hour, "dispatched", "in_progress", department)]
        resolve += 24 * hour
        steps.append(("resolve", resolve, "in_progress", "resolved", department))
    if closing:
        steps.append(("verify", resolve + 24 * hour, "resolved", "closed", None))
    cut = rng.random()  # open reports stop somewhere along the way
    for step in steps:
        if step[1] > now or (not closing and step[0] == "resolve" and cut < 0.7):
            break
        events.append(step)
        report.status = step[3]
        if step[0] == "dispatch":
            report.department_id = department
            report.sla_started_at, report.due_at = step[1], step[1] + 72 * hour
        if step[0] == "resolve":
            report.resolved_at = step[1]
        if step[0] == "accept":
            report.sla_started_at, report.due_at = step[1], step[1] + 72 * hour
            report.accepted_at = report.accepted_at or step[1]
        if step[0] == "reopen":
            report.reopened = True
        if step[3] == "closed":
            report.closed_at = step[1]
    if report.status == "closed" and rng.random() < 0.4:
        report.rating = rng.randint(1, 5)
    if report.status in ("submitted", "accepted") and rng.random() < 0.03:
        report.level = "city"
    if report.status in ("submitted", "accepted"):
        report.department_id = None


# --- baselines: the same figures by hand-written SQL --------------------------------------


def city_range() -> tuple[str, str]:
    return f"{CITY}00000000", f"{CITY}99999999"


def raw_scorecards(start, end) -> dict:
    """Per department: the month's first dispatches with their later start, returns and
    reopens in one GROUP BY; the figures from those rows."""
    from django.db import connection

    from gridapp.selectors.evaluations import _fact, figures
    from gridapp.services.evaluations import thresholds

    sql = """
        WITH first AS (
            SELECT e.report_id, e.department_id, MIN(e.at) AS at
            FROM gridapp_reportevent e JOIN gridapp_report r ON r.id = e.report_id
            WHERE e.action = 'dispatch' AND e.department_id IS NOT NULL
              AND e.at >= %s AND e.at < %s AND r.region_code BETWEEN %s AND %s
            GROUP BY e.report_id, e.department_id)
        SELECT f.report_id, f.department_id, f.at,
               MIN(CASE WHEN x.action = 'start' THEN x.at END),
               SUM(CASE WHEN x.action = 'return' THEN 1 ELSE 0 END),
               SUM(CASE WHEN x.action = 'reopen' THEN 1 ELSE 0 END),
               r.status, r.department_id, r.resolved_at, r.due_at, r.rating
        FROM first f JOIN gridapp_report r ON r.id = f.report_id
        LEFT JOIN gridapp_reportevent x ON x.report_id = f.report_id
             AND x.department_id = f.department_id AND x.at >= f.at
             AND x.action IN ('start', 'return', 'reopen')
        GROUP BY f.report_id, f.department_id, f.at, r.status, r.department_id,
                 r.resolved_at, r.due_at, r.rating"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, *city_range()])
        rows = cursor.fetchall()
    facts = defaultdict(list)
    for (report, department, at, start, returns, reopens, status, current, resolved, due,
         rating) in rows:
        facts[department].append(_fact(report, department, moment(at), moment(start),
                                       returns or 0, reopens or 0, status, current,
                                       moment(resolved), moment(due), rating))
    return {department: figures(items, thresholds()) for department, items in facts.items()}


def raw_overview(start, end) -> list:
    """The overview's figures, one hand-written statement per group."""
    from django.db import connection

    where = "r.region_code BETWEEN %s AND %s AND r.created_at >= %s AND r.created_at < %s"
    args = [*city_range(), start, end]
    results = []
    with connection.cursor() as cursor:
        for field in ("status", "level", "source"):
            cursor.execute(f"SELECT r.{field}, COUNT(*) FROM gridapp_report r WHERE {where} "
                           f"GROUP BY 1 ORDER BY 1", args)
            results.append(cursor.fetchall())
        cursor.execute(f"SELECT c.code, COUNT(*) FROM gridapp_report r JOIN gridapp_category c "
                       f"ON c.id = r.category_id WHERE {where} GROUP BY 1 ORDER BY 1", args)
        results.append(cursor.fetchall())
        cursor.execute(f"SELECT r.created_at, r.accepted_at FROM gridapp_report r WHERE {where} "
                       f"AND r.accepted_at IS NOT NULL", args)
        results.append(hours(cursor.fetchall()))
        cursor.execute(f"SELECT r.created_at, r.resolved_at FROM gridapp_report r WHERE {where} "
                       f"AND r.resolved_at IS NOT NULL", args)
        results.append(hours(cursor.fetchall()))
        cursor.execute(f"SELECT COUNT(*), SUM(CASE WHEN r.due_at IS NOT NULL AND r.resolved_at "
                       f"<= r.due_at THEN 1 ELSE 0 END), "
                       f"SUM(CASE WHEN r.reopened THEN 1 ELSE 0 END) "
                       f"FROM gridapp_report r WHERE {where} "
                       f"AND r.resolved_at IS NOT NULL", args)
        results.append(cursor.fetchall())
        cursor.execute(f"SELECT DATE(r.created_at), COUNT(*) FROM gridapp_report r "
                       f"WHERE {where} GROUP BY 1", args)
        results.append(cursor.fetchall())
        cursor.execute(f"SELECT DATE(r.closed_at), COUNT(*) FROM gridapp_report r "
                       f"WHERE {where} AND r.closed_at IS NOT NULL GROUP BY 1", args)
        results.append(cursor.fetchall())
        cursor.execute(f"SELECT d.code, SUM(CASE WHEN e.action = 'dispatch' THEN 1 ELSE 0 END), "
                       f"SUM(CASE WHEN e.action = 'return' THEN 1 ELSE 0 END) "
                       f"FROM gridapp_reportevent e JOIN gridapp_report r ON r.id = e.report_id "
                       f"JOIN gridapp_department d ON d.id = e.department_id WHERE {where} "
                       f"AND e.action IN ('dispatch', 'return') GROUP BY 1 ORDER BY 1", args)
        results.append(cursor.fetchall())
    return results


def moment(value):
    """An aware datetime from a raw row: SQLite gives naive UTC timestamps, and
    aggregates of them as text."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def hours(pairs) -> tuple:
    values = sorted((moment(b) - moment(a)).total_seconds() / 3600 for a, b in pairs)
    return (statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[-1]) \
        if len(values) > 1 else ()


def raw_performance(grid_id: int, first, last) -> list:
    """The grid's terms' figures in one statement: a GROUP BY over its reports of the
    year, the reports resolved in each term that its leader verified in time, and the
    members it recruited."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        day, verify_by = "date({}, '+8 hours')", "datetime(v.resolved_at, '+7 days')"
    else:
        day, verify_by = ("({} AT TIME ZONE 'Asia/Shanghai')::date",
                          "v.resolved_at + make_interval(days => 7)")
    assert settings.REPORT_VERIFY_DAYS == 7 and settings.TIME_ZONE == "Asia/Shanghai"

    def in_term(moment: str) -> str:
        return (f"{moment} >= %(first)s AND {moment} < %(last)s "
                f"AND {day.format(moment)} >= t.start_date "
                f"AND (t.end_date IS NULL OR {day.format(moment)} <= t.end_date)")

    sql = f"""
        SELECT t.id, COUNT(r.id),
               SUM(CASE WHEN r.status IN ('resolved', 'closed') THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.status IN ('resolved', 'closed') AND (r.due_at IS NULL
                        OR r.resolved_at <= r.due_at) THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.reopened THEN 1 ELSE 0 END),
               COUNT(r.rating), SUM(r.rating),
               (SELECT COUNT(*) FROM gridapp_report v
                WHERE v.grid_id = t.grid_id AND {in_term("v.resolved_at")}),
               (SELECT COUNT(*) FROM gridapp_report v
                WHERE v.grid_id = t.grid_id AND {in_term("v.resolved_at")}
                AND EXISTS (SELECT 1 FROM gridapp_reportevent e WHERE e.report_id = v.id
                    AND e.action = 'verify' AND e.actor_id = t.user_id AND e.at <= {verify_by})),
               (SELECT COUNT(*) FROM gridapp_gridmembership m WHERE m.grid_id = t.grid_id
                AND m.status = 'active' AND {in_term("m.decided_at")})
        FROM gridapp_leaderterm t
        LEFT JOIN gridapp_report r ON r.grid_id = t.grid_id AND {in_term("r.created_at")}
             AND r.status NOT IN ('rejected', 'duplicate')
             AND (r.reporter_id = t.user_id OR EXISTS (SELECT 1 FROM gridapp_gridmembership m
                  WHERE m.user_id = r.reporter_id AND m.grid_id = t.grid_id
                  AND m.status IN ('active', 'left')))
        WHERE t.grid_id = %(grid)s GROUP BY t.id ORDER BY t.id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"first": first, "last": last, "grid": grid_id})
        return cursor.fetchall()


def raw_light() -> str:
    """A report's traffic light in SQL, with two parameters: now, now."""
    from django.db import connection

    light = """CASE WHEN {due} < %s THEN 'red'
                    WHEN {started} + ({due} - {started}) * 0.8 > %s THEN 'green'
                    ELSE 'yellow' END"""
    if connection.vendor == "sqlite":  # julianday arithmetic: SQLite has no intervals
        light = """CASE WHEN julianday({due}) < julianday(%s) THEN 'red'
                        WHEN julianday({started}) + (julianday({due}) - julianday({started}))
                             * 0.8 > julianday(%s) THEN 'green' ELSE 'yellow' END"""
    return light.format(due="COALESCE(due_at, accept_due_at)",
                        started="COALESCE(sla_started_at, created_at)")


def raw_console_home(now) -> list:
    """The console home's tiles: the city's open reports by status and traffic light."""
    from django.db import connection

    from gridapp.models import Report

    statuses = ", ".join(["%s"] * len(Report.OPEN_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, {raw_light()}, COUNT(*) FROM gridapp_report "
                       f"WHERE region_code BETWEEN %s AND %s AND status IN ({statuses}) "
                       "GROUP BY 1, 2", [now, now, *city_range(), *Report.OPEN_STATUSES])
        return cursor.fetchall()


def raw_home(user_id: int, now) -> list:
    """The city dispatcher's queue counted by traffic light in SQL, and the other counts."""
    from django.db import connection

    from gridapp.models import Report

    queue = raw_light()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {queue}, COUNT(*) FROM gridapp_report WHERE region_code BETWEEN "
                       f"%s AND %s AND level = 'city' AND status IN ('submitted', 'accepted') "
                       f"GROUP BY 1", [now, now, *city_range()])
        rows = cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM gridapp_report WHERE reporter_id = %s AND status "
                       f"IN ({', '.join(['%s'] * len(Report.OPEN_STATUSES))})",
                       [user_id, *Report.OPEN_STATUSES])
        rows += cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM gridapp_notification WHERE recipient_id = %s "
                       "AND read_at IS NULL", [user_id])
        rows += cursor.fetchall()
    return rows


# --- the run -----------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    with demo_database(BENCH_DB_NAME, keep=args.keep) as fresh:
        from django.test import Client
        from django.utils import timezone

        from accounts.models import User
        from gridapp.models import Grid, Region, Report
        from gridapp.selectors import evaluations, performance
        from gridapp.services import evaluations as services

        started = time.perf_counter()
        if fresh:
            grids, departments = build_city(rng)
            build_reports(args.reports, rng, grids, departments)
            print(describe_run(args.reports, started))
        else:
            grids = list(Grid.objects.filter(code__regex=r"^G\d{5}$").order_by("pk"))
            kept = Report.objects.count()
            if len(grids) != DISTRICTS * STREETS * COMMUNITIES or kept < args.reports:
                raise SystemExit(f"the kept database holds {len(grids):,} grids and {kept:,} "
                                 f"reports, not a whole city of {args.reports:,}: a build "
                                 "that did not finish? Run once without --keep.")
            print(describe_run(kept, None))

        now = timezone.now()
        month = evaluations.last_month(timezone.localdate())
        city = Region.objects.get(code=f"{CITY}00000000")
        thresholds = services.thresholds()
        first_day = timezone.localdate() - dt.timedelta(days=364)
        year_start, year_end = evaluations.Period("year", first_day, timezone.localdate()).bounds()
        grid = grids[len(grids) // 2]
        dispatcher = User.objects.get(username="dispatcher-city")
        client = signed_in_client(dispatcher)
        console = Client()
        console.force_login(dispatcher)
        overview_url = f"/api/v1/stats/overview/?from={first_day}&to={timezone.localdate()}"

        def scorecards():
            facts = evaluations.facts_by_department(city, month)
            return {d: evaluations.figures(f, thresholds) for d, f in facts.items()}

        measures = {
            "scorecards, the city, one month": scorecards,
            "baseline: one GROUP BY, figures in Python": lambda: raw_scorecards(*month.bounds()),
            "GET /stats/overview/ 365 days, dispatcher-city":
                lambda: client.get(overview_url),
            "baseline: the figures in hand-written SQL": lambda: raw_overview(year_start, year_end),
            "leader_performance, one grid, the year": lambda: performance.leader_performance(
                year=now.year, region=grid.community, grid=grid),
            "baseline: one GROUP BY": lambda: raw_performance(
                grid.pk, *evaluations.parse_period(str(now.year)).bounds()),
            "GET /home/, dispatcher-city": lambda: client.get("/api/v1/home/"),
            "baseline: lights counted in SQL": lambda: raw_home(dispatcher.pk, now),
            # issue 19: the first page of the city's open reports, no COUNT(*) of them
            "GET /reports/ open, dispatcher-city, first 20": lambda: client.get(LIST_URL),
            "baseline: GET /ping, the same client": lambda: client.get("/api/v1/ping"),
            # the console's home page: the open reports by status and traffic light
            "GET /console/, dispatcher-city": lambda: console.get("/console/"),
            "baseline: open reports by status and light in SQL": lambda: raw_console_home(now),
        }
        assert client.get(overview_url).status_code == 200, client.get(overview_url).content
        assert client.get("/api/v1/home/").status_code == 200
        assert len(client.get(LIST_URL).json()["results"]) == 20
        assert console.get("/console/").status_code == 200
        times = {name: [] for name in measures}
        for name, measure in measures.items():
            measure()  # warm-up
        for _run in range(args.runs):  # interleaved
            for name, measure in measures.items():
                times[name].append(timed(measure))

        med = {name: statistics.median(samples) for name, samples in times.items()}
        print(f"{'measure':<52} {'median ms':>10} {'ratio':>7}")
        names = list(measures)
        for ours, baseline in zip(names[::2], names[1::2], strict=True):
            print(f"{ours:<52} {med[ours]:>10.1f} {med[ours] / med[baseline]:>6.2f}×")
            print(f"{baseline:<52} {med[baseline]:>10.1f}")
        home = med["GET /home/, dispatcher-city"]
        page = med["GET /reports/ open, dispatcher-city, first 20"]
        from gridapp.selectors import reports as report_selectors
        count_ms = statistics.median(timed(lambda: report_selectors.visible_reports(
            dispatcher).filter(status__in=Report.OPEN_STATUSES).count()) for _ in range(5))
        print(f"the COUNT(*) of those reports an offset page would add: {count_ms:.1f} ms; "
              f"first page < 50 ms: {page < 50}")
        issue_13 = [(o, b) for o, b in zip(names[::2], names[1::2], strict=True)
                    if o in ISSUE_13]
        print("targets: ≤ 2× and < 2 s each: " + ", ".join(
            str(med[o] <= 2 * med[b] and med[o] < 2000) for o, b in issue_13)
              + f"; home < 50 ms: {home < 50}")
        publish_year(city, evaluations.parse_period(str(now.year)), thresholds)


def publish_year(city, period, thresholds) -> None:
    """Publishing the city's scorecards of the year, rolled back, once: what `POST
    /evaluations/publish/` does in a request (gunicorn gives it 30 s), against computing
    the same facts and figures without storing their lines."""
    from django.db import transaction

    from gridapp.models import ScorecardLine
    from gridapp.selectors import evaluations
    from gridapp.services import evaluations as services

    computed = timed(lambda: {d: evaluations.figures(f, thresholds) for d, f
                              in evaluations.facts_by_department(city, period).items()})
    with transaction.atomic():
        published = timed(lambda: services.publish_scorecards(region=city, period=period,
                                                              actor=None))
        lines = ScorecardLine.objects.filter(scorecard__publication__period=period.label).count()
        transaction.set_rollback(True)
    print(f"publishing the city's scorecards of {period.label} ({lines:,} lines), rolled back: "
          f"{published / 1000:.1f} s; computing them without storing: {computed / 1000:.1f} s "
          f"({published / computed:.2f}×)")


if __name__ == "__main__":
    main()
