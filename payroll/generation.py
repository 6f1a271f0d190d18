"""Writing a run's lines in the database, with `INSERT ... SELECT`.

A city has up to 100,000 leaders: their lines are computed by the database in chunks of
leader-term ids, never loaded into Python (memory stays flat, and the cost stays close to
one raw INSERT). The arithmetic is `payroll.money` in integer fen:

    base     = (monthly_fen × days × 2 + dim) div (2 × dim)          prorate, half up
    withheld = (base_fen × percent_bp × 2 + 10000) div 20000          withhold, half up
    net      = base − withheld                                        0 when suspended

Both are non-negative, so integer division rounds exactly as ROUND_HALF_UP does; the
tests check the SQL against `money.prorate`/`money.withhold` line by line. Amounts reach
the database as exact decimals: NUMERIC arithmetic on PostgreSQL, on SQLite the text
'150.00' (which is also how Django itself writes a Decimal there).

A payee's lines are then netted into one payment per run (`insert_payments`, one
`INSERT ... SELECT ... GROUP BY`): amount = max(Σ net, 0), shortfall = max(−Σ net, 0).

Which policy applies is decided in Python first (a region has few policies): the nearest
policy at or above the run's region is the default, and policies of regions inside the
run's subtree become CASE branches, deepest first.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Max, Min, Q

from gridapp.models import Grid, LeaderTerm, Region

from .models import Adjustment, Payment, Run, RunLine, StipendPolicy, Suspension
from .money import days_in_month, from_fen, month_end, to_fen

CHUNK_TERMS = 20_000  # leader-term ids per INSERT: bounded statements, a useful progress bar

Progress = Callable[[int, int], None]  # (chunks done, chunks in all)


@dataclass(frozen=True)
class PolicyChoice:
    prefix: str  # region code prefix the policy covers
    policy: StipendPolicy

    @property
    def monthly_fen(self) -> int:
        return to_fen(self.policy.monthly_amount)

    @property
    def percent_bp(self) -> int:
        return to_fen(self.policy.withholding_percent)  # 20.00 % → 2000 basis points


@dataclass(frozen=True)
class Totals:
    """In integer fen. `paid` is what the bank pays: the lines' `net` plus `carried`."""

    line_count: int
    base: int
    withheld: int
    adjustments: int
    net: int
    payment_count: int
    paid: int
    carried: int

    def as_run_fields(self) -> dict:
        return {"line_count": self.line_count, "total_base": from_fen(self.base),
                "total_withheld": from_fen(self.withheld),
                "total_adjustments": from_fen(self.adjustments), "total": from_fen(self.paid),
                "total_carried": from_fen(self.carried), "payment_count": self.payment_count}


def ancestor_codes(region: Region) -> list[str]:
    """Codes of the region and every region above it (the code nests, so no queries)."""
    lengths = [n for n in Region.PREFIX_LENGTH.values() if n <= len(region.prefix)]
    return [region.code[:n].ljust(12, "0") for n in lengths]


def policy_choices(region: Region,
                   period: dt.date) -> tuple[PolicyChoice | None, list[PolicyChoice]]:
    """(the nearest policy at or above `region`, policies inside it deepest first), each
    the latest one in force on the first day of `period`."""
    candidates = (StipendPolicy.objects.filter(effective_from__lte=period)
                  .filter(Q(region__code__in=ancestor_codes(region))
                          | Q(region__code__startswith=region.prefix))
                  .select_related("region").order_by("region__code", "-effective_from"))
    latest: dict[str, StipendPolicy] = {}
    for policy in candidates:
        latest.setdefault(policy.region.code, policy)
    choices = sorted((PolicyChoice(p.region.prefix, p) for p in latest.values()),
                     key=lambda c: len(c.prefix), reverse=True)
    inside = [c for c in choices
              if c.prefix.startswith(region.prefix) and c.prefix != region.prefix]
    above = [c for c in choices if c not in inside]
    return (above[0] if above else None), inside


def has_policy(region: Region, period: dt.date) -> bool:
    default, inside = policy_choices(region, period)
    return default is not None or bool(inside)


# --- SQL --------------------------------------------------------------------------------

# Days of the month a term covers. Both clamped ends lie inside the month, so on SQLite
# (dates are 'YYYY-MM-DD' text) the day-of-month digits subtract exactly.
DAYS_SQL = {
    "postgresql": "(LEAST(COALESCE(t.end_date, %(last)s), %(last)s)"
                  " - GREATEST(t.start_date, %(first)s) + 1)",
    "sqlite": "(CAST(substr(MIN(COALESCE(t.end_date, %(last)s), %(last)s), 9, 2) AS INTEGER)"
              " - CAST(substr(MAX(t.start_date, %(first)s), 9, 2) AS INTEGER) + 1)",
}
# Integer fen → a two-decimal amount (fen ≥ 0 here).
MONEY_SQL = {
    "postgresql": "(CAST({fen} AS NUMERIC(15, 0)) / 100)",
    "sqlite": "printf('%%d.%%02d', {fen} / 100, {fen} %% 100)",
}
# Sum of an amount column in integer fen. SQLite stores decimals as REAL: × 100 and
# ROUND give the exact fen of every amount of up to 13 digits, and integers sum exactly.
SUM_FEN_SQL = {
    "postgresql": "CAST(COALESCE(SUM({col}), 0) * 100 AS BIGINT)",
    "sqlite": "COALESCE(SUM(CAST(ROUND({col} * 100) AS INTEGER)), 0)",
}
BIGINT = "CAST(%({name})s AS BIGINT)"

