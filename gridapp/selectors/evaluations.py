"""Department scorecards (四象限评价): what a department did with the reports of a region
in a period, counted from the timeline (docs/evaluation.md "Scorecards").

A department's reports in a period are the reports of the region dispatched to it in the
period; each is measured from its first dispatch to the department in the period. The
facts of every (department, report) pair come from one statement (two GROUP BYs over the
timeline); the figures are sums and percentiles of those facts, computed in Python
because SQLite has no percentile function, and are stored with the facts (the lines), so
that each figure can be recomputed from the reports behind it.
"""

import calendar
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import connections
from django.db.models import F, Min, Q, QuerySet

from accounts.models import User
from gridapp import divisions
from gridapp.models import Department, Publication, Region, Report, ReportEvent, Scorecard
from gridapp.selectors.days import day_bounds, during
from gridapp.selectors.roles import roles_of

HOURS = Decimal("0.01")
MICROSECONDS_AN_HOUR = Decimal(3_600_000_000)
RATE = Decimal("0.0001")
MEAN = Decimal("0.01")
Action = ReportEvent.Action
PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?P<month>0[1-9]|1[0-2])|-Q(?P<quarter>[1-4]))?",
                    re.ASCII)


@dataclass(frozen=True)
class Period:
    label: str  # 2026-11, 2026-Q4 or 2026
    first: dt.date
    last: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return day_bounds(self.first, self.last)


def parse_period(text: str) -> Period | None:
    """A month (2026-11), a quarter (2026-Q4) or a year (2026); None when malformed."""
    match = PERIOD.fullmatch(text)
    if match is None or not 2000 <= int(match["year"]) <= 2100:
        return None
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        return Period(text, dt.date(year, month, 1),
                      dt.date(year, month, calendar.monthrange(year, month)[1]))
    if match["quarter"]:
        first_month = 3 * int(match["quarter"]) - 2
        last_month = first_month + 2
        return Period(text, dt.date(year, first_month, 1),
                      dt.date(year, last_month, calendar.monthrange(year, last_month)[1]))
    return Period(text, dt.date(year, 1, 1), dt.date(year, 12, 31))


def last_month(today: dt.date) -> Period:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return parse_period(f"{end:%Y-%m}")


# --- the facts of every report behind the figures ------------------------------------


class Fact(NamedTuple):
    """What one report contributed to a department's scorecard (a tuple: a month of a
    city's makes 86,000 of them)."""

    report_id: int
    dispatched_at: dt.datetime
    started_at: dt.datetime | None
    response_hours: Decimal | None
    effective: bool
    on_time: bool | None
    rating: int | None
    returns: int
    reopens: int


def facts_by_department(region: Region, period: Period) -> dict[int, list[Fact]]:
    """Department id → the facts of its reports in the region and period, by report id."""
    facts: dict[int, list[Fact]] = defaultdict(list)
    for row in _first_dispatches(region, period):
        facts[row[1]].append(_fact(*row))
    return dict(facts)


REPORT = ("status", "department", "resolved_at", "due_at", "rating")  # as it stands now


def _first_dispatches(region: Region, period: Period) -> list[tuple]:
    """One row per (report, department) dispatched in the period: the first dispatch's
    time, what the department did from then on (its first start, its returns, the
    reopens) and the report as it stands.

    Two GROUP BYs in one statement: the first dispatches (the ORM's, over the timeline's
    action index), then the later events of each pair gathered in one pass; a statement
    of our own because Django joins no aggregate subquery."""
    bounds = period.bounds()
    first = (ReportEvent.objects
             .filter(divisions.under_q("report__region_code", (region.prefix,)),
                     during("at", bounds),
                     action=Action.DISPATCH, department__isnull=False)
             .values("report_id", "department_id",
                     **{f"now_{name}": F(f"report__{name}") for name in REPORT})
             .annotate(first_at=Min("at")).order_by())
    first_sql, first_params = first.query.sql_with_params()
    now = ", ".join(f"f.now_{name}" for name in REPORT)
    sql = f"""
        SELECT f.report_id, f.department_id, f.first_at,
               MIN(CASE WHEN x.action = %s THEN x.at END),
               COUNT(CASE WHEN x.action = %s THEN 1 END),
               COUNT(CASE WHEN x.action = %s THEN 1 END),
               {now}
        FROM ({first_sql}) AS f
        LEFT JOIN {ReportEvent._meta.db_table} x
             ON x.report_id = f.report_id AND x.department_id = f.department_id
             AND x.action IN (%s, %s, %s) AND x.at >= %s AND x.at >= f.first_at
        GROUP BY f.report_id, f.department_id, f.first_at, {now}
        ORDER BY f.department_id, f.report_id"""
    later = (Action.START, Action.RETURN, Action.REOPEN)
    connection = connections[first.db]
    # A raw statement's parameters are not the ORM's: the moment goes as the database
    # keeps it (on SQLite UTC text; Python's own adapter would write Beijing's wall time
    # with its offset, which text comparison reads as eight hours later).
    since = connection.ops.adapt_datetimefield_value(bounds[0])
    with connection.cursor() as cursor:
        cursor.execute(sql, (*later, *first_params, *later, since))
        rows = cursor.fetchall()
    if connection.vendor != "sqlite":
        return rows
    # SQLite hands a raw statement's timestamps over naive (UTC), its aggregates as text
    return [(report, department, _moment(at), _moment(started), *rest, _moment(resolved),
             _moment(due), rating)
            for report, department, at, started, *rest, resolved, due, rating in rows]


