"""Payroll run generation benchmark: one month's draft for 100,000 leaders under one city,
against one raw `INSERT ... SELECT` writing the same lines.

    .venv/bin/python benchmarks/payroll.py                 # SQLite, a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/x .venv/bin/python benchmarks/payroll.py

It never touches the developer's database: when DATABASE_URL names a PostgreSQL server
it creates, migrates and finally drops its own database `gridlink_bench_payroll` there;
otherwise it migrates a temporary SQLite file.

The city has 10 districts × 10 streets × 10 communities × 100 grids, one leader each;
in 5 % of the grids the leader changes on 2026-11-15/16, so those lines are prorated.
Timed, alternately and each rolled back: `services.create_run` (what POST
/api/v1/payroll/runs/ runs: checks, policy lookup, chunked INSERT ... SELECT, exact
totals, the event) and the baseline, a single INSERT ... SELECT with the policy written
in as constants. Both must write the same lines (count and total are compared). Python
memory (tracemalloc peak) is measured for a district (10 % of the leaders) and for the
whole city: flat means the two are about the same. Finally the management command
generates the run for real, with its progress bar; once approved, building its bank files
and `check_payroll`'s audit are timed too (for information: no target). docs/performance.md
records the figures.

`--case year-end` measures the year-end second distribution instead (issue 16):

    .venv/bin/python benchmarks/payroll.py --case year-end --leaders 100000

1. the split alone: `yearend.split.split_fen` (largest remainder over exact `Fraction`
   quotas) for `--leaders` terms, next to `equal_weights_split`, the same algorithm in plain
   integers (the baseline), on the same scores; both must give the same shares;
2. the scoring (`yearend.scoring.distribute`: normalisation, weights, days, bounds, split)
   of `--leaders` synthetic `TermPerformance` values, with its Python memory peak;
3. `yearend.services.create_distribution` for the generated city end to end (the
   leader-performance selector over the terms, scoring, 100,000 shares stored, payments
   netted in SQL), rolled back, with its Python memory peak. `--reports` (default 10 per
   leader) reports are seeded in 2026, filed by the grids' leaders, 60 % closed, some
   rated, so that the selector's SQL aggregates have something to count.
"""

import argparse
import datetime as dt
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal

from _db import setup_django, throwaway_database  # noqa: E402  (benchmarks/ is on sys.path)

BENCH_DB_NAME = "gridlink_bench_payroll"
CITY = "450500000000"
NOV = dt.date(2026, 11, 1)
JAN = dt.date(2026, 1, 1)
MONTHLY = Decimal("300.00")
BATCH = 5_000  # rows per bulk_create while seeding


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=100_000,
                        help="leaders in the city (a multiple of 1,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each")
    parser.add_argument("--case", choices=("run", "year-end"), default="run",
                        help="the monthly run (default) or the year-end distribution")
    parser.add_argument("--reports", type=int, default=None,
                        help="year-end: reports in 2026 (default 10 per leader)")
    return parser.parse_args()


# --- The generated city --------------------------------------------------------------

