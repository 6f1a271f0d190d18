"""The rules of the report lifecycle (docs/architecture.md, "whistle and report"): which
transition starts from which status, the levels, the SLA clock, and who may do what.
Reads only; the transitions that apply these rules are `gridapp.services.transitions`.

    submitted ─accept─> accepted ─dispatch─> dispatched ─start─> in_progress
    in_progress ─resolve─> resolved ─verify─> closed      resolved ─reopen─> dispatched
    submitted ─reject─> rejected    submitted ─merge─> duplicate    dispatched ─return─> accepted
    accepted | dispatched | in_progress ─escalate─> submitted at the next level

Who may do what (docs/workflow.md): dispatcher actions need a dispatcher whose region
contains the report at the report's level or above. A higher level acting on a lower
level's report *takes it over*: the report moves to the actor's level, so that the lower
level, which never touches a higher one's report, cannot act on it any more.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from config.api.errors import Forbidden, InvalidTransition

from . import divisions
from .errors import NoteRequired, VerificationClosed
from .models import Report, ReportEvent, ReportLevel
from .selectors.roles import Roles, roles_of

Status = Report.Status
Action = ReportEvent.Action
LEVELS: tuple[str, ...] = tuple(ReportLevel.values)  # community, street, district, city
TOP_LEVEL = LEVELS[-1]

# action → (statuses it starts from, status it ends in). "close" is the system's own.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Action.ACCEPT: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    Action.DISPATCH: (frozenset({Status.ACCEPTED}), Status.DISPATCHED),
    Action.START: (frozenset({Status.DISPATCHED}), Status.IN_PROGRESS),
    Action.RESOLVE: (frozenset({Status.IN_PROGRESS}), Status.RESOLVED),
    Action.VERIFY: (frozenset({Status.RESOLVED}), Status.CLOSED),
    Action.REOPEN: (frozenset({Status.RESOLVED}), Status.DISPATCHED),
    Action.ESCALATE: (frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS}), Status.SUBMITTED),
    Action.RETURN: (frozenset({Status.DISPATCHED}), Status.ACCEPTED),
    Action.REJECT: (frozenset({Status.SUBMITTED}), Status.REJECTED),
    Action.MERGE: (frozenset({Status.SUBMITTED}), Status.DUPLICATE),
    Action.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
}
DISPATCHER_ACTIONS = frozenset({Action.ACCEPT, Action.DISPATCH, Action.REJECT, Action.MERGE, Action.ESCALATE})
HANDLER_ACTIONS = frozenset({Action.START, Action.RESOLVE, Action.RETURN})
VERIFIER_ACTIONS = frozenset({Action.VERIFY, Action.REOPEN})
RATE = "rating"  # the rating endpoint, not a transition
# 延期: asked for by the department while it works on the report, decided by the level's
# dispatcher; the status stays, `due_at` moves on approval. Named as their endpoints.
REQUEST_EXTENSION, APPROVE_EXTENSION, DENY_EXTENSION = (
    "request-extension", "approve-extension", "deny-extension")
EXTENDABLE = (Status.DISPATCHED, Status.IN_PROGRESS)
USER_ACTIONS: tuple[str, ...] = (Action.ACCEPT, Action.DISPATCH, Action.START, Action.RESOLVE, Action.VERIFY, Action.REOPEN,
                                 Action.ESCALATE, Action.RETURN, Action.REJECT, Action.MERGE)
RATEABLE = (Status.RESOLVED, Status.CLOSED)


# --- levels and the clock -------------------------------------------------------------------


def next_level(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


def sla_hours(report: Report, level: str) -> int:
    return settings.REPORT_URGENT_SLA_HOURS if report.urgent else report.category.sla_hours(level)


def clock(report: Report, level: str, now: datetime) -> dict[str, Any]:
    """The SLA clock of `level`, starting now (accept, escalate, reopen)."""
    return {"due_at": now + timedelta(hours=sla_hours(report, level)), "sla_started_at": now,
            "supervised_at": None}


def intake_clocks(urgent: bool, now: datetime) -> dict[str, datetime]:
    """Set at submission: the receiving deadline (受理时限) and the overall deadline,
    which no escalation resets."""
    if urgent:
        return {"accept_due_at": now + timedelta(minutes=settings.REPORT_ACCEPT_MINUTES_URGENT),
                "deadline_at": now + timedelta(hours=settings.REPORT_DEADLINE_HOURS_URGENT)}
    return {"accept_due_at": now + timedelta(hours=settings.REPORT_ACCEPT_HOURS),
            "deadline_at": now + timedelta(days=settings.REPORT_DEADLINE_DAYS)}


# --- who may do what ----------------------------------------------------------------------


def acting_level(roles: Roles, report: Report) -> str | None:
    """The level a dispatcher acts at on `report`: the lowest of their regions that
    contains the report and is not below its level (a province-level dispatcher acts at
    city level); None when they may not act on it."""
    ranks = [divisions.RANK[r.level] for r in roles.dispatcher_regions
             if divisions.is_under(report.region_code, r.prefix)
             and divisions.RANK[r.level] >= LEVELS.index(report.level)]
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
    if action == REQUEST_EXTENSION:
        return may(user, Action.START, report)  # the department's staff
    if action in (APPROVE_EXTENSION, DENY_EXTENSION):
        return may(user, Action.ACCEPT, report)  # the level's dispatchers
    return False


def allowed_actions(report: Report, user: User, now: datetime | None = None) -> list[str]:
    """What `user` may do to `report` right now (for clients: which buttons to show).
    Reads only what is loaded; `roles_of` is memoised on the user."""
    now = now or timezone.now()
    actions = [action for action in USER_ACTIONS
               if report.status in TRANSITIONS[action][0] and may(user, action, report)]
    if Action.ESCALATE in actions and acting_level(roles_of(user), report) == TOP_LEVEL:
        actions.remove(Action.ESCALATE)
    if not within_verification(report, now):
        actions = [a for a in actions if a not in VERIFIER_ACTIONS]
    if report.status in RATEABLE and report.rating is None and may(user, RATE, report):
        actions.append(RATE)
    if report.status in EXTENDABLE:
        pending = report.extension_hours is not None
        asks = [] if pending else [REQUEST_EXTENSION]
        actions += [a for a in (*asks, *([APPROVE_EXTENSION, DENY_EXTENSION] if pending else []))
                    if may(user, a, report)]
    return actions


def require(user: User, action: str, report: Report) -> None:
    """Role first, status second: someone who may never do this learns nothing about
    the report's state from the error."""
    if not may(user, action, report):
        raise Forbidden()
    if report.status not in TRANSITIONS[action][0]:
        raise InvalidTransition()


def require_dispatcher(user: User, action: str, report: Report) -> str:
    require(user, action, report)
    level = acting_level(roles_of(user), report)
    assert level is not None  # `may` said so
    return level


def within_verification(report: Report, now: datetime) -> bool:
    limit = timedelta(days=settings.REPORT_VERIFY_DAYS)
    return report.resolved_at is None or now <= report.resolved_at + limit


def within_verification_q(now: datetime) -> Q:
    """`within_verification` as a filter, for counting in SQL."""
    limit = timedelta(days=settings.REPORT_VERIFY_DAYS)
    return Q(resolved_at__isnull=True) | Q(resolved_at__gte=now - limit)


def require_verifier(user: User, action: str, report: Report, now: datetime) -> None:
    require(user, action, report)
    if not within_verification(report, now):
        raise VerificationClosed(VerificationClosed.default_detail
                                 % {"days": settings.REPORT_VERIFY_DAYS})


def required_note(note: str) -> str:
    if not note.strip():
        raise NoteRequired()
    return note.strip()
