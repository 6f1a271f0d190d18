"""The one place a report's timeline grows: every event, whoever writes it (a
transition, the submission, a sweep, the content check), is written here inside its
transaction, with the notification outbox rows it causes."""

from datetime import datetime

from accounts.models import User
from gridapp.models import Department, Report, ReportEvent

from . import notifications


def record_event(report: Report, action: str, *, actor: User | None, from_status: str,
                 note: str = "", department: Department | None = None,
                 now: datetime) -> ReportEvent:
    """The timeline line (level: where the report is after the event) and its messages."""
    event = ReportEvent.objects.create(
        report=report, action=action, actor=actor, from_status=from_status,
        to_status=report.status, level=report.level, note=note, department=department, at=now)
    notifications.notify(report, event)
    return event
