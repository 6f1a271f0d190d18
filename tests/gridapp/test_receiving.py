"""A clock from the first minute and the 12345 hotline (issue 14, points 2 and 6): the
receiving time limit (受理) set at submission, its traffic light and supervision; the
overall deadline escalation does not reset; a dispatcher filing a call for a caller."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from gridapp.models import Notification, Report, ReportEvent
from gridapp.services import supervision, transitions

from .photos_support import HHL05_POINT
from .workflow_support import ok, report_body, submit

T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def at(moment: datetime, act):
    """`act()` with the clock at `moment` (clients made inside, so their tokens are fresh)."""
    with freeze_time(moment):
        return act()


# --- the receiving clock and the overall deadline ----------------------------------------

def test_a_new_report_has_a_receiving_deadline_and_an_overall_deadline(api, settings):
    body = at(T0, lambda: submit(api("resident1")))
    assert datetime.fromisoformat(body["accept_due_at"]) == T0 + hours(settings.REPORT_ACCEPT_HOURS)
    assert datetime.fromisoformat(body["deadline_at"]) == T0 + timedelta(
        days=settings.REPORT_DEADLINE_DAYS)
    assert body["traffic_light"] == "green" and body["due_at"] is None
    row = at(T0, lambda: ok(api("dispatcher-community").get("/api/v1/reports/")))["results"][0]
    assert row["accept_due_at"] == body["accept_due_at"]


def test_an_urgent_report_must_be_accepted_within_minutes(api, settings):
    body = at(T0, lambda: submit(api("resident1"), category="flying-wire", urgent=True))
    limit = timedelta(minutes=settings.REPORT_ACCEPT_MINUTES_URGENT)
    assert datetime.fromisoformat(body["accept_due_at"]) == T0 + limit
    late = at(T0 + limit + timedelta(minutes=1), lambda: ok(
        api("dispatcher-community").get(f"/api/v1/reports/{body['id']}/")))
    assert late["traffic_light"] == "red" and late["overdue"] is True


def test_an_unaccepted_report_is_supervised_once_and_its_dispatchers_told(api, user, settings):
    body = at(T0, lambda: submit(api("resident1"), category="flying-wire", urgent=True))
    limit = timedelta(minutes=settings.REPORT_ACCEPT_MINUTES_URGENT)
    assert at(T0 + limit, supervision.supervise).flagged == 0
    assert at(T0 + limit + timedelta(seconds=1), supervision.supervise).flagged == 1
    assert at(T0 + hours(5), supervision.supervise).flagged == 0  # once
    [event] = ReportEvent.objects.filter(report_id=body["id"], action="supervise")
    told = set(Notification.objects.filter(event=event).values_list("recipient__username",
                                                                   flat=True))
    assert told == {"dispatcher-community"}
    report = Report.objects.get(pk=body["id"])
    at(T0 + hours(6), lambda: transitions.accept_report(report,
                                                        actor=user("dispatcher-community")))
    report.refresh_from_db()
    assert report.supervised_at is None and report.due_at is not None  # the level's clock now


def test_escalation_does_not_move_the_overall_deadline(api, user):
    body = at(T0, lambda: submit(api("resident1")))
    report = Report.objects.get(pk=body["id"])
    dispatcher = user("dispatcher-community")
    at(T0 + hours(1), lambda: transitions.accept_report(report, actor=dispatcher))
    at(T0 + hours(2), lambda: transitions.escalate_report(report, actor=dispatcher,
                                                          note="街道处理"))
    after = at(T0 + hours(2), lambda: ok(
        api("dispatcher-street").get(f"/api/v1/reports/{report.pk}/")))
    assert after["deadline_at"] == body["deadline_at"] and after["level"] == "street"


# --- the hotline -------------------------------------------------------------------------

def hotline_call(client, **overrides):
    return client.post("/api/v1/reports/", report_body(
        source="hotline", caller={"name": "王先生", "phone": "13800138000"}, **overrides),
        format="json")


def test_a_dispatcher_files_a_call_and_only_staff_see_the_caller(api):
    response = at(T0, lambda: hotline_call(api("dispatcher-city")))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["grid_code"], body["status"]) == ("hotline", "HHL-05",
                                                                   "submitted")
    assert body["caller"] == {"name": "王先生", "phone": "13800138000", "email": ""}
    report = Report.objects.get(pk=body["id"])
    assert report.reporter.username == "dispatcher-city" and report.caller_phone == "13800138000"
    for staff in ("dispatcher-community", "admin"):
        assert ok(api(staff).get(f"/api/v1/reports/{report.pk}/"))["caller"]["name"] == "王先生"
    leader = ok(api("leader5").get(f"/api/v1/reports/{report.pk}/"))
    assert leader["caller"] is None and "13800138000" not in str(leader)


def test_only_the_command_centre_takes_calls_for_points_under_it(api):
    assert hotline_call(api("resident1")).json()["code"] == "permission_denied"
    assert hotline_call(api("handler-lighting")).json()["code"] == "permission_denied"
    outside = hotline_call(api("dispatcher-community"), lat=21.4810, lng=109.1170)  # 和平路社区
    assert (outside.status_code, outside.json()["code"]) == (403, "outside_your_regions")
    assert not Report.objects.exists()


@pytest.mark.parametrize("body", [
    {"source": "hotline"},  # no caller
    {"caller": {"name": "王先生", "phone": "13800138000"}},  # a caller without the source
    {"source": "hotline", "caller": {"name": "王先生"}},  # no phone
    {"source": "patrol", "caller": {"phone": "1"}},
])
def test_a_malformed_call_is_400_and_nothing_is_stored(api, body):
    response = api("dispatcher-city").post("/api/v1/reports/", report_body(**body),
                                           format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Report.objects.exists()


def test_a_members_report_cannot_claim_to_be_a_call(api):
    response = hotline_call(api("resident1"))
    assert response.status_code == 403
    plain = api("resident1").post("/api/v1/reports/", report_body(lat=HHL05_POINT[0]),
                                  format="json").json()
    assert plain["caller"] is None and plain["source"] == "miniprogram"
