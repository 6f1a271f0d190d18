"""The report lifecycle of ARCHITECTURE.md ("whistle and report"): one function per
transition, the rules of who may do what, the SLA clock and supervision (督办).

    submitted ─accept─> accepted ─dispatch─> dispatched ─start─> in_progress
    in_progress ─resolve─> resolved ─verify─> closed      resolved ─reopen─> dispatched
    submitted ─reject─> rejected    submitted ─merge─> duplicate    dispatched ─return─> accepted
    accepted | dispatched | in_progress ─escalate─> submitted at the next level

Every transition is race-safe the healthchecks way: a conditional `UPDATE ... WHERE
status = <the status we read> AND level = ... AND department = ...` whose row count says
whether we won. Two dispatchers clicking at once both pass the checks, but only one
UPDATE matches: the other gets 409 `invalid_transition`, exactly as if it had clicked
second. The same transaction writes one timeline event and the notification outbox rows;
the messages are queued after commit (`gridapp.notifications`).

Who may do what (docs/workflow.md): dispatcher actions need a dispatcher whose region
contains the report at the report's level or above. A higher level acting on a lower
level's report *takes it over*: the report moves to the actor's level, so that the lower
level, which never touches a higher one's report, cannot act on it any more.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Roles, roles_of
from config.api.errors import Conflict, DomainError, Forbidden, InvalidTransition

from . import notifications
from .models import (Category, Department, Photo, Region, Report, ReportEvent, ReportLevel,
                     Responsibility)
from .report_services import PhotoInvalid

S = Report.Status
A = ReportEvent.Action
LEVELS: tuple[str, ...] = tuple(ReportLevel.values)  # community, street, district, city
TOP_LEVEL = LEVELS[-1]
REGION_RANK = {"community": 0, "street": 1, "district": 2, "city": 3, "province": 4}
SWEEP_BATCH = 100

# action → (statuses it starts from, status it ends in). "close" is the system's own.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    A.ACCEPT: (frozenset({S.SUBMITTED}), S.ACCEPTED),
    A.DISPATCH: (frozenset({S.ACCEPTED}), S.DISPATCHED),
    A.START: (frozenset({S.DISPATCHED}), S.IN_PROGRESS),
    A.RESOLVE: (frozenset({S.IN_PROGRESS}), S.RESOLVED),
    A.VERIFY: (frozenset({S.RESOLVED}), S.CLOSED),
    A.REOPEN: (frozenset({S.RESOLVED}), S.DISPATCHED),
    A.ESCALATE: (frozenset({S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}), S.SUBMITTED),
    A.RETURN: (frozenset({S.DISPATCHED}), S.ACCEPTED),
    A.REJECT: (frozenset({S.SUBMITTED}), S.REJECTED),
    A.MERGE: (frozenset({S.SUBMITTED}), S.DUPLICATE),
    A.CLOSE: (frozenset({S.RESOLVED}), S.CLOSED),
}
DISPATCHER_ACTIONS = frozenset({A.ACCEPT, A.DISPATCH, A.REJECT, A.MERGE, A.ESCALATE})
HANDLER_ACTIONS = frozenset({A.START, A.RESOLVE, A.RETURN})
VERIFIER_ACTIONS = frozenset({A.VERIFY, A.REOPEN})
RATE = "rating"  # the rating endpoint, not a transition
USER_ACTIONS: tuple[str, ...] = (A.ACCEPT, A.DISPATCH, A.START, A.RESOLVE, A.VERIFY, A.REOPEN,
                                 A.ESCALATE, A.RETURN, A.REJECT, A.MERGE)
RATEABLE = (S.RESOLVED, S.CLOSED)


class NoteRequired(DomainError):
    default_code = "note_required"
    default_detail = _("Say why: this action needs a note.")


class AfterPhotoRequired(DomainError):
    default_code = "after_photo_required"
    default_detail = _("Resolving needs at least one \"after\" photo.")


class DepartmentRequired(DomainError):
    default_code = "department_required"
    default_detail = _("Choose a department: there is no suggestion for this report.")


class DepartmentOutOfReach(DomainError):
    default_code = "department_out_of_reach"
    default_detail = _("A report goes to a department of its level's region or above.")


class InvalidOriginal(DomainError):
    default_code = "invalid_duplicate_of"
    default_detail = _("A report is merged into another open report.")


class VerificationClosed(Conflict):
    default_code = "verification_closed"
    default_detail = _("Verifying or reopening is possible for %(days)s days after resolving.")


class AlreadyRated(Conflict):
    default_code = "already_rated"
    default_detail = _("This report has already been rated.")


class TopLevel(InvalidTransition):
    default_detail = _("The city is the top level: there is nowhere to escalate to.")


# --- levels and regions -------------------------------------------------------------------


def level_region_code(community_code: str, level: str) -> str:
    """The code of the report's region at `level`: its community code cut to that
    level's prefix (450502001001 at street level is 450502001000)."""
    return community_code[: Region.PREFIX_LENGTH[level]].ljust(len(community_code), "0")


