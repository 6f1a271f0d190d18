"""Leader performance: what each leader term achieved in a year, computed from reports.

Nothing here is typed in by anyone (减负: appraisal that costs the grassroots no forms);
the year-end second distribution (payroll) scores leaders from it. One statement for
every term under a region, whatever the number of terms and reports: the terms, joined
to three GROUP BYs that join the year's reports (and memberships) to the term whose days
they fall in, so no report is ever loaded into Python and no term is queried alone.

A term's window is its days within the year, up to `as_of` for the year in progress.
Its reports are those filed in the window, in its grid, by the leader or by a member of
the grid (active or since left), rejected reports and merged duplicates excluded.

The statement is written by hand: built by the ORM, its three GROUP BYs cost 13 ms of
Python for each call, three times the database's work for one grid
(docs/performance.md).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from django.utils.duration import duration_microseconds

from accounts.models import User
from gridapp import divisions
from gridapp.models import Grid, GridMembership, LeaderTerm, Region, Report
from gridapp.selectors.days import day_bounds, fixed_offset, shift, shifted_day
from gridapp.selectors.roles import roles_of

RATE = Decimal("0.0001")
MEAN = Decimal("0.01")
DONE = (Report.Status.RESOLVED, Report.Status.CLOSED)
NOT_COUNTED = (Report.Status.REJECTED, Report.Status.DUPLICATE)
MEMBERS = (GridMembership.Status.ACTIVE, GridMembership.Status.LEFT)
# Every key is present in every term's metrics (None where a rate has no reports).
METRICS = ("reports_filed", "resolved_rate", "on_time_rate", "verified_in_window_rate",
           "rating_mean", "reopen_rate", "members_recruited")


@dataclass(frozen=True)
class TermPerformance:
    term_id: int
    leader_id: int
    grid_id: int
    start: dt.date  # the term's first day within the year
    end: dt.date  # its last day within the year (inclusive), or `as_of`
    days_served: int
    metrics: dict[str, int | Decimal | None]


def leader_performance(*, year: int, region: Region, grid: Grid | None = None,
                       as_of: dt.date | None = None) -> list[TermPerformance]:
    """Every leader term that overlaps `year` for grids under `region` (or of one `grid`
    of it), by term id."""
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of or timezone.localdate())
    if last < first:
        return []
    return [_performance(row, first, last) for row in _terms_counted(region, grid, first, last)]


def may_read(user: User, grid: Grid) -> bool:
    """The grid's current leader, and the command centres and finance over it."""
    roles = roles_of(user)
    code = grid.community.code
    return grid.pk in roles.led_grid_ids or roles.dispatches(code) or roles.finances(code)


def leader_names(terms: list[TermPerformance]) -> dict[int, str]:
    users = User.objects.filter(pk__in={term.leader_id for term in terms})
    return {user.pk: str(user) for user in users}


# The figures of each term, by term: the columns `_performance` reads, in this order.
COUNTS = ("n_filed", "n_done", "n_on_time", "n_reopened", "n_rated", "rating_sum",
          "n_resolved_in_window", "n_verified_in_window", "n_recruited")

# The terms, written into the statement wherever it joins them: as a CTE SQLite would
# materialize them and join one grid's term to every report of the year (50 ms against 1).
TERMS = """(
        SELECT t.id, t.user_id, t.grid_id, t.start_date, t.end_date
        FROM gridapp_leaderterm t
        JOIN gridapp_grid g ON g.id = t.grid_id
        JOIN gridapp_region c ON c.id = g.community_id
        WHERE c.code BETWEEN %(low)s AND %(high)s {one_grid}
          AND t.start_date <= %(last)s AND (t.end_date IS NULL OR t.end_date >= %(first)s))"""

STATEMENT = """
    SELECT t.id, t.user_id, t.grid_id, t.start_date, t.end_date,
           f.n_filed, f.n_done, f.n_on_time, f.n_reopened, f.n_rated, f.rating_sum,
           v.n_resolved_in_window, v.n_verified_in_window, m.n_recruited
    FROM {terms} t
    LEFT JOIN (
        SELECT t.id AS term, COUNT(*) AS n_filed,
               COUNT(CASE WHEN r.status IN ({done}) THEN 1 END) AS n_done,
               COUNT(CASE WHEN r.status IN ({done})
                          AND (r.due_at IS NULL OR r.resolved_at <= r.due_at) THEN 1 END)
                   AS n_on_time,
               COUNT(CASE WHEN r.reopened THEN 1 END) AS n_reopened,
               COUNT(r.rating) AS n_rated, SUM(r.rating) AS rating_sum
        FROM {terms} t JOIN gridapp_report r ON r.grid_id = t.grid_id
        WHERE {filed_in_term} {reports_of_grid} AND r.status NOT IN ({not_counted})
          AND (r.reporter_id = t.user_id OR EXISTS (
                SELECT 1 FROM gridapp_gridmembership m
                WHERE m.user_id = r.reporter_id AND m.grid_id = r.grid_id
                  AND m.status IN ({members})))
        GROUP BY t.id) f ON f.term = t.id
    LEFT JOIN (
        SELECT t.id AS term, COUNT(*) AS n_resolved_in_window,
               COUNT(CASE WHEN EXISTS (
                   SELECT 1 FROM gridapp_reportevent e
                   WHERE e.report_id = r.id AND e.action = 'verify' AND e.actor_id = t.user_id
                     AND e.at <= {verify_by}) THEN 1 END) AS n_verified_in_window
        FROM {terms} t JOIN gridapp_report r ON r.grid_id = t.grid_id
        WHERE {resolved_in_term} {reports_of_grid}
        GROUP BY t.id) v ON v.term = t.id
    LEFT JOIN (
        SELECT t.id AS term, COUNT(*) AS n_recruited
        FROM {terms} t JOIN gridapp_gridmembership m ON m.grid_id = t.grid_id
        WHERE {recruited_in_term} AND m.status = 'active'
        GROUP BY t.id) m ON m.term = t.id
    ORDER BY t.id"""


