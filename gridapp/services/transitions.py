"""The transitions of the report lifecycle, one function per action; the rules they
apply (who may, from which status, the SLA clock) are `gridapp.lifecycle`.

Every transition is race-safe the healthchecks way: a conditional `UPDATE ... WHERE
status = <the status we read> AND level = ... AND department = ...` whose row count says
whether we won. Two dispatchers clicking at once both pass the checks, but only one
UPDATE matches: the other gets 409 `invalid_transition`, exactly as if it had clicked
second. The same transaction writes one timeline event and the notification outbox rows;
the messages are queued after commit (`gridapp.services.notifications`).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import DomainError, Forbidden, InvalidTransition
from gridapp.errors import (AfterPhotoRequired, AlreadyRated, DepartmentOutOfReach,
                            DepartmentRequired, ExtensionPending, InvalidOriginal,
                            NoExtensionPending, NoteRequired, TopLevel)
from gridapp.lifecycle import (APPROVE_EXTENSION, DENY_EXTENSION, EXTENDABLE, RATE, RATEABLE,
                               REQUEST_EXTENSION, TRANSITIONS, Action, clock, may, next_level,
                               require, require_dispatcher, require_verifier, required_note)
from gridapp.models import Department, Photo, Report, ReportEvent
from gridapp.selectors.routing import Suggestion, in_reach, suggest

from .photos import claim_photos
from .timeline import record_event


# --- the one place a report's status changes ----------------------------------------------


@dataclass(frozen=True)
class Step:
    """What one transition writes: the new status and columns, and its timeline line."""

    action: str
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    department: Department | None = None  # whom the event concerns, for the evaluation


def commit(report: Report, step: Step, *, actor: User | None, now: datetime) -> ReportEvent:
    """Apply `step` if the report is still as we read it; 409 if someone was faster.
    Call inside the transition's transaction."""
    to_status = TRANSITIONS[step.action][1]
    values = {"status": to_status, "updated_at": now, **_facts(report, step.action, to_status,
                                                               now), **step.changes}
    won = Report.objects.filter(pk=report.pk, status=report.status, level=report.level,
                                department_id=report.department_id).update(**values)
    if not won:
        raise InvalidTransition(_("The report has just been changed by someone else."))
    from_status = report.status
    for name, value in values.items():
        setattr(report, name, value)
    return record_event(report, step.action, actor=actor, from_status=from_status,
                        note=step.note, department=step.department, now=now)


def _facts(report: Report, action: str, to_status: str, now: datetime) -> dict[str, Any]:
    """The timeline's facts the report keeps for the statistics: its first accept, its
    close (final: nothing leaves `closed`), whether it was ever reopened."""
    if action == Action.ACCEPT and report.accepted_at is None:
        return {"accepted_at": now}
    if to_status == Report.Status.CLOSED:
        return {"closed_at": now}
    if action == Action.REOPEN:
        return {"reopened": True}
    return {}


# --- dispatcher actions -------------------------------------------------------------------


@transaction.atomic
def accept_report(report: Report, *, actor: User, note: str = "") -> Report:
    """报到: the level takes the report in; its SLA clock starts and the responsibility
    table suggests a department."""
    level = require_dispatcher(actor, Action.ACCEPT, report)
    now = timezone.now()
    suggestion = suggest(report.category, report.region_code, level)
    commit(report, Step(Action.ACCEPT, note.strip(), {
        "level": level, **_suggested(suggestion), **clock(report, level, now)}),
        actor=actor, now=now)
    return report


def _suggested(suggestion: Suggestion) -> dict[str, Any]:
    return {"suggested_department": suggestion.department,
            "suggestion_evidence": suggestion.evidence}


@transaction.atomic
def dispatch_report(report: Report, *, actor: User, department: Department | None = None,
                    note: str = "") -> Report:
    """To `department`, or to the suggested one when none is given."""
    level = require_dispatcher(actor, Action.DISPATCH, report)
    department = department or report.suggested_department
    if department is None:
        raise DepartmentRequired()
    if not in_reach(department, report.region_code, level):
        raise DepartmentOutOfReach()
    commit(report, Step(Action.DISPATCH, note.strip(), {"level": level, "department": department},
                         department), actor=actor, now=timezone.now())
    return report


@transaction.atomic
def escalate_report(report: Report, *, actor: User, note: str) -> Report:
    """One loop up, back to `submitted`: the next level must accept it (报到) itself."""
    level = require_dispatcher(actor, Action.ESCALATE, report)
    note = required_note(note)
    escalate(report, from_level=level, actor=actor, note=note, now=timezone.now())
    return report