def next_level(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def sla_hours(report: Report, level: str) -> int:
    return settings.REPORT_URGENT_SLA_HOURS if report.urgent else report.category.sla_hours(level)


def clock(report: Report, level: str, now: datetime) -> dict[str, Any]:
    """The SLA clock of `level`, starting now (accept, escalate, reopen)."""
    return {"due_at": now + timedelta(hours=sla_hours(report, level)), "sla_started_at": now,
            "supervised_at": None}


def suggest_department(category: Category, community_code: str, level: str) -> Department | None:
    """The nearest responsible department walking up from the report's region at `level`
    (its community for a new report) to the top: one a dispatcher at that level may
    choose. A row for the category itself wins over one for its parent at the same region."""
    codes = [level_region_code(community_code, lvl) for lvl in LEVELS[LEVELS.index(level):]]
    codes.append(level_region_code(community_code, "province"))
    rows = (Responsibility.objects.filter(region__code__in=codes,
                                          category_id__in=[category.pk, category.parent_id])
            .select_related("department__region", "region"))
    ranked = sorted(rows, key=lambda r: (codes.index(r.region.code), r.category_id != category.pk))
    return ranked[0].department if ranked else None


def in_reach(department: Department, community_code: str, level: str) -> bool:
    """The department belongs to the report's region at `level` or to one above it."""
    return level_region_code(community_code, level).startswith(department.region.prefix)


# --- who may do what ----------------------------------------------------------------------


def acting_level(roles: Roles, report: Report) -> str | None:
    """The level a dispatcher acts at on `report`: the lowest of their regions that
    contains the report and is not below its level (a province-level dispatcher acts at
    city level); None when they may not act on it."""
    ranks = [REGION_RANK[r.level] for r in roles.dispatcher_regions
             if report.region_code.startswith(r.prefix)
             and REGION_RANK[r.level] >= LEVELS.index(report.level)]
    return LEVELS[min(min(ranks), len(LEVELS) - 1)] if ranks else None


def may(user: User, action: str, report: Report) -> bool:
    """The role part of the rules, whatever the report's status."""
    roles = roles_of(user)
    if action in DISPATCHER_ACTIONS:
        return acting_level(roles, report) is not None
    if action in HANDLER_ACTIONS:
        return report.department_id in {d.pk for d in roles.handler_departments}
    if action in VERIFIER_ACTIONS:
        return report.reporter_id == user.pk or report.grid_id in roles.led_grid_ids
    if action == RATE:
        return report.reporter_id == user.pk
    return False


def allowed_actions(report: Report, user: User, now: datetime | None = None) -> list[str]:
    """What `user` may do to `report` right now (for clients: which buttons to show).
    Reads only what is loaded; `roles_of` is memoised on the user."""
    now = now or timezone.now()
    actions = [action for action in USER_ACTIONS
               if report.status in TRANSITIONS[action][0] and may(user, action, report)]
    if A.ESCALATE in actions and acting_level(roles_of(user), report) == TOP_LEVEL:
        actions.remove(A.ESCALATE)
    if not _within_verification(report, now):
        actions = [a for a in actions if a not in VERIFIER_ACTIONS]
    if report.status in RATEABLE and report.rating is None and may(user, RATE, report):
        actions.append(RATE)
    return actions


def _require(user: User, action: str, report: Report) -> None:
    """Role first, status second: someone who may never do this learns nothing about
    the report's state from the error."""
    if not may(user, action, report):
        raise Forbidden()
    if report.status not in TRANSITIONS[action][0]:
        raise InvalidTransition()


def _require_dispatcher(user: User, action: str, report: Report) -> str:
    _require(user, action, report)
    level = acting_level(roles_of(user), report)
    assert level is not None  # `may` said so
    return level


def _within_verification(report: Report, now: datetime) -> bool:
    limit = timedelta(days=settings.REPORT_VERIFY_DAYS)
    return report.resolved_at is None or now <= report.resolved_at + limit


def _require_verifier(user: User, action: str, report: Report, now: datetime) -> None:
    _require(user, action, report)
    if not _within_verification(report, now):
        raise VerificationClosed(VerificationClosed.default_detail
                                 % {"days": settings.REPORT_VERIFY_DAYS})


def _required_note(note: str) -> str:
    if not note.strip():
        raise NoteRequired()
    return note.strip()


# --- the one place a report's status changes ----------------------------------------------


@dataclass(frozen=True)
class Step:
    """What one transition writes: the new status and columns, and its timeline line."""

    action: str
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    department: Department | None = None  # whom the event concerns, for the evaluation


def _commit(report: Report, step: Step, *, actor: User | None, now: datetime) -> ReportEvent:
    """Apply `step` if the report is still as we read it; 409 if someone was faster.
    Call inside the transition's transaction."""
    to_status = TRANSITIONS[step.action][1]
    values = {"status": to_status, "updated_at": now, **step.changes}
    won = Report.objects.filter(pk=report.pk, status=report.status, level=report.level,
                                department_id=report.department_id).update(**values)
    if not won:
        raise InvalidTransition(_("The report has just been changed by someone else."))
    from_status = report.status
    for name, value in values.items():
        setattr(report, name, value)
    return record_event(report, step.action, actor=actor, from_status=from_status,
                        note=step.note, department=step.department, now=now)


def record_event(report: Report, action: str, *, actor: User | None, from_status: str,
                 note: str = "", department: Department | None = None,
                 now: datetime) -> ReportEvent:
    """The timeline line (level: where the report is after the event) and its messages."""
    event = ReportEvent.objects.create(
        report=report, action=action, actor=actor, from_status=from_status,
        to_status=report.status, level=report.level, note=note, department=department, at=now)
    notifications.notify(report, event)
    return event


# --- dispatcher actions -------------------------------------------------------------------


@transaction.atomic
def accept_report(report: Report, *, actor: User, note: str = "") -> Report:
    """报到: the level takes the report in; its SLA clock starts and the responsibility
    table suggests a department."""
    level = _require_dispatcher(actor, A.ACCEPT, report)
    now = timezone.now()
    suggestion = suggest_department(report.category, report.region_code, level)
    _commit(report, Step(A.ACCEPT, note.strip(), {
        "level": level, "suggested_department": suggestion, **clock(report, level, now)}),
        actor=actor, now=now)
    return report


@transaction.atomic
def dispatch_report(report: Report, *, actor: User, department: Department | None = None,
                    note: str = "") -> Report:
    """To `department`, or to the suggested one when none is given."""
    level = _require_dispatcher(actor, A.DISPATCH, report)
    department = department or report.suggested_department
    if department is None:
        raise DepartmentRequired()
    if not in_reach(department, report.region_code, level):
        raise DepartmentOutOfReach()
    _commit(report, Step(A.DISPATCH, note.strip(), {"level": level, "department": department},
                         department), actor=actor, now=timezone.now())
    return report


@transaction.atomic
def escalate_report(report: Report, *, actor: User, note: str) -> Report:
    """One loop up, back to `submitted`: the next level must accept it (报到) itself."""
    level = _require_dispatcher(actor, A.ESCALATE, report)
    note = _required_note(note)
    _escalate(report, from_level=level, actor=actor, note=note, now=timezone.now())
    return report


def _escalate(report: Report, *, from_level: str, actor: User | None, note: str,
              now: datetime) -> ReportEvent:
    upper = next_level(from_level)
    if upper is None:
        raise TopLevel()
    return _commit(report, Step(A.ESCALATE, note, {
        "level": upper, "department": None, "suggested_department": None,
        **clock(report, upper, now)}, report.department), actor=actor, now=now)


@transaction.atomic
def reject_report(report: Report, *, actor: User, note: str) -> Report:
    level = _require_dispatcher(actor, A.REJECT, report)
    _commit(report, Step(A.REJECT, _required_note(note), {"level": level}),
            actor=actor, now=timezone.now())
    return report


@transaction.atomic
def merge_report(report: Report, *, actor: User, duplicate_of: Report, note: str = "") -> Report:
    """Close `report` as a duplicate of an open one; its reporter is told and from now on
    follows the original (sees it, gets its messages)."""
    level = _require_dispatcher(actor, A.MERGE, report)
    original = Report.objects.select_for_update().filter(pk=duplicate_of.pk).first()
    if original is None or original.pk == report.pk or original.status not in Report.OPEN_STATUSES:
        raise InvalidOriginal()
    _commit(report, Step(A.MERGE, note.strip() or original.number,
                         {"level": level, "duplicate_of": original}),
            actor=actor, now=timezone.now())
    return report


# --- handler actions ----------------------------------------------------------------------


@transaction.atomic
def start_report(report: Report, *, actor: User, note: str = "") -> Report:
    _require(actor, A.START, report)
    _commit(report, Step(A.START, note.strip(), department=report.department),
            actor=actor, now=timezone.now())
    return report


@transaction.atomic
def resolve_report(report: Report, *, actor: User, note: str, photo_ids: Sequence[int]) -> Report:
    """Needs a note and at least one "after" photo the handler uploaded and that is
    attached nowhere yet (claimed with one conditional UPDATE, as at submission)."""
    _require(actor, A.RESOLVE, report)
    note = _required_note(note)
    if not photo_ids:
        raise AfterPhotoRequired()
    now = timezone.now()
    _commit(report, Step(A.RESOLVE, note, {"resolved_at": now}, report.department),
            actor=actor, now=now)
    ids = set(photo_ids)
    claimed = Photo.objects.filter(pk__in=ids, owner=actor, report__isnull=True).update(
        report=report, kind=Photo.Kind.AFTER, attached_at=now)
    if claimed != len(ids):
        raise PhotoInvalid()  # rolls the whole resolve back
    return report


@transaction.atomic
def return_report(report: Report, *, actor: User, note: str) -> Report:
    """Not ours: back to the dispatcher (counted against routing accuracy)."""
    _require(actor, A.RETURN, report)
    _commit(report, Step(A.RETURN, _required_note(note), {"department": None},
                         report.department), actor=actor, now=timezone.now())
    return report


# --- the reporter's and the leader's actions ----------------------------------------------


@transaction.atomic
def verify_report(report: Report, *, actor: User, note: str = "") -> Report:
    now = timezone.now()
    _require_verifier(actor, A.VERIFY, report, now)
    _commit(report, Step(A.VERIFY, note.strip()), actor=actor, now=now)
    return report


@transaction.atomic
def reopen_report(report: Report, *, actor: User, note: str) -> Report:
    """Not fixed: back to the same department, with a fresh SLA clock at this level."""
    now = timezone.now()
    _require_verifier(actor, A.REOPEN, report, now)
    _commit(report, Step(A.REOPEN, _required_note(note), {
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
    ReportEvent.objects.create(report=report, action=A.RATE, actor=actor,
                               from_status=report.status, to_status=report.status,
                               level=report.level, note=f"{score} {comment}".strip(), at=now)
    return report


ACTIONS: dict[str, Callable[..., Report]] = {
    A.ACCEPT: accept_report, A.DISPATCH: dispatch_report, A.START: start_report,
    A.RESOLVE: resolve_report, A.VERIFY: verify_report, A.REOPEN: reopen_report,
    A.ESCALATE: escalate_report, A.RETURN: return_report, A.REJECT: reject_report,
    A.MERGE: merge_report,
}


# --- supervision (督办) and the automatic close --------------------------------------------


@dataclass(frozen=True)
class Supervision:
    flagged: int
    escalated: int


def supervise(now: datetime | None = None) -> Supervision:
    """Flag open reports past due (supervision event, the department and the level's
    dispatchers notified); escalate those still open a second full SLA period later.
    Idempotent: a flagged report is not flagged again, an escalated one has a new clock."""
    now = now or timezone.now()
    open_overdue = Report.objects.filter(status__in=Report.OPEN_STATUSES, due_at__lt=now)
    flagged = _sweep(open_overdue.filter(supervised_at__isnull=True),
                     lambda report: _flag_overdue(report, now))
    # Flagged by an earlier run (not this one): the department hears of it before the
    # report leaves them, even when the sweep missed the whole first period.
    escalated = _sweep(open_overdue.filter(status__in=TRANSITIONS[A.ESCALATE][0],
                                           supervised_at__lt=now).exclude(level=TOP_LEVEL),
                       lambda report: _escalate_overdue(report, now))
    return Supervision(flagged, escalated)


def close_unverified(now: datetime | None = None) -> int:
    """Resolved reports nobody verified or reopened within REPORT_VERIFY_DAYS: closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REPORT_VERIFY_DAYS)
    return _sweep(Report.objects.filter(status=S.RESOLVED, resolved_at__lt=cutoff),
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


def skip_locked(rows: QuerySet) -> QuerySet:
    """`FOR UPDATE SKIP LOCKED` where the database has it (PostgreSQL). SQLite has no row
    locks: its writers take turns on the database lock, which is the same guarantee."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True)
    return rows


def _flag_overdue(report: Report, now: datetime) -> bool:
    if not Report.objects.filter(pk=report.pk, status=report.status, due_at=report.due_at,
                                 supervised_at__isnull=True).update(supervised_at=now,
                                                                    updated_at=now):
        return False
    report.supervised_at = now
    record_event(report, A.SUPERVISE, actor=None, from_status=report.status,
                 note=str(_("Overdue: it was due at %(due)s.") % {
                     "due": f"{timezone.localtime(report.due_at):%Y-%m-%d %H:%M}"}),
                 department=report.department, now=now)
    return True


def _escalate_overdue(report: Report, now: datetime) -> bool:
    period = report.due_at - (report.sla_started_at or report.due_at)
    if now < report.due_at + period:
        return False
    try:
        _escalate(report, from_level=report.level, actor=None, now=now,
                  note=str(_("Escalated automatically: overdue for a second SLA period.")))
    except InvalidTransition:
        return False  # someone acted on it meanwhile
    return True


def _close_unverified(report: Report, now: datetime) -> bool:
    note = _("Closed automatically: not verified within %(days)s days.") % {
        "days": settings.REPORT_VERIFY_DAYS}
    try:
        _commit(report, Step(A.CLOSE, str(note)), actor=None, now=now)
    except InvalidTransition:
        return False  # verified or reopened meanwhile
    return True
