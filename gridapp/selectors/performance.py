"""Leader performance: what each leader term achieved in a year, computed from reports.

Nothing here is typed in by anyone (减负: appraisal that costs the grassroots no forms);
the year-end second distribution (payroll) scores leaders from it. Four queries for every
term under a region, whatever the number of terms and reports: the terms, then three
GROUP BY statements that join the year's reports (and memberships) to the term whose
days they fall in, so no report is ever loaded into Python and no term is queried alone.

A term's window is its days within the year, up to `as_of` for the year in progress.
Its reports are those filed in the window, in its grid, by the leader or by a member of
the grid (active or since left), rejected reports and merged duplicates excluded.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone

from accounts.models import User
from gridapp import divisions
from gridapp.models import Grid, GridMembership, LeaderTerm, Region, Report, ReportEvent
from gridapp.selectors.days import day_bounds, during, local_day
from gridapp.selectors.roles import roles_of

RATE = Decimal("0.0001")
MEAN = Decimal("0.01")
DONE = (Report.Status.RESOLVED, Report.Status.CLOSED)
NOT_COUNTED = (Report.Status.REJECTED, Report.Status.DUPLICATE)
MEMBERS = (GridMembership.Status.ACTIVE, GridMembership.Status.LEFT)
# Every key is present in every term's metrics (None where a rate has no reports).
METRICS = ("reports_filed", "resolved_rate", "on_time_rate", "verified_in_window_rate",
           "rating_mean", "reopen_rate", "members_recruited")
TERM = "grid__leader_terms"  # the join from a report's (or membership's) grid to its terms
# The GROUP BYs name up to this many terms by id; beyond it they re-run the terms' query as
# a subquery instead, as each id is a bound parameter and a statement may carry only so
# many: 999 on SQLite before 3.32, 65,535 on PostgreSQL with server-side binding, and a
# city's year-end counts ~105,000 terms. Chunking would cost a query per chunk.
IDS_AT_MOST = 500


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
    terms = LeaderTerm.objects.filter(divisions.under_q("grid__community__code", (region.prefix,)))
    if grid is not None:
        terms = terms.filter(grid=grid)
    terms = terms.filter(Q(end_date__isnull=True) | Q(end_date__gte=first), start_date__lte=last)
    windows = list(terms
                   .annotate(win_start=Greatest("start_date", Value(first),
                                                output_field=DateField()),
                             win_end=Least(Coalesce("end_date", Value(last)), Value(last),
                                           output_field=DateField()))
                   .order_by("pk"))
    if not windows:
        return []
    ids = [term.pk for term in windows]
    chosen = ids if len(ids) <= IDS_AT_MOST else terms.values("pk")
    counts = _counts(chosen, (first, last), grid)
    return [_performance(term, counts.get(term.pk, {})) for term in windows]


def may_read(user: User, grid: Grid) -> bool:
    """The grid's current leader, and the command centres and finance over it."""
    roles = roles_of(user)
    code = grid.community.code
    return grid.pk in roles.led_grid_ids or roles.dispatches(code) or roles.finances(code)


def leader_names(terms: list[TermPerformance]) -> dict[int, str]:
    users = User.objects.filter(pk__in={term.leader_id for term in terms})
    return {user.pk: str(user) for user in users}


def _in_term(moment: str, terms: list[int] | QuerySet, days: tuple[dt.date, dt.date]) -> Q:
    """The row's `moment` falls on a day of one of `terms` (the row's grid's): used in one
    `filter()` call, so that every condition speaks of the same joined term (the terms'
    join first, which the days' comparisons then reuse). The day is the database's
    (`local_day`: on SQLite not Django's Python function per row, a city's year of
    reports over its 105,000 terms). The year's bounds, applied apart, keep the days
    before the year out."""
    day = local_day(moment, *days)
    return (Q(**{f"{TERM}__in": terms})
            & Q(GreaterThanOrEqual(day, F(f"{TERM}__start_date")))
            & (Q(**{f"{TERM}__end_date__isnull": True})
               | Q(LessThanOrEqual(day, F(f"{TERM}__end_date")))))


def _counts(terms: list[int] | QuerySet, days: tuple[dt.date, dt.date],
            grid: Grid | None) -> dict[int, dict[str, int]]:
    """Per term id, the counts its metrics are made of (a term missing has none), from
    the `days` of the year it is asked about."""
    year = day_bounds(*days)
    reports = Report.objects.filter(grid=grid) if grid is not None else Report.objects.all()
    member = GridMembership.objects.filter(user=OuterRef("reporter"), grid=OuterRef("grid"),
                                           status__in=MEMBERS)
    done = Q(status__in=DONE)
    filed = (reports
             .filter(during("created_at", year))
             .exclude(status__in=NOT_COUNTED)
             .filter(_in_term("created_at", terms, days),
                     Q(reporter=F(f"{TERM}__user")) | Q(Exists(member)))
             .values(term=F(TERM))
             .annotate(n_filed=Count("pk"),
                       n_done=Count("pk", filter=done),
                       n_on_time=Count("pk", filter=done & (Q(due_at__isnull=True)
                                                            | Q(resolved_at__lte=F("due_at")))),
                       n_reopened=Count("pk", filter=Q(reopened=True)),
                       n_rated=Count("rating"),
                       rating_sum=Sum("rating", default=0)))
    verified_by_leader = ReportEvent.objects.filter(
        report=OuterRef("pk"), action=ReportEvent.Action.VERIFY, actor=OuterRef(f"{TERM}__user"),
        at__lte=OuterRef("resolved_at") + dt.timedelta(days=settings.REPORT_VERIFY_DAYS))
    resolved = (reports
                .filter(during("resolved_at", year))
                .filter(_in_term("resolved_at", terms, days))
                .values(term=F(TERM))
                .annotate(n_resolved_in_window=Count("pk"),
                          n_verified_in_window=Count("pk", filter=Q(Exists(verified_by_leader)))))
    recruited = (GridMembership.objects
                 .filter(during("decided_at", year), status=GridMembership.Status.ACTIVE)
                 .filter(_in_term("decided_at", terms, days))
                 .values(term=F(TERM))
                 .annotate(n_recruited=Count("pk")))
    counts: dict[int, dict[str, int]] = {}
    for rows in (filed, resolved, recruited):
        for row in rows:
            counts.setdefault(row.pop("term"), {}).update(row)
    return counts


def _performance(term: LeaderTerm, counts: dict[str, int]) -> TermPerformance:
    def n(name: str) -> int:
        return counts.get(name, 0)

    metrics = {
        "reports_filed": n("n_filed"),
        "resolved_rate": _rate(n("n_done"), n("n_filed")),
        "on_time_rate": _rate(n("n_on_time"), n("n_done")),
        "verified_in_window_rate": _rate(n("n_verified_in_window"), n("n_resolved_in_window")),
        "rating_mean": _ratio(n("rating_sum"), n("n_rated"), MEAN),
        "reopen_rate": _rate(n("n_reopened"), n("n_filed")),
        "members_recruited": n("n_recruited"),
    }
    return TermPerformance(term_id=term.pk, leader_id=term.user_id, grid_id=term.grid_id,
                           start=term.win_start, end=term.win_end,
                           days_served=(term.win_end - term.win_start).days + 1, metrics=metrics)


def _rate(part: int, whole: int) -> Decimal | None:
    return _ratio(part, whole, RATE)


def _ratio(part: int, whole: int, places: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places, rounding=ROUND_HALF_UP)
