"""Leader performance: what each leader term achieved in a year, computed from reports.

Nothing here is typed in by anyone (减负: appraisal that costs the grassroots no forms);
the year-end second distribution (payroll) scores leaders from it. One query for every
term under a region, whatever the number of reports: each metric is a correlated
aggregate over the term's grid and days, so no report is ever loaded into Python.

A term's window is its days within the year, up to `as_of` for the year in progress.
Its reports are those filed in the window, in its grid, by the leader or by a member of
the grid (active or since left), rejected reports and merged duplicates excluded.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (DateField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery,
                              Sum, Value)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from accounts.models import User
from gridapp import divisions
from gridapp.models import Grid, GridMembership, LeaderTerm, Region, Report, ReportEvent
from gridapp.selectors.evaluations import day_bounds
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
    terms = LeaderTerm.objects.filter(divisions.under_q("grid__community__code", (region.prefix,)))
    if grid is not None:
        terms = terms.filter(grid=grid)
    terms = (terms
             .filter(Q(end_date__isnull=True) | Q(end_date__gte=first), start_date__lte=last)
             .annotate(win_start=Greatest("start_date", Value(first), output_field=DateField()),
                       win_end=Least(Coalesce("end_date", Value(last)), Value(last),
                                     output_field=DateField()))
             .annotate(**_aggregates(day_bounds(first, last)))
             .order_by("pk"))
    return [_performance(term) for term in terms]


def may_read(user: User, grid: Grid) -> bool:
    """The grid's current leader, and the command centres and finance over it."""
    roles = roles_of(user)
    code = grid.community.code
    return grid.pk in roles.led_grid_ids or roles.dispatches(code) or roles.finances(code)


def leader_names(terms: list[TermPerformance]) -> dict[int, str]:
    users = User.objects.filter(pk__in={term.leader_id for term in terms})
    return {user.pk: str(user) for user in users}


def _term_reports(year: tuple[dt.datetime, dt.datetime]) -> QuerySet[Report]:
    """The reports of the outer term: its grid, its window, its leader or members. The
    year's bounds as moments let the (grid, created_at) index find them; the term's
    window, in dates, then narrows them."""
    member = GridMembership.objects.filter(user=OuterRef("reporter"), grid=OuterRef("grid"),
                                           status__in=MEMBERS)
    return (Report.objects
            .filter(grid=OuterRef("grid"), created_at__range=year)
            .filter(created_at__date__gte=OuterRef("win_start"),
                    created_at__date__lte=OuterRef("win_end"))
            .exclude(status__in=NOT_COUNTED)
            .filter(Q(reporter=OuterRef("user")) | Q(Exists(member))))


def _aggregates(year: tuple[dt.datetime, dt.datetime]) -> dict:
    reports = _term_reports(year)
    done = reports.filter(status__in=DONE)
    reopened = ReportEvent.objects.filter(report=OuterRef("pk"), action=ReportEvent.Action.REOPEN)
    resolved_in_window = Report.objects.filter(
        grid=OuterRef("grid"), resolved_at__range=year,
        resolved_at__date__gte=OuterRef("win_start"),
        resolved_at__date__lte=OuterRef("win_end"))
    verified_by_leader = ReportEvent.objects.filter(
        report=OuterRef("pk"), action=ReportEvent.Action.VERIFY, actor=OuterRef(OuterRef("user")),
        at__lte=OuterRef("resolved_at") + dt.timedelta(days=settings.REPORT_VERIFY_DAYS))
    recruited = GridMembership.objects.filter(
        grid=OuterRef("grid"), status=GridMembership.Status.ACTIVE, decided_at__range=year,
        decided_at__date__gte=OuterRef("win_start"), decided_at__date__lte=OuterRef("win_end"))
    rated = reports.filter(rating__isnull=False)
    return {
        "n_filed": _count(reports),
        "n_done": _count(done),
        "n_on_time": _count(done.filter(Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at")))),
        "n_reopened": _count(reports.filter(Exists(reopened))),
        "n_rated": _count(rated),
        "rating_sum": Coalesce(Subquery(rated.values("grid").annotate(total=Sum("rating"))
                                        .values("total")[:1]), 0),
        "n_resolved_in_window": _count(resolved_in_window),
        "n_verified_in_window": _count(resolved_in_window.filter(Exists(verified_by_leader))),
        "n_recruited": _count(recruited),
    }


class _Count(Subquery):
    """COUNT(*) of a correlated subquery, 0 when it has no rows."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def _count(reports: QuerySet) -> _Count:
    return _Count(reports.values("pk"))


def _performance(term: LeaderTerm) -> TermPerformance:
    metrics = {
        "reports_filed": term.n_filed,
        "resolved_rate": _rate(term.n_done, term.n_filed),
        "on_time_rate": _rate(term.n_on_time, term.n_done),
        "verified_in_window_rate": _rate(term.n_verified_in_window, term.n_resolved_in_window),
        "rating_mean": _ratio(term.rating_sum, term.n_rated, MEAN),
        "reopen_rate": _rate(term.n_reopened, term.n_filed),
        "members_recruited": term.n_recruited,
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
