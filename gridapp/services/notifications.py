"""WeChat subscribe messages about reports, through an outbox so that none is lost.

1. `notify(report, event)` runs inside the transition's transaction: it decides who is
   told (the table below) and writes one `Notification` row each, `pending`.
2. After commit, each row is handed to the `send_notification` task. Queuing never
   blocks or fails the user's request: `retry=False` and the broker's socket timeouts
   bound it, and any error is logged and left to the relay.
3. `deliver()` (the task) and `relay_pending()` (a beat task and the
   `relay_notifications` command, for when the broker was down) claim due rows, send
   them and record how it ended: `sent`, `refused` (43101: the user has not
   subscribed, asking again would not help), `given_up` (47003 bad template data and any
   other errcode, no template configured, no openid, or WeChat unreachable through
   NOTIFICATION_MAX_ATTEMPTS attempts with exponential backoff).

Who is told what (kinds are template settings, WECHAT_TEMPLATE_<KIND>); every row is also
a message in the user's in-app inbox (gridapp/selectors/inbox.py):
    submit                    → the grid's current leader(s) and the level's dispatchers  new_report
    accept                    → the reporter and followers         accepted
    dispatch, reopen          → the department's handlers          dispatched
    escalate                  → the new level's dispatchers, the department that loses it,
                                the reporter and followers         escalated
    return                    → the level's dispatchers            returned
    resolve                   → the reporter and followers         resolved
    verify, close, reject     → the reporter and followers         closed
    merge                     → the merged report's reporter       closed
    supervise (overdue)       → the department's handlers and the level's dispatchers  overdue
    request an extension      → the level's dispatchers, to decide extension_asked
    approve, deny it          → the department's handlers         extension_reply
    a project suggestion      → the dispatchers governing its street or region (the
                                daily `announce_suggestions`, services/projects.py)  suggestion
Followers are the reporters of reports merged into this one. Nobody is told about
their own action.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.wechat import REFUSED_BY_USER, WeChatError, WeChatUnavailable, get_client
from config.db import skip_locked
from gridapp import divisions
from gridapp.models import LeaderTerm, Notification, Report, ReportEvent, StaffRole, current_terms_q

log = logging.getLogger(__name__)

Action = ReportEvent.Action
Kind = Notification.Kind
RELAY_BATCH = 50
SEND_TASK = "gridapp.tasks.send_notification"
BACKOFF_CAP_SECONDS = 3600
RECORD_RETRY_SECONDS = (0.5, 1, 2, 4, 8, 15)  # about 30 s: longer than a restart
# WeChat's limits per keyword type (characters); longer values are refused with 47003.
VALUE_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10, "number": 32,
                "letter": 32, "symbol": 5, "phone_number": 17, "car_number": 8, "amount": 32}
RESULTS = {Action.VERIFY: _("closed"), Action.CLOSE: _("closed"), Action.REJECT: _("rejected"),
           Action.MERGE: _("merged")}
EXTENSION = (Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.DENY_EXTENSION)


# --- who is told --------------------------------------------------------------------------


def notify(report: Report, event: ReportEvent) -> list[Notification]:
    """Write the outbox rows for `event` (inside its transaction) and queue them on commit."""
    return write(report, [(user_id, kind, message_data(report, event))
                          for user_id, kind in recipients(report, event)],
                 at=event.at, event=event)


def write(report: Report, messages: list[tuple[int, str, dict]], *, at: datetime,
          event: ReportEvent | None = None) -> list[Notification]:
    """One outbox row per (recipient, kind, data), queued after the transaction commits."""
    rows = [Notification.objects.create(recipient_id=user_id, report=report, event=event,
                                        kind=kind, data=data, next_attempt_at=at, created_at=at)
            for user_id, kind, data in messages]
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: enqueue(ids))
    return rows


def recipients(report: Report, event: ReportEvent) -> list[tuple[int, str]]:
    """(user id, kind) for each person `event` concerns: whoever must act next, and the
    reporter at each change of level and at the result; never the actor, once each."""
    told: dict[int, str] = {}
    for users, kind in _concerned(report, event):
        for user_id in users:
            if user_id != event.actor_id:
                told.setdefault(user_id, kind)
    return list(told.items())


def _concerned(report: Report, event: ReportEvent) -> list[tuple[list[int], str]]:
    action = event.action
    if action == Action.SUBMIT:  # the grid's leader, and the level's command centre to accept
        return [(grid_leader_ids(report) + dispatcher_ids(report), Kind.NEW_REPORT)]
    if action == Action.ACCEPT:
        return [(reporter_and_follower_ids(report), Kind.ACCEPTED)]
    if action in (Action.DISPATCH, Action.REOPEN):
        return [(handler_ids(report.department_id), Kind.DISPATCHED)]
    if action == Action.ESCALATE:  # the next level reports in (报到); the department loses it
        return [(dispatcher_ids(report), Kind.ESCALATED),
                (handler_ids(event.department_id), Kind.ESCALATED),
                (reporter_and_follower_ids(report), Kind.ESCALATED)]
    if action == Action.RETURN:  # the level's dispatchers must dispatch again
        return [(dispatcher_ids(report), Kind.RETURNED)]
    if action == Action.RESOLVE:
        return [(reporter_and_follower_ids(report), Kind.RESOLVED)]
    if action in (Action.VERIFY, Action.CLOSE, Action.REJECT):
        return [(reporter_and_follower_ids(report), Kind.CLOSED)]
    if action == Action.MERGE:
        return [([report.reporter_id], Kind.CLOSED)]
    if action == Action.SUPERVISE:
        return [(handler_ids(report.department_id) + dispatcher_ids(report), Kind.OVERDUE)]
    if action == Action.REQUEST_EXTENSION:
        return [(dispatcher_ids(report), Kind.EXTENSION_ASKED)]
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        return [(handler_ids(report.department_id), Kind.EXTENSION_REPLY)]
    return []


def grid_leader_ids(report: Report) -> list[int]:
    return list(LeaderTerm.objects.filter(current_terms_q(timezone.localdate()),
                                          grid_id=report.grid_id)
                .order_by("user_id").values_list("user_id", flat=True))


def reporter_and_follower_ids(report: Report) -> list[int]:
    followers = (Report.objects.filter(duplicate_of=report).order_by("reporter_id")
                 .values_list("reporter_id", flat=True))
    return [report.reporter_id, *followers]


def handler_ids(department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    return list(StaffRole.objects.filter(role=StaffRole.Role.HANDLER, department_id=department_id)
                .order_by("user_id").values_list("user_id", flat=True))


def dispatcher_ids(report: Report) -> list[int]:
    """The command centre of the report's region at its level."""
    code = divisions.code_at(report.region_code, report.level)
    return list(StaffRole.objects.filter(role=StaffRole.Role.DISPATCHER, region__code=code)
                .order_by("user_id").values_list("user_id", flat=True))


