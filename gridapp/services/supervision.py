"""Supervision (督办) and the automatic close: the periodic sweeps over open reports.

Each sweep works in batches, one transaction per batch, skipping rows another
transaction holds (`config.db.skip_locked`); each handler re-checks its condition in
its conditional UPDATE, so a sweep is safe to run twice and beside users' transitions.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.errors import InvalidTransition
from config.db import skip_locked
from gridapp.lifecycle import TOP_LEVEL, TRANSITIONS, Action, Status
from gridapp.models import Report

from .transitions import Step, commit, escalate, record_event

SWEEP_BATCH = 100


@dataclass(frozen=True)
class Supervision:
    flagged: int
    escalated: int


def supervise(now: datetime | None = None) -> Supervision:
    """Flag open reports past due (supervision event, the department and the level's
    dispatchers notified), and submitted ones never accepted past their receiving time
    limit; escalate those still open a second full SLA period later.
    Idempotent: a flagged report is not flagged again, an escalated one has a new clock."""
    now = now or timezone.now()
    open_overdue = Report.objects.filter(status__in=Report.OPEN_STATUSES, due_at__lt=now)
    flagged = _sweep(open_overdue.filter(supervised_at__isnull=True),
                     lambda report: _flag_overdue(report, now))
    # Not accepted within the receiving time limit (受理), from the first minute.
    flagged += _sweep(Report.objects.filter(status=Status.SUBMITTED, due_at__isnull=True,
                                            accept_due_at__lt=now, supervised_at__isnull=True),
                      lambda report: _flag_unaccepted(report, now))
    # Flagged by an earlier run (not this one): the department hears of it before the
    # report leaves them, even when the sweep missed the whole first period.
    escalated = _sweep(open_overdue.filter(status__in=TRANSITIONS[Action.ESCALATE][0],
                                           supervised_at__lt=now).exclude(level=TOP_LEVEL),
                       lambda report: _escalate_overdue(report, now))
    return Supervision(flagged, escalated)


def close_unverified(now: datetime | None = None) -> int:
    """Resolved reports nobody verified or reopened within REPORT_VERIFY_DAYS: closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REPORT_VERIFY_DAYS)
    return _sweep(Report.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff),
                  lambda report: _close_unverified(report, now))


def _sweep(candidates: QuerySet[Report], handle: Callable[[Report], bool]) -> int:
    """Run `handle` on every candidate, a batch per transaction. Rows another
    transaction holds (a user's transition, a second sweeper) are skipped on PostgreSQL
    and left for the next run; each handler re-checks its condition in its UPDATE."""
    done, after = 0, 0
    while True:
        with transaction.atomic():
            ids = list(skip_locked(candidates.filter(pk__gt=after).order_by("pk"))
                       .values_list("pk", flat=True)[:SWEEP_BATCH])
            if not ids:
                return done
            after = ids[-1]
            for report in Report.objects.filter(pk__in=ids).select_related("category__parent",
                                                                            "department"):
                done += handle(report)


def _flag_overdue(report: Report, now: datetime) -> bool:
    return _flag(report, now, Q(due_at=report.due_at), department=report.department,
                 note=_("Overdue: it was due at %(due)s."), due=report.due_at)


def _flag_unaccepted(report: Report, now: datetime) -> bool:
    return _flag(report, now, Q(status=Status.SUBMITTED, due_at__isnull=True),
                 note=_("Not accepted in time: it was to be accepted by %(due)s."),
                 due=report.accept_due_at)


def _flag(report: Report, now: datetime, still: Q, *, note: str, due: datetime,
          department=None) -> bool:
    """Flag once, if the report is still as found (`still`): a supervise event whose
    note says which deadline passed."""
    if not Report.objects.filter(still, pk=report.pk, status=report.status,
                                 supervised_at__isnull=True).update(supervised_at=now,
                                                                    updated_at=now):
        return False
    report.supervised_at = now
    record_event(report, Action.SUPERVISE, actor=None, from_status=report.status,
                 note=str(note % {"due": f"{timezone.localtime(due):%Y-%m-%d %H:%M}"}),
                 department=department, now=now)
    return True


def _escalate_overdue(report: Report, now: datetime) -> bool:
    period = report.due_at - (report.sla_started_at or report.due_at)
    if now < report.due_at + period:
        return False
    try:
        escalate(report, from_level=report.level, actor=None, now=now,
                  note=str(_("Escalated automatically: overdue for a second SLA period.")))
    except InvalidTransition:
        return False  # someone acted on it meanwhile
    return True


def _close_unverified(report: Report, now: datetime) -> bool:
    note = _("Closed automatically: not verified within %(days)s days.") % {
        "days": settings.REPORT_VERIFY_DAYS}
    try:
        commit(report, Step(Action.CLOSE, str(note)), actor=None, now=now)
    except InvalidTransition:
        return False  # verified or reopened meanwhile
    return True
