"""WeChat subscribe messages about reports: who is told, the outbox written with the
transition, sending against a local WeChat stub (sent, refused, given up, retried with
backoff), the relay and its command. The broker-down path with a real Redis is in
test_notifications_broker.py."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from freezegun import freeze_time
from werkzeug import Request, Response

from gridapp.services import notifications, transitions
from gridapp.models import Notification, Report
from gridapp.tasks import relay_notifications, send_notification
from tests.conftest import needs_postgres
from tests.wechat_stub_helpers import (SUBSCRIBE_SEND, expect_subscribe_messages, expect_token,
                                       subscribe_messages)

from .photos_support import uploaded_photo_id
from .workflow_support import act, lighting, ok, report_in, row_locked_elsewhere, submit


pytestmark = pytest.mark.usefixtures("media")
T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")


def told(**filters) -> set[tuple[str, str]]:
    return set(Notification.objects.filter(**filters).values_list("recipient__username", "kind"))


def last_told(report: Report) -> set[tuple[str, str]]:
    event = report.events.latest("pk")
    return told(event=event)


# --- who is told ----------------------------------------------------------------------------


def test_a_new_report_tells_the_grids_leader_and_the_command_centre_that_accepts_it(api, user):
    body = submit(api("resident1"))
    assert told(report_id=body["id"]) == {("leader5", "new_report"),
                                          ("dispatcher-community", "new_report")}


def test_nobody_is_told_of_their_own_action(api, user):
    body = submit(api("leader5"))  # the leader reports in their own grid
    assert told(report_id=body["id"]) == {("dispatcher-community", "new_report")}


STEPS = [  # (status before, actor, action, body, who is told)
    ("submitted", "dispatcher-community", "accept", {}, {("resident1", "accepted")}),
    ("accepted", "dispatcher-community", "dispatch", {"department": "bh-lighting"},
     {("handler-lighting", "dispatched")}),
    ("dispatched", "handler-lighting", "start", {}, set()),
    ("resolved", "leader5", "verify", {}, {("resident1", "closed")}),
    ("resolved", "resident1", "verify", {}, set()),
    ("resolved", "resident1", "reopen", {"note": "还是不亮"}, {("handler-lighting", "dispatched")}),
    ("submitted", "dispatcher-community", "reject", {"note": "不属实"}, {("resident1", "closed")}),
    # the next level reports in (报到), the department loses the task, the reporter hears
    ("dispatched", "dispatcher-community", "escalate", {"note": "up"},
     {("dispatcher-street", "escalated"), ("handler-lighting", "escalated"),
      ("resident1", "escalated")}),
    ("dispatched", "handler-lighting", "return", {"note": "不归我们"},
     {("dispatcher-community", "returned")}),
    ("dispatched", "handler-lighting", "request-extension", {"hours": 48, "note": "等配件"},
     {("dispatcher-community", "extension_asked")}),
]


@pytest.mark.parametrize("status, actor, action, body, expected", STEPS,
                         ids=[f"{s[2]}-by-{s[1]}" for s in STEPS])
def test_each_transition_tells_the_right_people(api, user, status, actor, action, body, expected):
    report = report_in(status, reporter=user("resident1"), department=lighting())
    ok(act(api(actor), report.pk, action, **body))
    assert last_told(report) == expected


@pytest.mark.parametrize("decision, body", [("approve-extension", {}),
                                            ("deny-extension", {"note": "请按期办结"})])
def test_the_department_hears_the_answer_to_its_request_for_more_time(api, user, decision,
                                                                      body):
    report = report_in("dispatched", reporter=user("resident1"), department=lighting())
    ok(act(api("handler-lighting"), report.pk, "request-extension", hours=24, note="人手不足"))
    ok(act(api("dispatcher-community"), report.pk, decision, **body))
    assert last_told(report) == {("handler-lighting", "extension_reply")}
    [message] = Notification.objects.filter(event=report.events.latest("pk"))
    assert message.data["result"] == {"approve-extension": "批准延期",
                                      "deny-extension": "驳回延期"}[decision]


def test_resolving_tells_the_reporter(api, user):
    report = report_in("in_progress", reporter=user("resident1"), department=lighting())
    handler = api("handler-lighting")
    ok(act(handler, report.pk, "resolve", note="修好了", photo_ids=[uploaded_photo_id(handler)]))
    assert last_told(report) == {("resident1", "resolved")}


def test_a_merged_reports_reporter_is_told_and_then_follows_the_original(api, user):
    original = report_in("submitted", reporter=user("resident1"))
    repeat = report_in("submitted", reporter=user("resident2"))
    dispatcher = api("dispatcher-community")
    ok(act(dispatcher, repeat.pk, "merge", duplicate_of=original.pk))
    assert last_told(repeat) == {("resident2", "closed")}
    with translation.override("zh-hans"):  # messages speak the site's language
        merged = str(notifications.RESULTS["merge"])
    assert Notification.objects.get(event__report=repeat).data["result"] == merged
    ok(act(dispatcher, original.pk, "accept"))
    assert last_told(original) == {("resident1", "accepted"), ("resident2", "accepted")}


def test_a_failed_transition_leaves_no_message_behind(api, user):
    report = report_in("in_progress", reporter=user("resident1"), department=lighting())
    response = act(api("handler-lighting"), report.pk, "resolve", note="x", photo_ids=[10**9])
    assert response.status_code == 400
    assert not Notification.objects.exists()


def test_the_message_keeps_the_moment_it_tells_about(api, user):
    report = report_in("submitted", reporter=user("resident1"))
    with freeze_time(T0):
        ok(act(api("dispatcher-community"), report.pk, "accept", note="收到"))
    [row] = Notification.objects.all()
    assert row.data["number"] == report.number
    assert row.data["category"] == "市政设施 / 路灯不亮"
    assert row.data["note"] == "收到" and datetime.fromisoformat(row.data["time"]) == T0
    assert row.status == "pending" and row.attempts == 0


# --- sending through WeChat ---------------------------------------------------------------


@pytest.fixture
def pending(world, user, templates) -> Notification:
    """resident1's "accepted" message, written and not yet sent."""
    report = report_in("submitted", reporter=user("resident1"), address="黄海路 12 号旁边的那根路灯杆子下面")
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-community"), note="已受理")
    return Notification.objects.get()