LINE_COLUMNS = ("run_id, kind, period, live, leader_id, leader_term_id, grid_id, policy_id, "
                "days_served, days_in_month, monthly_amount, withholding_percent, base, "
                "withheld, adjustments, net, suspended, note")


def _vendor() -> str:
    if connection.vendor not in DAYS_SQL:
        raise NotImplementedError(f"payroll generation has no SQL for {connection.vendor}")
    return connection.vendor


POLICY_VALUES: dict[str, Callable[[PolicyChoice], int]] = {
    "policy_id": lambda choice: choice.policy.pk,
    "monthly_fen": lambda choice: choice.monthly_fen,
    "percent_bp": lambda choice: choice.percent_bp,
}


def _case(default: PolicyChoice | None, inside: list[PolicyChoice], name: str,
          params: dict) -> str:
    """CASE choosing the value `name` of the policy that applies, by the community's code."""
    value = POLICY_VALUES[name]
    branches = []
    for i, choice in enumerate(inside):
        params[f"prefix_{i}"] = choice.prefix + "%"
        params[f"{name}_{i}"] = value(choice)
        branches.append(f"WHEN c.code LIKE %(prefix_{i})s THEN {BIGINT.format(name=f'{name}_{i}')}")
    params[f"{name}_default"] = value(default) if default else None
    fallback = BIGINT.format(name=f"{name}_default")
    return f"CASE {' '.join(branches)} ELSE {fallback} END" if branches else fallback


def _terms_sql(default: PolicyChoice | None, inside: list[PolicyChoice], params: dict) -> str:
    """Leader terms overlapping the month under the run's region, with their policy
    values, days served and suspension."""
    cases = ", ".join(f"{_case(default, inside, name, params)} AS {name}" for name in POLICY_VALUES)
    return f"""
        SELECT t.id AS term_id, t.user_id, t.grid_id, {cases},
               {DAYS_SQL[_vendor()]} AS days, sp.reason AS suspension
        FROM {LeaderTerm._meta.db_table} t
        JOIN {Grid._meta.db_table} g ON g.id = t.grid_id
        JOIN {Region._meta.db_table} c ON c.id = g.community_id
        LEFT JOIN {Suspension._meta.db_table} sp
               ON sp.leader_id = t.user_id AND sp.period = %(period)s AND sp.lifted_at IS NULL
        WHERE c.code LIKE %(prefix)s AND t.start_date <= %(last)s
          AND (t.end_date IS NULL OR t.end_date >= %(first)s)
          AND t.id >= %(lo)s AND t.id < %(hi)s"""


def _insert_sql(terms_sql: str) -> str:
    money = MONEY_SQL[_vendor()]
    amounts = ", ".join(money.format(fen=f) for f in
                        ("monthly_fen", "percent_bp", "base_fen", "withheld_fen", "0", "net_fen"))
    return f"""
        INSERT INTO {RunLine._meta.db_table} ({LINE_COLUMNS})
        SELECT %(run)s, 'stipend', %(period)s, %(live)s, user_id, term_id, grid_id, policy_id,
               days, %(dim)s, {amounts}, suspension IS NOT NULL, COALESCE(suspension, '')
        FROM (
          SELECT w.*,
                 CASE WHEN suspension IS NULL THEN base_fen - withheld_fen ELSE 0 END AS net_fen
          FROM (
            SELECT b.*,
                   CASE WHEN suspension IS NULL THEN (base_fen * percent_bp * 2 + 10000) / 20000
                        ELSE 0 END AS withheld_fen
            FROM (
              SELECT s.*, (monthly_fen * days * 2 + %(dim)s) / (2 * %(dim)s) AS base_fen
              FROM ({terms_sql}) s
              WHERE s.policy_id IS NOT NULL
            ) b
          ) w
        ) n
        ORDER BY term_id"""


def _term_id_bounds(run: Run) -> tuple[int, int] | None:
    """[lowest, highest + 1) of the ids of the terms the run pays: the range to chunk."""
    bounds = LeaderTerm.objects.filter(
        grid__community__code__startswith=run.region.prefix, start_date__lte=month_end(run.period),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=run.period)).aggregate(
        lo=Min("id"), hi=Max("id"))
    return None if bounds["lo"] is None else (bounds["lo"], bounds["hi"] + 1)


