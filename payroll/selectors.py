"""Reads scoped to what the requester may see: finance staff see the runs of regions
under theirs (administrators all), a leader only their own lines."""

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import User
from gridapp.divisions import under_q
from gridapp.models import Region
from gridapp.selectors.roles import roles_of

from .models import Adjustment, BankAccountChange, Payment, Run, RunEvent, RunLine, Suspension

USERS_OF_RUN = ("prepared_by", "submitted_by", "approved_by", "paid_by")


def _finance_prefixes(user: User) -> tuple[str, ...] | None:
    """Region prefixes the user handles money for; None means every region."""
    roles = roles_of(user)
    return None if roles.is_admin else tuple(r.prefix for r in roles.finance_regions)


def _scoped(queryset: QuerySet, user: User, field: str) -> QuerySet:
    prefixes = _finance_prefixes(user)
    return queryset if prefixes is None else queryset.filter(under_q(field, prefixes))


def visible_runs(user: User) -> QuerySet[Run]:
    return _scoped(Run.objects.select_related("region", *USERS_OF_RUN), user, "region__code")


def runs_for(user: User, *, period: dt.date | None = None, region: Region | None = None,
             status: str | None = None) -> QuerySet[Run]:
    """The run list: visible runs, newest period first, narrowed by the filters given."""
    filters = {"period": period, "region": region, "status": status}
    runs = visible_runs(user).filter(**{k: v for k, v in filters.items() if v is not None})
    return runs.order_by("-period", "region__code", "-id")


def run_lines(run: Run) -> QuerySet[RunLine]:
    return run.lines.select_related("leader", "grid").order_by("id")


def run_payments(run: Run) -> QuerySet[Payment]:
    return run.payments.select_related("leader", "grid").order_by("position")


def run_events(run: Run) -> QuerySet[RunEvent]:
    return run.events.select_related("actor").order_by("id")


def my_lines(user: User, *, year: int | None = None) -> QuerySet[RunLine]:
    """A leader's lines in approved and paid runs (drafts still change), of one year if
    given."""
    lines = RunLine.objects.filter(leader=user, live=True, run__status__in=Run.FROZEN)
    if year is not None:
        lines = lines.filter(period__year=year)
    return lines.select_related("run", "grid").order_by("-period", "id")


def visible_adjustments(user: User) -> QuerySet[Adjustment]:
    """With `run_id`: the live run carrying each adjustment, if any."""
    carrying = RunLine.objects.filter(adjustment=OuterRef("pk"), live=True).values("run_id")[:1]
    adjustments = Adjustment.objects.select_related("leader", "grid", "prepared_by",
                                                    "approved_by")
    return _scoped(adjustments, user, "grid__community__code").annotate(
        run_id=Subquery(carrying))


def adjustments_for(user: User, *, leader: int | None = None) -> QuerySet[Adjustment]:
    """The adjustment list: visible adjustments, newest first, of one leader if given."""
    adjustments = visible_adjustments(user)
    if leader is not None:
        adjustments = adjustments.filter(leader_id=leader)
    return adjustments.order_by("-created_at", "-id")


def _of_leaders_led_here(queryset: QuerySet, user: User) -> QuerySet:
    """Rows about leaders who led a grid under the user's regions at some time."""
    prefixes = _finance_prefixes(user)
    if prefixes is None:
        return queryset
    led_here = under_q("leader__leader_terms__grid__community__code", prefixes)
    return queryset.filter(pk__in=queryset.model.objects.filter(led_here).values("pk"))


def visible_suspensions(user: User) -> QuerySet[Suspension]:
    return _of_leaders_led_here(Suspension.objects.select_related("leader", "created_by"), user)


def visible_bank_account_changes(user: User) -> QuerySet[BankAccountChange]:
    """Bank account requests and decisions about leaders under the user's regions,
    newest first: each leader's account history."""
    changes = BankAccountChange.objects.select_related("leader", "requested_by", "decided_by")
    return _of_leaders_led_here(changes, user).order_by("-requested_at", "-id")


def has_finance_role(user: User) -> bool:
    roles = roles_of(user)
    return roles.is_admin or bool(roles.finance_regions)