def test_a_message_is_sent_to_the_recipients_openid_with_the_template(wechat_stub, pending):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    assert notifications.deliver(pending.pk) == notifications.Outcome("sent")
    [message] = subscribe_messages(wechat_stub)
    assert message["touser"] == "dev-openid-resident1"
    assert message["template_id"] == "tmpl-accepted"
    assert message["page"] == f"pages/report/detail?id={pending.report_id}"
    with translation.override("zh-hans"):
        status = str(Report.Status.ACCEPTED.label)  # 已受理 once translations ship
    assert message["data"] == {
        "character_string1": {"value": pending.report.number},
        "thing2": {"value": "市政设施 / 路灯不亮"},
        "phrase3": {"value": status if len(status) <= 5 else status[:4] + "…"},
        "time4": {"value": "2026-11-26 09:00"},  # Asia/Shanghai
    }
    pending.refresh_from_db()
    assert (pending.status, pending.attempts, pending.finished_at is not None) == ("sent", 1, True)
    assert notifications.deliver(pending.pk) is None  # never twice


def test_values_are_shaped_to_what_each_keyword_type_accepts():
    data = {"note": "一" * 30, "status": "in progress", "number": "BH20261126000001",
            "time": "2026-11-26T01:00:00+00:00", "address": "", "due": ""}
    rendered = notifications.render({"thing1": "note", "phrase2": "status",
                                     "character_string3": "number", "time4": "time",
                                     "thing5": "address", "date6": "time", "time7": "due"}, data)
    assert rendered == {"thing1": "一" * 19 + "…", "phrase2": "in p…",
                        "character_string3": "BH20261126000001", "time4": "2026-11-26 09:00",
                        "thing5": "-", "date6": "2026-11-26", "time7": "-"}


def test_a_user_who_did_not_subscribe_is_recorded_as_refused_and_not_retried(wechat_stub, pending):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub, {"errcode": 43101, "errmsg": "user refuse to accept"})
    assert notifications.deliver(pending.pk) == notifications.Outcome("refused")
    pending.refresh_from_db()
    assert (pending.status, pending.errcode) == ("refused", 43101)
    assert notifications.relay_pending() == {}