def _terms_counted(region: Region, grid: Grid | None, first: dt.date,
                   last: dt.date) -> list[tuple]:
    """Per term overlapping the days `first`..`last` (under the region, of the grid if
    given): its id, leader, grid, first and last day (None while it lasts), then COUNTS.
    On the database the ORM would read them from (the replica where a view asks for it)."""
    connection = connections[router.db_for_read(LeaderTerm)]
    day, day_params = _day(connection, fixed_offset(timezone.get_current_timezone(), first, last))
    verify_by, verify_params = _plus("r.resolved_at",
                                     dt.timedelta(days=settings.REPORT_VERIFY_DAYS), connection)
    sql = STATEMENT.format(
        terms=TERMS.format(one_grid="AND t.grid_id = %(grid)s" if grid is not None else ""),
        # the grid named for the reports too: SQLite would otherwise scan every report
        # resolved in the year for one grid's
        reports_of_grid="AND r.grid_id = %(grid)s" if grid is not None else "",
        done=_listed(DONE), not_counted=_listed(NOT_COUNTED), members=_listed(MEMBERS),
        filed_in_term=_in_term("r.created_at", day),
        resolved_in_term=_in_term("r.resolved_at", day),
        recruited_in_term=_in_term("m.decided_at", day),
        verify_by=verify_by)
    low, high = divisions.code_range(region.prefix)
    start, end = (connection.ops.adapt_datetimefield_value(moment)
                  for moment in day_bounds(first, last))
    params = {"low": low, "high": high, "grid": grid and grid.pk,
              "first": connection.ops.adapt_datefield_value(first),
              "last": connection.ops.adapt_datefield_value(last), "start": start, "end": end,
              **day_params, **verify_params}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day(connection, offset: dt.timedelta | None) -> tuple[str, dict]:
    """The day of a moment (`{}` in the template) as the database computes it, and its
    parameters: by the zone's fixed offset over the year where it keeps one (Beijing
    always does; no time zone lookup per row), else by the zone itself."""
    vendor, zone = connection.vendor, timezone.get_current_timezone_name()
    if offset is not None:
        return shifted_day("{}", vendor, "%(shift)s"), {"shift": shift(offset, vendor)}
    if vendor == "postgresql":
        return "({} AT TIME ZONE %(zone)s)::date", {"zone": zone}
    # the function Django registers on SQLite for its own __date
    return ("django_datetime_cast_date({}, %(zone)s, %(db_zone)s)",
            {"zone": zone, "db_zone": connection.timezone_name})


def _in_term(moment: str, day: str) -> str:
    """The row's `moment` falls in the year (`start`, `end`) on a `day` of the term `t`."""
    day = day.format(moment)
    return (f"{moment} >= %(start)s AND {moment} < %(end)s AND {day} >= t.start_date"
            f" AND (t.end_date IS NULL OR {day} <= t.end_date)")


def _plus(column: str, delta: dt.timedelta, connection) -> tuple[str, dict]:
    """`column` + `delta` as the ORM writes it (SQLite has no interval type: Django's
    function over microseconds), and its parameter."""
    if connection.features.has_native_duration_field:
        return f"{column} + %(delta)s", {"delta": delta}
    return (connection.ops.combine_duration_expression("+", [column, "%(delta)s"]),
            {"delta": duration_microseconds(delta)})


def _listed(values: tuple[str, ...]) -> str:
    """Our own constants as an SQL list of literals."""
    return ", ".join(f"'{value}'" for value in values)


def _performance(row: tuple, first: dt.date, last: dt.date) -> TermPerformance:
    term_id, leader_id, grid_id, start, end, *numbers = row
    counts = dict(zip(COUNTS, numbers, strict=True))

    def n(name: str) -> int:
        return counts[name] or 0

    start = max(start, first)
    end = min(end if end is not None else last, last)
    metrics = {
        "reports_filed": n("n_filed"),
        "resolved_rate": _rate(n("n_done"), n("n_filed")),
        "on_time_rate": _rate(n("n_on_time"), n("n_done")),
        "verified_in_window_rate": _rate(n("n_verified_in_window"), n("n_resolved_in_window")),
        "rating_mean": _ratio(n("rating_sum"), n("n_rated"), MEAN),
        "reopen_rate": _rate(n("n_reopened"), n("n_filed")),
        "members_recruited": n("n_recruited"),
    }
    return TermPerformance(term_id=term_id, leader_id=leader_id, grid_id=grid_id, start=start,
                           end=end, days_served=(end - start).days + 1, metrics=metrics)


def _rate(part: int, whole: int) -> Decimal | None:
    return _ratio(part, whole, RATE)


def _ratio(part: int, whole: int, places: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places, rounding=ROUND_HALF_UP)