def message_data(report: Report, event: ReportEvent) -> dict[str, str]:
    """Everything a template may show, as it was at the event (WECHAT_MESSAGE_FIELDS).
    Rendered in the site's language: the message is read by a person in China, not in
    the language of whoever's request caused it."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "number": report.number,
            "category": report.category.full_name,
            "status": str(report.get_status_display()),
            "level": str(report.get_level_display()),
            "note": event.note,
            "result": str(_result(report, event)),
            "time": event.at.isoformat(),
            "due": report.due_at.isoformat() if report.due_at else "",
            "address": report.address or report.grid.name,
            "department": report.department.name if report.department_id else "",
        }


def _result(report: Report, event: ReportEvent) -> str:
    """How the change ended: closed, rejected or merged; the decision on an extension;
    otherwise where the report stands."""
    if event.action in RESULTS:
        return RESULTS[event.action]
    if event.action in EXTENSION:
        return event.get_action_display()
    return report.get_status_display()


# --- queuing after commit -----------------------------------------------------------------


def enqueue(ids: list[int]) -> None:
    """Hand the rows to the task queue. Must never raise into the request that committed
    them: if the broker is down (or slow past its socket timeout) the rows stay pending
    and the relay sends them."""
    # By name, not by import: tasks call services, services never import tasks.
    send = current_app.signature(SEND_TASK)
    for pk in ids:
        try:
            send.apply_async((pk,), retry=False)
        except Exception as exc:  # the broker, whatever its failure; or an eager task's bug
            log.warning("notification %s left to the relay: %s: %s", pk, type(exc).__name__, exc)
            return


# --- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: int | None = None  # seconds, when WeChat was unreachable and we try again


def deliver(notification_id: int) -> Outcome | None:
    """Send one row if it is still pending and due (None when another sender has it or
    it is done): what the per-message task does."""
    if not claim(Notification.objects.filter(pk=notification_id), limit=1):
        return None
    return send(Notification.objects.select_related("recipient").get(pk=notification_id))


def relay_pending(*, limit: int = 1000) -> dict[str, int]:
    """Send what is due, up to `limit` rows: messages whose task never reached the broker,
    retries that are due, rows of a sender that died mid-way. Counts by outcome."""
    counts: Counter[str] = Counter()
    while (room := limit - sum(counts.values())) > 0:
        ids = claim(Notification.objects.all(), limit=min(RELAY_BATCH, room))
        if not ids:
            break
        for row in Notification.objects.filter(pk__in=ids).select_related("recipient"):
            counts[send(row).status] += 1
    return dict(counts)


def claim(rows: QuerySet[Notification], *, limit: int) -> list[int]:
    """Take due pending rows for sending: their `next_attempt_at` moves a lease into the
    future (no other sender picks them meanwhile) and the attempt is counted. On
    PostgreSQL rows another sender is claiming are skipped, not waited for."""
    now = timezone.now()
    with transaction.atomic():
        due = skip_locked(rows.filter(status=Notification.Status.PENDING,
                                      next_attempt_at__lte=now))
        ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1,
                next_attempt_at=now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS))
    return ids


def send(row: Notification) -> Outcome:
    """Send a claimed row through WeChat and record how it ended."""
    template = settings.WECHAT_TEMPLATES.get(row.kind) or {}
    if not template.get("id"):
        return _finish(row, Notification.Status.GIVEN_UP,
                       error=f"no template configured (WECHAT_TEMPLATE_{row.kind.upper()})")
    openid = row.recipient.wechat_openid
    if not openid:
        return _finish(row, Notification.Status.GIVEN_UP, error="the recipient has no openid")
    try:
        get_client().send_subscribe_message(openid, template["id"],
                                            render(template["fields"], row.data),
                                            page=settings.WECHAT_MESSAGE_PAGE.format(
                                                report=row.report_id))
    except WeChatUnavailable as exc:
        return _later(row, str(exc.detail))
    except WeChatError as exc:
        # 43101: the user has not subscribed (or used up their one-time consent); 47003
        # and the rest: our data or configuration. Neither gets better by retrying.
        status = (Notification.Status.REFUSED if exc.errcode == REFUSED_BY_USER
                  else Notification.Status.GIVEN_UP)
        return _finish(row, status, error=str(exc), errcode=exc.errcode)
    return _finish(row, Notification.Status.SENT)


def render(fields: dict[str, str], data: dict[str, str]) -> dict[str, str]:
    """Template keywords → values, each shaped to what its keyword type accepts."""
    return {keyword: _shape(keyword, data.get(name, "")) for keyword, name in fields.items()}


def _shape(keyword: str, value: str) -> str:
    kind = keyword.rstrip("0123456789")
    if kind in ("time", "date"):
        if not value:
            return "-"
        moment = timezone.localtime(datetime.fromisoformat(value))
        return f"{moment:%Y-%m-%d %H:%M}" if kind == "time" else f"{moment:%Y-%m-%d}"
    value = " ".join(str(value).split()) or "-"  # WeChat refuses empty values and newlines
    limit = VALUE_LIMITS.get(kind, 20)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _durably(write: Callable[[], object]) -> None:
    """Record what WeChat answered through a database restart or failover: the message is
    already on its way, and an outcome lost here would have the relay send it again once
    the lease is over. Outside a transaction only (a broken one cannot be retried); the
    window left is the process dying between WeChat's answer and this write."""
    for delay in (*RECORD_RETRY_SECONDS, None):
        try:
            write()
            return
        except (OperationalError, InterfaceError) as exc:
            if delay is None or connection.in_atomic_block:
                raise
            log.warning("recording a notification's outcome failed (%s); retry in %s s",
                        type(exc).__name__, delay)
            connection.close()  # the next query opens a new connection
            time.sleep(delay)


def backoff(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: base × 2^(attempts − 1), at most an hour."""
    return min(settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def _later(row: Notification, error: str) -> Outcome:
    if row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        return _finish(row, Notification.Status.GIVEN_UP,
                       error=f"WeChat unreachable after {row.attempts} attempts: {error}")
    delay = backoff(row.attempts)
    _durably(lambda: Notification.objects.filter(
        pk=row.pk, status=Notification.Status.PENDING).update(
        next_attempt_at=timezone.now() + timedelta(seconds=delay), last_error=error[:255]))
    log.info("notification %s: WeChat unreachable, retry in %s s", row.pk, delay)
    return Outcome(Notification.Status.PENDING, retry_in=delay)


def _finish(row: Notification, status: str, *, error: str = "",
            errcode: int | None = None) -> Outcome:
    _durably(lambda: Notification.objects.filter(
        pk=row.pk, status=Notification.Status.PENDING).update(
        status=status, finished_at=timezone.now(), last_error=error[:255], errcode=errcode))
    log.info("notification %s %s%s", row.pk, status, f": {error}" if error else "")
    return Outcome(status)