def test_bad_template_data_is_given_up_at_once(wechat_stub, pending):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub, {"errcode": 47003, "errmsg": "argument invalid!"})
    assert notifications.deliver(pending.pk) == notifications.Outcome("given_up")
    pending.refresh_from_db()
    assert (pending.status, pending.errcode, pending.attempts) == ("given_up", 47003, 1)
    assert "47003" in pending.last_error


@pytest.mark.parametrize("answer", [{"errcode": -1, "errmsg": "system busy"}, "http 500"])
def test_wechat_unreachable_is_retried_with_exponential_backoff_then_given_up(
        wechat_stub, pending, settings, answer):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_SECONDS = 30
    expect_token(wechat_stub)
    if answer == "http 500":
        wechat_stub.expect_request(SUBSCRIBE_SEND).respond_with_data("oops", status=500)
    else:
        expect_subscribe_messages(wechat_stub, answer)
    moment = T0
    for attempt, delay in [(1, 30), (2, 60)]:
        with freeze_time(moment):
            assert notifications.relay_pending() == {"pending": 1}
        pending.refresh_from_db()
        assert (pending.status, pending.attempts) == ("pending", attempt)
        assert pending.next_attempt_at == moment + timedelta(seconds=delay)
        with freeze_time(moment + timedelta(seconds=delay - 1)):
            assert notifications.relay_pending() == {}  # not due yet
        moment += timedelta(seconds=delay)
    with freeze_time(moment):
        assert notifications.relay_pending() == {"given_up": 1}
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == ("given_up", 3)
    assert "after 3 attempts" in pending.last_error
    assert len(subscribe_messages(wechat_stub)) == 3


def test_the_task_asks_celery_to_retry_when_wechat_is_unreachable(wechat_stub, pending):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub, {"errcode": 45011, "errmsg": "api minute-quota"})
    with pytest.raises(Retry):
        send_notification.run(pending.pk)  # as a worker runs it (not eager)
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == ("pending", 1)


def test_a_message_without_a_template_is_given_up_and_recorded(pending, settings):
    settings.WECHAT_TEMPLATES = {**settings.WECHAT_TEMPLATES,
                                 "accepted": {**settings.WECHAT_TEMPLATES["accepted"], "id": ""}}
    assert notifications.deliver(pending.pk) == notifications.Outcome("given_up")
    assert "WECHAT_TEMPLATE_ACCEPTED" in Notification.objects.get().last_error


def test_a_message_to_someone_without_an_openid_is_given_up_and_recorded(pending, user):
    User = type(user("resident1"))
    User.objects.filter(username="resident1").update(wechat_openid=None)
    assert notifications.deliver(pending.pk) == notifications.Outcome("given_up")
    assert Notification.objects.get().last_error == "the recipient has no openid"


# --- after commit, and the relay ------------------------------------------------------------