def build_city(leaders: int) -> None:
    """Regions, then grids, users and leader terms in batches (never all in memory)."""
    from gridapp.models import Region
    from payroll.models import StipendPolicy

    from accounts.models import User

    city = Region.objects.create(code=CITY, name="Bench city", level="city")
    communities = list(_communities(city, leaders // 100))
    StipendPolicy.objects.create(region=city, effective_from=JAN, monthly_amount=MONTHLY)
    opened_by = (User.objects.create(username="bench-maker"),
                 User.objects.create(username="bench-checker"))
    for start in range(0, leaders, BATCH):
        _seed_batch(communities, range(start, min(start + BATCH, leaders)), opened_by)


def _communities(city, count: int) -> Iterator:
    from gridapp.models import Region

    for d in range(1, 11):
        district = Region.objects.create(code=f"4505{d:02d}000000", name=f"D{d}",
                                         level="district", parent=city)
        for s in range(1, 11):
            street = Region.objects.create(code=f"4505{d:02d}{s:03d}000", name=f"S{d}-{s}",
                                           level="street", parent=district)
            for c in range(1, 11):
                if (d - 1) * 100 + (s - 1) * 10 + c > count:
                    return
                yield Region.objects.create(code=f"4505{d:02d}{s:03d}{c:03d}",
                                            name=f"C{d}-{s}-{c}", level="community",
                                            parent=street)


def _seed_batch(communities: list, numbers: range, opened_by: tuple) -> None:
    """Grids k (100 per community), their leaders, their terms and bank accounts (each
    from an approved change, as the database insists); every 20th grid changes leader in
    mid-November."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from gridapp import geo
    from gridapp.models import Grid, LeaderTerm

    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"b{k}", display_name=f"网格长{k}", password=unusable) for k in numbers)
    grids = Grid.objects.bulk_create(_grid(geo, communities[k // 100], k) for k in numbers)
    terms = []
    for k, user, grid in zip(numbers, users, grids):
        end = dt.date(2026, 11, 15) if k % 20 == 0 else None
        terms.append(LeaderTerm(grid=grid, user=user, start_date=JAN, end_date=end))
        if end:  # the successor is the same person: enough to write a second line
            terms.append(LeaderTerm(grid=grid, user=user, start_date=dt.date(2026, 11, 16)))
    LeaderTerm.objects.bulk_create(terms)
    _open_bank_accounts(users, *opened_by)


def _open_bank_accounts(users: list, maker, checker) -> None:
    from django.utils import timezone

    from payroll.models import BankAccount, BankAccountChange

    now = timezone.now()
    changes = BankAccountChange.objects.bulk_create(
        BankAccountChange(leader=user, account_name=user.display_name, bank_name="Bench bank",
                          account_number=f"6231{user.pk:015d}", reason="bench",
                          status=BankAccountChange.Status.APPROVED, requested_by=maker,
                          requested_at=now, decided_by=checker, decided_at=now)
        for user in users)
    BankAccount.objects.bulk_create(
        BankAccount(leader_id=c.leader_id, account_name=c.account_name, bank_name=c.bank_name,
                    account_number=c.account_number, change=c) for c in changes)


def _grid(geo, community, k: int):
    from gridapp.models import Grid

    lat, lng = 21.0 + (k // 1000) * 0.002, 109.0 + (k % 1000) * 0.002
    boundary = geo.rectangle(lat, lng, lat + 0.002, lng + 0.002)
    return Grid(code=f"G{k:06d}", name=f"网格{k}", community=community, boundary=boundary,
                min_lat=lat, min_lng=lng, max_lat=lat + 0.002, max_lng=lng + 0.002)


# --- The two ways to write the lines -------------------------------------------------

BASELINE_DAYS = {
    "postgresql": "(LEAST(COALESCE(t.end_date, %(last)s), %(last)s)"
                  " - GREATEST(t.start_date, %(first)s) + 1)",
    "sqlite": "(CAST(substr(MIN(COALESCE(t.end_date, %(last)s), %(last)s), 9, 2) AS INTEGER)"
              " - CAST(substr(MAX(t.start_date, %(first)s), 9, 2) AS INTEGER) + 1)",
}
BASELINE_MONEY = {"postgresql": "(CAST({fen} AS NUMERIC(15, 0)) / 100)",
                  "sqlite": "printf('%%d.%%02d', {fen} / 100, {fen} %% 100)"}


def baseline(run_id: int, policy_id: int) -> None:
    """The same lines in one statement, the policy (300.00, nothing withheld) as constants."""
    from django.db import connection

    vendor = connection.vendor
    base = BASELINE_MONEY[vendor].format(fen="(30000 * days * 2 + 30) / 60")
    sql = f"""
        INSERT INTO payroll_runline (run_id, kind, period, live, leader_id, leader_term_id,
            grid_id, policy_id, days_served, days_in_month, monthly_amount, withholding_percent,
            base, withheld, adjustments, net, suspended, note)
        SELECT %(run)s, 'stipend', %(period)s, %(true)s, user_id, id, grid_id, %(policy)s, days,
               30, %(monthly)s, %(zero)s, {base}, %(zero)s, %(zero)s, {base}, %(false)s, ''
        FROM (SELECT t.*, {BASELINE_DAYS[vendor]} AS days
              FROM gridapp_leaderterm t JOIN gridapp_grid g ON g.id = t.grid_id
              JOIN gridapp_region c ON c.id = g.community_id
              WHERE c.code LIKE %(prefix)s AND t.start_date <= %(last)s
                AND (t.end_date IS NULL OR t.end_date >= %(first)s)) s"""
    adapt = connection.ops.adapt_datefield_value
    params = {"run": run_id, "period": adapt(NOV), "first": adapt(NOV),
              "last": adapt(dt.date(2026, 11, 30)), "policy": policy_id, "true": True,
              "false": False, "monthly": MONTHLY, "zero": Decimal("0.00"), "prefix": "4505%"}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def time_baseline() -> tuple[float, tuple[int, int]]:
    from django.db import transaction
    from django.utils import timezone

    from gridapp.models import Region
    from payroll import generation
    from payroll.models import Run, StipendPolicy

    with transaction.atomic():
        run = Run.objects.create(number="BASELINE", period=NOV, prepared_at=timezone.now(),
                                 region=Region.objects.get(code=CITY))
        policy_id = StipendPolicy.objects.get().pk
        started = time.perf_counter()
        baseline(run.pk, policy_id)
        seconds = time.perf_counter() - started
        written = generation.totals(run)
        transaction.set_rollback(True)
    return seconds, (written.line_count, written.net)


def time_service(code: str = CITY) -> tuple[float, tuple[int, int]]:
    from django.db import transaction

    from gridapp.models import Region
    from payroll import services
    from payroll.money import to_fen

    region = Region.objects.get(code=code)
    with transaction.atomic():
        started = time.perf_counter()
        run = services.create_run(period=NOV, region=region, actor=None)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, (run.line_count, to_fen(run.total))


def peak_memory(call: Callable[[], object]) -> int:
    """Peak bytes Python allocated while `call` ran."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- The run -------------------------------------------------------------------------

def main() -> None:
    args, started = parse_args(), time.perf_counter()
    if args.case == "year-end":
        year_end(args)
        print(f"whole run {time.perf_counter() - started:.0f} s")
        return
    with throwaway_database(BENCH_DB_NAME) as url:
        setup_django(url, BENCH_DB_NAME)
        from django.core.management import call_command
        from django.test.utils import override_settings

        seeding = time.perf_counter()
        build_city(args.leaders)
        seeded = time.perf_counter() - seeding
        with override_settings(DEBUG=False):  # as in production: no log of every query
            time_service()  # warm-up: caches, compiled statements
            base_runs, service_runs = [], []
            for _ in range(args.repeat):  # alternate, so that machine noise weighs alike
                base_runs.append(time_baseline())
                service_runs.append(time_service())
            district = peak_memory(lambda: time_service("450501000000"))
            city = peak_memory(time_service)
            print(f"Payroll run generation: {args.leaders:,} leaders; {database_name()}; "
                  f"Python {platform.python_version()}; {os.cpu_count()} CPUs; "
                  f"load average {os.getloadavg()[0]:.2f}; seeding took {seeded:.0f} s")
            report(base_runs, service_runs, district, city)
            call_command("generate_payroll_run", period="2026-11", region=CITY)
            time_afterwards()
    print(f"whole run {time.perf_counter() - started:.0f} s")


def time_afterwards() -> None:
    """The generated run approved, then its bank files and its audit, each once."""
    from accounts.models import User
    from gridapp.models import StaffRole
    from gridapp.models import Region
    from payroll import bank_templates, services
    from payroll.audit import audit_run
    from payroll.models import Run

    city = Region.objects.get(code=CITY)
    maker, checker = (User.objects.create(username=name) for name in ("maker", "checker"))
    for person in (maker, checker):
        StaffRole.objects.create(user=person, role=StaffRole.Role.FINANCE, region=city)
    run = services.submit_run(Run.objects.get(), actor=maker)
    run = services.approve_run(run, actor=checker)
    standard = bank_templates.STANDARD
    for name, call in (
            ("CSV bank file",
             lambda r: bank_templates.build(standard, r, "csv", full_numbers=True)),
            ("XLSX bank file",
             lambda r: bank_templates.build(standard, r, "xlsx", full_numbers=True)),
            ("check_payroll audit", audit_run)):
        started = time.perf_counter()
        call(run)
        seconds = time.perf_counter() - started
        peak = peak_memory(lambda: call(run))
        print(f"  {name:<22} {seconds:6.2f} s   Python peak {peak / 1024 / 1024:,.1f} MiB")


def report(base_runs: list, service_runs: list, district_peak: int, city_peak: int) -> None:
    base = statistics.median(s for s, _ in base_runs)
    service = statistics.median(s for s, _ in service_runs)
    same = {written for _, written in base_runs} == {written for _, written in service_runs}
    lines, total_fen = service_runs[0][1]
    print(f"  lines {lines:,}, total {total_fen // 100:,}.{total_fen % 100:02d}; "
          f"baseline wrote the same: {'yes' if same else 'NO'}")
    print(f"  raw INSERT ... SELECT   median {base:6.2f} s   (runs: "
          f"{', '.join(f'{s:.2f}' for s, _ in base_runs)})")
    print(f"  services.create_run     median {service:6.2f} s   (runs: "
          f"{', '.join(f'{s:.2f}' for s, _ in service_runs)})")
    print(f"  ratio create_run / raw: {service / base:.2f}×")
    print(f"  Python peak memory: district (10 %) {district_peak / 1024:,.0f} KiB, "
          f"city (100 %) {city_peak / 1024:,.0f} KiB")
    met = service < 20 and service / base <= 3 and same and city_peak < 4 * max(district_peak, 1)
    print(f"  target (under 20 s, within 3× of raw, same lines, memory flat): "
          f"{'met' if met else 'MISSED'}")


def database_name() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    major, minor = divmod(connection.pg_version, 10000)
    return f"PostgreSQL {major}.{minor}"


# --- The year-end distribution ---------------------------------------------------------

def synthetic_performances(count: int) -> list:
    """`count` terms with varied metrics, reproducible (a fixed seed); 5 % served from
    mid-November, as in the generated city."""
    import random
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Performance:
        term_id: int
        days_served: int
        metrics: dict

    rng = random.Random(16)
    rate = lambda: Decimal(rng.randint(0, 10000)).scaleb(-4)  # noqa: E731
    return [Performance(k + 1, 46 if k % 20 == 0 else 365, {
        "reports_filed": rng.randint(0, 40), "resolved_rate": rate(), "on_time_rate": rate(),
        "verified_in_window_rate": rate(),
        "rating_mean": Decimal(rng.randint(100, 500)).scaleb(-2),
        "reopen_rate": rate(), "members_recruited": rng.randint(0, 5)}) for k in range(count)]


def time_split(count: int, repeat: int) -> None:
    """The split alone against the integer baseline, on the same integer scores."""
    import random
    from fractions import Fraction

    from payroll.yearend.split import Claim, equal_weights_split, proportional_quotas, split_fen

    rng = random.Random(16)
    pool = 360_000_000  # 3,600,000.00 yuan in fen: 36.00 a term at 100,000 terms
    scores = [(k + 1, rng.randint(0, 1_000_000)) for k in range(count)]
    weights = [(term, score, score) for term, score in scores]
    quotas = proportional_quotas(pool, {t: Fraction(s) for t, s in scores})
    claims = [Claim(t, Decimal(s), quotas[t]) for t, s in scores]
    ours, base, same = [], [], True
    for _ in range(repeat):
        started = time.perf_counter()
        baseline_shares = equal_weights_split(pool, weights)
        base.append(time.perf_counter() - started)
        started = time.perf_counter()
        our_shares = split_fen(pool, claims)
        ours.append(time.perf_counter() - started)
        same = same and our_shares == baseline_shares
    ours_m, base_m = statistics.median(ours), statistics.median(base)
    print(f"  split of {count:,} terms: split_fen median {ours_m:6.3f} s, integer baseline "
          f"median {base_m:6.3f} s, ratio {ours_m / base_m:.2f}×; same shares: "
          f"{'yes' if same else 'NO'}")


def time_scoring(count: int) -> None:
    from payroll.yearend.scoring import DEFAULT_WEIGHTS, Policy, distribute

    performances = synthetic_performances(count)
    policies = {"no bounds": Policy(DEFAULT_WEIGHTS),
                "floor 0.5, cap 2, 90 days": Policy(DEFAULT_WEIGHTS, floor=Decimal("0.5"),
                                                    cap=Decimal(2), min_days=90)}
    for name, policy in policies.items():
        def call():
            return distribute(performances, policy, pool_fen=360_000_000, days_in_year=365)

        started = time.perf_counter()
        scored = call()
        seconds = time.perf_counter() - started
        peak = peak_memory(call)
        assert sum(s.share_fen for s in scored) == 360_000_000
        print(f"  scoring {count:,} terms ({name}): {seconds:6.2f} s, "
              f"Python peak {peak / 1024 / 1024:,.0f} MiB")


def time_distribution() -> None:
    """create_distribution for the whole city, rolled back."""
    from django.db import transaction

    from accounts.models import User
    from gridapp.models import Region, StaffRole
    from payroll.yearend import services

    city = Region.objects.get(code=CITY)
    maker = User.objects.create(username="year-end-maker")
    StaffRole.objects.create(user=maker, role=StaffRole.Role.FINANCE, region=city)

    def call():
        with transaction.atomic():
            created = services.create_distribution(year=2026, region=city,
                                                   extra_pool=Decimal("3600000.00"), actor=maker)
            transaction.set_rollback(True)
        return created

    started = time.perf_counter()
    terms = services.leader_performances(year=2026, region=city, as_of=dt.date(2026, 12, 31))
    counted = sum(term.metrics["reports_filed"] for term in terms)
    print(f"  leader performance alone: {len(terms):,} terms scored from {counted:,} reports "
          f"in {time.perf_counter() - started:6.2f} s")
    started = time.perf_counter()
    distribution = call()
    seconds = time.perf_counter() - started
    peak = peak_memory(call)
    print(f"  create_distribution: {distribution.share_count:,} shares, "
          f"{distribution.payment_count:,} payments, {seconds:6.2f} s, "
          f"Python peak {peak / 1024 / 1024:,.0f} MiB (target: under 30 s, under 1 GB)")


def year_end(args: argparse.Namespace) -> None:
    print(f"Year-end distribution: {args.leaders:,} leader terms; Python "
          f"{platform.python_version()}; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.2f}")
    with throwaway_database(BENCH_DB_NAME) as url:
        setup_django(url, BENCH_DB_NAME)
        time_split(args.leaders, args.repeat)
        time_scoring(args.leaders)
        from django.test.utils import override_settings

        seeding = time.perf_counter()
        build_city(args.leaders)
        reports = args.leaders * 10 if args.reports is None else args.reports
        build_reports(reports)
        print(f"  {database_name()}; {reports:,} reports; seeding took "
              f"{time.perf_counter() - seeding:.0f} s")
        with override_settings(DEBUG=False, PAYROLL_YEAR_END_MIN_DAYS=0):
            time_distribution()


def build_reports(count: int) -> None:
    """`count` reports spread over the grids and 2026, each filed by its grid's first
    leader; 60 % closed (resolved within or after their due time), a third of those
    rated."""
    import random

    from django.db import connection

    from gridapp.models import Category, LeaderTerm, Report

    rng = random.Random(13)
    category = Category.objects.create(code="bench", name="Bench")
    leaders = dict(LeaderTerm.objects.order_by("-id").values_list("grid_id", "user_id"))
    grids = list(leaders)
    community = dict(LeaderTerm.objects.values_list("grid_id", "grid__community__code"))
    year = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for start in range(0, count, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, count)):
            grid = grids[i % len(grids)]
            created = year + dt.timedelta(seconds=rng.randrange(364 * 86400))
            due = created + dt.timedelta(hours=72)
            closed = rng.random() < 0.6
            batch.append(Report(
                number=f"BY{i:014d}", reporter_id=leaders[grid], category=category,
                description="bench", lat=21.5, lng=109.1, grid_id=grid,
                region_code=community[grid], status="closed" if closed else "submitted",
                content_check="pass", created_at=created, due_at=due,
                resolved_at=created + dt.timedelta(hours=rng.randrange(1, 120)) if closed
                else None, rating=rng.randint(1, 5) if closed and i % 3 == 0 else None))
        Report.objects.bulk_create(batch)
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