def _moment(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return None if value is None else value.replace(tzinfo=dt.UTC)


def _fact(report_id: int, department_id: int, dispatched_at: dt.datetime,
          started_at: dt.datetime | None, returns: int, reopens: int, status: str,
          current_department: int | None, resolved_at: dt.datetime | None,
          due_at: dt.datetime | None, rating: int | None) -> Fact:
    finished = (current_department == department_id
                and status in (Report.Status.RESOLVED, Report.Status.CLOSED))
    return Fact(
        report_id=report_id, dispatched_at=dispatched_at, started_at=started_at,
        response_hours=_hours(started_at - dispatched_at) if started_at else None,
        effective=(finished and status == Report.Status.CLOSED and not returns and not reopens),
        on_time=(due_at is None or resolved_at is None or resolved_at <= due_at)
        if finished else None,
        rating=rating if finished else None, returns=returns, reopens=reopens)


def _hours(delta: dt.timedelta) -> Decimal:
    """To the hundredth, half up, from the exact microseconds (no float on the way)."""
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return (Decimal(microseconds) / MICROSECONDS_AN_HOUR).quantize(HOURS, rounding=ROUND_HALF_UP)


# --- the figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    fast_hours: Decimal
    effect_rate: Decimal
    min_reports: int


def figures(facts: list[Fact], thresholds: Thresholds) -> dict:
    """A scorecard's figures from its facts (the columns of `Scorecard`)."""
    hours = sorted(f.response_hours for f in facts if f.response_hours is not None)
    timed = [f.on_time for f in facts if f.on_time is not None]
    ratings = [f.rating for f in facts if f.rating is not None]
    values = {
        "reports": len(facts),
        "response_hours_median": percentile(hours, Decimal("0.5")),
        "response_hours_p90": percentile(hours, Decimal("0.9")),
        "effect_rate": _ratio(sum(f.effective for f in facts), len(facts), RATE),
        "on_time_rate": _ratio(sum(timed), len(timed), RATE),
        "rating_mean": _ratio(sum(ratings), len(ratings), MEAN),
        "returns": sum(f.returns for f in facts),
        "reopens": sum(f.reopens for f in facts),
        "too_few_reports": len(facts) < thresholds.min_reports,
    }
    values["quadrant"] = None if values["too_few_reports"] else quadrant(
        values["response_hours_median"], values["effect_rate"], thresholds)
    return values


def quadrant(median: Decimal | None, effect_rate: Decimal, thresholds: Thresholds) -> str:
    """A fast and effective, B slow but effective, C fast but ineffective, D neither. A
    department that started none of its reports is slow."""
    fast = median is not None and median <= thresholds.fast_hours
    effective = effect_rate >= thresholds.effect_rate
    return {(True, True): "A", (False, True): "B", (True, False): "C", (False, False): "D"}[
        (fast, effective)]


def percentile(values: list[Decimal], p: Decimal) -> Decimal | None:
    """Linear interpolation between the closest ranks of sorted `values` (what
    PostgreSQL's percentile_cont computes); None for no values."""
    if not values:
        return None
    position = p * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    value = values[low] + (values[high] - values[low]) * (position - low)
    return value.quantize(HOURS, rounding=ROUND_HALF_UP)


def _ratio(part: int, whole: int, places: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places, rounding=ROUND_HALF_UP)


def departments_to_score(region: Region, with_reports: set[int]) -> QuerySet[Department]:
    """The region's own departments (and those under it), placed or not, and every other
    department that had reports of the region in the period."""
    return (Department.objects
            .filter(divisions.under_q("region__code", (region.prefix,)) | Q(pk__in=with_reports))
            .order_by("code"))


# --- reading what was published --------------------------------------------------------


def may_publish(user: User, region: Region) -> bool:
    """The command centres of the region or above it, and administrators."""
    return roles_of(user).dispatches(region.code)


def visible_scorecards(user: User) -> QuerySet[Scorecard]:
    """Scorecards of regions the user dispatches over, and their own department's."""
    roles = roles_of(user)
    base = Scorecard.objects.select_related("publication__region", "department")
    if roles.is_admin:
        return base
    over = divisions.under_q("publication__region__code",
                             tuple(r.prefix for r in roles.dispatcher_regions))
    return base.filter(over | Q(department__in=[d.pk for d in roles.handler_departments]))


def scorecards_for(user: User, *, region: Region, period: Period,
                   version: int | None = None) -> QuerySet[Scorecard]:
    """The region's scorecards of one publication (the latest unless `version`) as the
    user may read them: every department's for its command centres, their own for a
    department's staff."""
    publications = Publication.objects.filter(region=region, period=period.label)
    if version is not None:
        publications = publications.filter(version=version)
    publication = publications.order_by("-version").first()
    if publication is None:
        return Scorecard.objects.none()
    cards = Scorecard.objects.filter(publication=publication).select_related(
        "publication__region", "department").order_by("department__code")
    if may_publish(user, region):
        return cards
    return cards.filter(department__in=[d.pk for d in roles_of(user).handler_departments])


def may_read(user: User, region: Region) -> bool:
    roles = roles_of(user)
    return may_publish(user, region) or bool(roles.handler_departments)