def test_messages_go_out_when_the_transition_commits(api, user, templates, wechat_stub,
                                                     django_capture_on_commit_callbacks):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    report = report_in("accepted", reporter=user("resident1"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ok(act(api("dispatcher-community"), report.pk, "dispatch", department="bh-lighting"))
    assert len(callbacks) == 1
    [message] = subscribe_messages(wechat_stub)
    assert (message["touser"], message["template_id"]) == ("dev-openid-handler-lighting",
                                                           "tmpl-dispatched")
    assert Notification.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_broken_queue_never_fails_the_request(api, user, monkeypatch):
    """A real commit (not a test transaction), so the on-commit hook runs inside the
    request, where an exception would turn the 200 into a 500."""
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("the broker is down")

    monkeypatch.setattr(send_notification, "apply_async", broker_down)
    report = report_in("submitted", reporter=user("resident1"))
    response = act(api("dispatcher-community"), report.pk, "accept")
    assert response.status_code == 200
    assert Notification.objects.get().status == "pending"


def test_the_relay_sends_what_is_due_and_leaves_the_rest(world, user, templates, wechat_stub):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    with freeze_time(T0) as clock:
        reports = [report_in("submitted", reporter=user("resident1")) for _i in range(3)]
        for report in reports:
            transitions.accept_report(report, actor=user("dispatcher-community"))
        later = Notification.objects.filter(report=reports[2])
        later.update(next_attempt_at=T0 + timedelta(minutes=5))  # a backoff running
        assert relay_notifications() == {"sent": 2}
        assert set(Notification.objects.values_list("status", flat=True)) == {"sent", "pending"}
        assert relay_notifications() == {}
        clock.tick(timedelta(minutes=6))
        assert notifications.relay_pending() == {"sent": 1}


def test_the_relay_takes_over_a_row_whose_sender_died(world, user, templates, wechat_stub,
                                                      settings):
    """A claim is a lease: a worker that died mid-send leaves the row pending, and the
    relay sends it once the lease is over."""
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    report = report_in("submitted", reporter=user("resident1"))
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-community"))
        assert notifications.claim(Notification.objects.all(), limit=10)  # and then died
        assert notifications.relay_pending() == {}
    with freeze_time(T0 + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)):
        assert notifications.relay_pending() == {"sent": 1}
    assert Notification.objects.get().attempts == 2


def test_the_relay_command_reports_what_it_did(world, user, templates, wechat_stub, capsys):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    transitions.accept_report(report_in("submitted", reporter=user("resident1")),
                           actor=user("dispatcher-community"))
    call_command("relay_notifications")
    assert capsys.readouterr().out.strip() == "Relayed 1 notification(s): sent 1."
    call_command("relay_notifications", "--limit", "5")
    assert capsys.readouterr().out.strip() == "Relayed 0 notification(s)."


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_never_send_one_row_twice_and_skip_what_the_other_holds(
        world, user, templates, wechat_stub, monkeypatch):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    monkeypatch.setattr(notifications, "enqueue", lambda ids: None)  # the broker was down
    for _i in range(2):
        transitions.accept_report(report_in("submitted", reporter=user("resident1")),
                               actor=user("dispatcher-community"))
    held = Notification.objects.order_by("pk").first()
    with row_locked_elsewhere(Notification.objects.filter(pk=held.pk)):
        assert notifications.relay_pending() == {"sent": 1}  # the other row, without waiting
    assert notifications.relay_pending() == {"sent": 1}
    assert len(subscribe_messages(wechat_stub)) == 2


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_an_outcome_is_recorded_through_a_database_restart_and_the_message_not_sent_again(
        world, user, templates, wechat_stub, monkeypatch):
    """What the chaos test found: WeChat took the message, the database went away before
    `sent` was written, and the relay sent it again after the lease."""
    monkeypatch.setattr(notifications, "enqueue", lambda ids: None)
    monkeypatch.setattr(notifications, "RECORD_RETRY_SECONDS", (0.1, 0.2))
    transitions.accept_report(report_in("submitted", reporter=user("resident1")),
                              actor=user("dispatcher-community"))
    row = Notification.objects.get()
    backend = connection.connection.info.backend_pid  # the session the sender uses

    def wechat_takes_it_and_the_database_restarts(request: Request) -> Response:
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [backend])
        return Response('{"errcode": 0, "errmsg": "ok"}', content_type="application/json")

    expect_token(wechat_stub)
    wechat_stub.expect_request(SUBSCRIBE_SEND, method="POST").respond_with_handler(
        wechat_takes_it_and_the_database_restarts)
    assert notifications.deliver(row.pk) == notifications.Outcome("sent")
    row.refresh_from_db()
    assert row.status == "sent" and connection.connection.info.backend_pid != backend
    assert notifications.relay_pending() == {}
    assert len(subscribe_messages(wechat_stub)) == 1


# --- configuration ----------------------------------------------------------------------


def _settings_with(**environment: str) -> subprocess.CompletedProcess:
    """Settings are read once per process: import them in a fresh one."""
    return subprocess.run([sys.executable, "-c", "import config.settings as s; "
                           "print(s.WECHAT_TEMPLATES['closed'])"],
                          cwd=Path(__file__).resolve().parents[2], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **environment})


def test_template_ids_and_field_mappings_come_from_the_environment():
    result = _settings_with(WECHAT_TEMPLATE_CLOSED="abc123",
                            WECHAT_TEMPLATE_CLOSED_FIELDS="thing1=number,time2=time")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str({"id": "abc123",
                                         "fields": {"thing1": "number", "time2": "time"}})


def test_a_field_mapping_to_an_unknown_field_stops_start_up():
    result = _settings_with(WECHAT_TEMPLATE_CLOSED_FIELDS="thing1=colour")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "WECHAT_TEMPLATE_CLOSED_FIELDS" in result.stderr
