"""Who leads a grid: appointing a leader and ending a term, each leaving a history row.
Payroll pays by these dates, so a term is never deleted or silently rewritten; a
handover ends the open term the day before the new one starts."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Forbidden, InvalidTransition
from gridapp.errors import TermOverlaps
from gridapp.models import Grid, GridEvent, LeaderTerm
from gridapp.selectors.roles import roles_of


def may_appoint(actor: User, grid: Grid) -> bool:
    """Administrators and the dispatchers of a region above the grid."""
    return roles_of(actor).dispatches(grid.community.code)


def check_appointment(grid: Grid, start_date: dt.date) -> None:
    """A new term may only follow the grid's terms: it may start after the open term
    starts (the handover ends that one), never inside or before a closed one."""
    later = LeaderTerm.objects.filter(grid=grid).filter(
        Q(start_date__gte=start_date) | Q(end_date__gte=start_date))
    if later.exists():
        raise TermOverlaps()


@transaction.atomic
def appoint_leader(grid: Grid, user: User, *, start_date: dt.date, actor: User,
                   note: str = "") -> LeaderTerm:
    _require_appointer(actor, grid)
    Grid.objects.select_for_update().filter(pk=grid.pk).get()  # one appointment at a time
    open_term = LeaderTerm.objects.filter(grid=grid, end_date__isnull=True,
                                          start_date__lt=start_date).first()
    if open_term is not None:
        _end(open_term, end_date=start_date - dt.timedelta(days=1), actor=actor,
             note=note or _("handed over"))
    check_appointment(grid, start_date)
    term = LeaderTerm.objects.create(grid=grid, user=user, start_date=start_date)
    GridEvent.objects.create(grid=grid, action=GridEvent.Action.TERM_APPOINTED, subject=user,
                             actor=actor, term=term, note=note)
    return term


@transaction.atomic
def end_term(term: LeaderTerm, *, end_date: dt.date, actor: User, note: str = "") -> LeaderTerm:
    """`end_date` is the last day served. Only an open term ends; an ended one stays."""
    _require_appointer(actor, term.grid)
    return _end(term, end_date=end_date, actor=actor, note=note)


def _end(term: LeaderTerm, *, end_date: dt.date, actor: User, note: str) -> LeaderTerm:
    if end_date < term.start_date:
        raise InvalidTransition(_("A term cannot end before it starts."))
    ended = LeaderTerm.objects.filter(pk=term.pk, end_date__isnull=True).update(end_date=end_date)
    if not ended:
        raise InvalidTransition(_("This leader term has already ended."))
    term.refresh_from_db()
    GridEvent.objects.create(grid=term.grid, action=GridEvent.Action.TERM_ENDED,
                             subject=term.user, actor=actor, term=term, note=note)
    return term


def _require_appointer(actor: User, grid: Grid) -> None:
    if not may_appoint(actor, grid):
        raise Forbidden(_("Only an administrator or a command centre above the grid "
                          "appoints its leader."))