def escalate(report: Report, *, from_level: str, actor: User | None, note: str,
              now: datetime) -> ReportEvent:
    upper = next_level(from_level)
    if upper is None:
        raise TopLevel()
    return commit(report, Step(Action.ESCALATE, note, {
        "level": upper, "department": None, "suggested_department": None,
        "suggestion_evidence": None,
        **clock(report, upper, now)}, report.department), actor=actor, now=now)


@transaction.atomic
def reject_report(report: Report, *, actor: User, note: str) -> Report:
    level = require_dispatcher(actor, Action.REJECT, report)
    commit(report, Step(Action.REJECT, required_note(note), {"level": level}),
            actor=actor, now=timezone.now())
    return report


@transaction.atomic
def merge_report(report: Report, *, actor: User, duplicate_of: Report, note: str = "") -> Report:
    """Close `report` as a duplicate of an open one; its reporter is told and from now on
    follows the original (sees it, gets its messages). Across categories (a 楼道堆物 into
    a 路灯) only with a note saying why."""
    level = require_dispatcher(actor, Action.MERGE, report)
    original = Report.objects.select_for_update().filter(pk=duplicate_of.pk).first()
    if original is None or original.pk == report.pk or original.status not in Report.OPEN_STATUSES:
        raise InvalidOriginal()
    if original.category_id != report.category_id and not note.strip():
        raise NoteRequired(_("These reports are of different categories: say why they are "
                             "the same problem."))
    commit(report, Step(Action.MERGE, note.strip() or original.number,
                         {"level": level, "duplicate_of": original}),
            actor=actor, now=timezone.now())
    return report


# --- handler actions ----------------------------------------------------------------------


@transaction.atomic
def start_report(report: Report, *, actor: User, note: str = "") -> Report:
    require(actor, Action.START, report)
    commit(report, Step(Action.START, note.strip(), department=report.department),
            actor=actor, now=timezone.now())
    return report


@transaction.atomic
def resolve_report(report: Report, *, actor: User, note: str, photo_ids: Sequence[int]) -> Report:
    """Needs a note and at least one "after" photo the handler uploaded and that is
    attached nowhere yet (claimed with one conditional UPDATE, as at submission)."""
    require(actor, Action.RESOLVE, report)
    note = required_note(note)
    if not photo_ids:
        raise AfterPhotoRequired()
    now = timezone.now()
    claimed = claim_photos(report, photo_ids, actor=actor, kind=Photo.Kind.AFTER, now=now)
    # The count read with the report is still the row's: only intake and resolve change
    # it, and a resolve since then would have moved the status `commit` checks.
    commit(report, Step(Action.RESOLVE, note, {
        "resolved_at": now, "photo_count": report.photo_count + claimed}, report.department),
        actor=actor, now=now)
    return report


@transaction.atomic
def return_report(report: Report, *, actor: User, note: str) -> Report:
    """Not ours: back to the dispatcher (counted against routing accuracy). The new
    suggestion leaves out every department that returned the report at this level, so
    that "return, then dispatch" does not send it straight back (issue 14, point 3)."""
    require(actor, Action.RETURN, report)
    returned_by = {report.department_id, *ReportEvent.objects.filter(
        report=report, action=Action.RETURN, level=report.level).values_list(
        "department_id", flat=True)}
    suggestion = suggest(report.category, report.region_code, report.level, exclude=returned_by)
    commit(report, Step(Action.RETURN, required_note(note), {
        "department": None, **_suggested(suggestion)}, report.department),
        actor=actor, now=timezone.now())
    return report


# --- the reporter's and the leader's actions ----------------------------------------------


@transaction.atomic
def verify_report(report: Report, *, actor: User, note: str = "") -> Report:
    now = timezone.now()
    require_verifier(actor, Action.VERIFY, report, now)
    commit(report, Step(Action.VERIFY, note.strip()), actor=actor, now=now)
    return report


@transaction.atomic
def reopen_report(report: Report, *, actor: User, note: str) -> Report:
    """Not fixed: back to the same department, with a fresh SLA clock at this level."""
    now = timezone.now()
    require_verifier(actor, Action.REOPEN, report, now)
    commit(report, Step(Action.REOPEN, required_note(note), {
        "resolved_at": None, **clock(report, report.level, now)}, report.department),
        actor=actor, now=now)
    return report