def insert_stipend_lines(run: Run, *, progress: Progress | None = None) -> None:
    """One stipend line per leader term overlapping the run's month under its region."""
    default, inside = policy_choices(run.region, run.period)
    last = month_end(run.period)
    params = {"run": run.pk, "live": True, "dim": days_in_month(run.period),
              "prefix": run.region.prefix + "%",
              "period": connection.ops.adapt_datefield_value(run.period),
              "first": connection.ops.adapt_datefield_value(run.period),
              "last": connection.ops.adapt_datefield_value(last)}
    bounds = _term_id_bounds(run) if (default or inside) else None
    if bounds is None:
        return
    sql = _insert_sql(_terms_sql(default, inside, params))
    starts = range(bounds[0], bounds[1], CHUNK_TERMS)
    with connection.cursor() as cursor:
        for done, lo in enumerate(starts, start=1):
            cursor.execute(sql, {**params, "lo": lo, "hi": min(lo + CHUNK_TERMS, bounds[1])})
            if progress:
                progress(done, len(starts))


def insert_adjustment_lines(run: Run) -> None:
    """Adjustments not yet carried by a live line, for grids under the run's region and
    months up to the run's, become lines of their own."""
    pending = (Adjustment.objects.filter(grid__community__code__startswith=run.region.prefix,
                                         period__lte=run.period, approved_by__isnull=True,
                                         withdrawn_at__isnull=True)
               .exclude(lines__live=True).order_by("id"))
    RunLine.objects.bulk_create(
        RunLine(run=run, kind=RunLine.Kind.ADJUSTMENT, period=run.period, leader_id=a.leader_id,
                grid_id=a.grid_id, adjustment=a, adjustments=a.amount, net=a.amount,
                note=a.reason[:255])
        for a in pending.iterator(chunk_size=1000))


def insert_carried_lines(run: Run) -> None:
    """Shortfalls of approved runs of earlier months, for grids under the run's region and
    not yet carried by a live line, become deductions of their own: the payee's next run
    takes over what they could not be paid below 0.00."""
    shortfalls = (Payment.objects.filter(grid__community__code__startswith=run.region.prefix,
                                         run__status__in=Run.FROZEN, run__period__lt=run.period,
                                         shortfall__gt=0)
                  .exclude(carried_by__live=True).select_related("run").order_by("id"))
    RunLine.objects.bulk_create(
        RunLine(run=run, kind=RunLine.Kind.CARRIED, period=run.period, leader_id=p.leader_id,
                grid_id=p.grid_id, carried_from=p, adjustments=-p.shortfall, net=-p.shortfall,
                note=p.run.number)
        for p in shortfalls.iterator(chunk_size=1000))


def _payments_sql() -> str:
    """One payment per payee, in the order of their first line, from the lines' net in
    integer fen; a shortfall belongs to the payee's lowest grid id (any of their grids
    would do: it only decides which region's next run carries it). The bank details stay
    blank until the run is approved."""
    vendor = _vendor()
    money = MONEY_SQL[vendor]
    net_fen = SUM_FEN_SQL[vendor].format(col="net")
    return f"""
        INSERT INTO {Payment._meta.db_table}
               (run_id, position, leader_id, grid_id, amount, shortfall, line_count,
                days_served, account_name, bank_name, account_number)
        SELECT %(run)s, ROW_NUMBER() OVER (ORDER BY first_line), leader_id, grid_id,
               {money.format(fen="CASE WHEN fen > 0 THEN fen ELSE 0 END")},
               {money.format(fen="CASE WHEN fen < 0 THEN -fen ELSE 0 END")},
               lines, days, '', '', ''
        FROM (
          SELECT leader_id, MIN(id) AS first_line, COUNT(*) AS lines, {net_fen} AS fen,
                 SUM(days_served) AS days,
                 MIN(grid_id) AS grid_id
          FROM {RunLine._meta.db_table}
          WHERE run_id = %(run)s
          GROUP BY leader_id
        ) payee
        ORDER BY first_line"""


def insert_payments(run: Run) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_payments_sql(), {"run": run.pk})


def totals(run: Run) -> Totals:
    """Count and sums of the run's lines and payments, exactly, in integer fen."""
    vendor = _vendor()
    sums = ", ".join(SUM_FEN_SQL[vendor].format(col=c)
                     for c in ("base", "withheld", "adjustments", "net"))
    paid = ", ".join(SUM_FEN_SQL[vendor].format(col=c) for c in ("amount", "shortfall"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), {sums} FROM {RunLine._meta.db_table} WHERE run_id = %s",
                       [run.pk])
        count, base, withheld, adjustments, net = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*), {paid} FROM {Payment._meta.db_table} "
                       f"WHERE run_id = %s", [run.pk])
        payments, amount, shortfall = cursor.fetchone()
    return Totals(count, int(base), int(withheld), int(adjustments), int(net), payments,
                  int(amount), int(shortfall))