@transaction.atomic
def rate_report(report: Report, *, actor: User, score: int, comment: str = "") -> Report:
    """评哨: the reporter rates once, after resolve (or close)."""
    if not may(actor, RATE, report):
        raise Forbidden()
    if report.status not in RATEABLE:
        raise InvalidTransition()
    if report.rating is not None:
        raise AlreadyRated()
    if not 1 <= score <= 5:
        raise DomainError(_("A score is 1 to 5."))
    now = timezone.now()
    won = Report.objects.filter(pk=report.pk, rating__isnull=True, status__in=RATEABLE).update(
        rating=score, rating_comment=comment, rated_at=now, updated_at=now)
    if not won:
        raise AlreadyRated()
    report.rating, report.rating_comment, report.rated_at = score, comment, now
    record_event(report, Action.RATE, actor=actor, from_status=report.status,
                 note=f"{score} {comment}".strip(), now=now)
    return report


# --- extensions (延期) -----------------------------------------------------------------


@transaction.atomic
def request_extension(report: Report, *, actor: User, hours: int, note: str) -> Report:
    """The department asks the level for more time, saying why; one request at a time."""
    _require_extension(actor, REQUEST_EXTENSION, report)
    note, now = required_note(note), timezone.now()
    if not _pending(report).filter(extension_hours__isnull=True).update(
            extension_hours=hours, extension_requested_at=now, updated_at=now):
        raise ExtensionPending()
    report.extension_hours, report.extension_requested_at = hours, now
    record_event(report, Action.REQUEST_EXTENSION, actor=actor, from_status=report.status,
                 note=_extension_note(hours, note), department=report.department, now=now)
    return report


@transaction.atomic
def approve_extension(report: Report, *, actor: User, note: str = "") -> Report:
    """The level's dispatcher grants the time asked: `due_at` moves by it (and a flag of
    being overdue goes if the new time is ahead)."""
    hours = _decidable(actor, APPROVE_EXTENSION, report)
    now = timezone.now()
    due_at = (report.due_at or now) + timedelta(hours=hours)
    changes = {"due_at": due_at, "extension_hours": None, "extension_requested_at": None,
               "updated_at": now, **({"supervised_at": None} if due_at > now else {})}
    if not _pending(report).filter(extension_hours=hours).update(**changes):
        raise InvalidTransition(_("The report has just been changed by someone else."))
    for name, value in changes.items():
        setattr(report, name, value)
    record_event(report, Action.APPROVE_EXTENSION, actor=actor, from_status=report.status,
                 note=_extension_note(hours, note.strip()), department=report.department,
                 now=now)
    return report


@transaction.atomic
def deny_extension(report: Report, *, actor: User, note: str) -> Report:
    """The level's dispatcher says no, and why; the due time stays."""
    hours = _decidable(actor, DENY_EXTENSION, report)
    note, now = required_note(note), timezone.now()
    if not _pending(report).filter(extension_hours=hours).update(
            extension_hours=None, extension_requested_at=None, updated_at=now):
        raise InvalidTransition(_("The report has just been changed by someone else."))
    report.extension_hours = report.extension_requested_at = None
    record_event(report, Action.DENY_EXTENSION, actor=actor, from_status=report.status,
                 note=_extension_note(hours, note), department=report.department, now=now)
    return report


def _require_extension(actor: User, action: str, report: Report) -> None:
    """Role first, status second, as for every action."""
    if not may(actor, action, report):
        raise Forbidden()
    if report.status not in EXTENDABLE:
        raise InvalidTransition()


def _decidable(actor: User, action: str, report: Report) -> int:
    _require_extension(actor, action, report)
    if report.extension_hours is None:
        raise NoExtensionPending()
    return report.extension_hours


def _pending(report: Report):
    """The report as we read it: same status, level and department."""
    return Report.objects.filter(pk=report.pk, status=report.status, level=report.level,
                                 department_id=report.department_id)


def _extension_note(hours: int, note: str) -> str:
    """The timeline's line, in the site's language whoever asked."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(_("%(hours)s hours") % {"hours": hours})
    return f"{text}: {note}" if note else text


ACTIONS: dict[str, Callable[..., Report]] = {
    Action.ACCEPT: accept_report, Action.DISPATCH: dispatch_report, Action.START: start_report,
    Action.RESOLVE: resolve_report, Action.VERIFY: verify_report, Action.REOPEN: reopen_report,
    Action.ESCALATE: escalate_report, Action.RETURN: return_report, Action.REJECT: reject_report,
    Action.MERGE: merge_report, REQUEST_EXTENSION: request_extension,
    APPROVE_EXTENSION: approve_extension, DENY_EXTENSION: deny_extension,
}


