"""The SLA clock (due time per level, urgent = 2 h), the traffic light, supervision (督办)
of overdue reports with automatic escalation, and the automatic close — with a frozen
clock (freezegun), never a sleep."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from gridapp.services import supervision, transitions
from gridapp.models import Notification, Report, ReportEvent
from gridapp.selectors.reports import traffic_lights
from gridapp.tasks import close_unverified_reports, supervise_reports
from tests.conftest import needs_postgres

from .workflow_support import DISPATCHERS, LEVELS, lighting, ok, report_in, row_locked_elsewhere


T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
SLA = {  # DEMO.md: community / street / district / city
    "streetlight": (72, 72, 48, 48),
    "clutter": (48, 48, 24, 24),
    "flying-wire": (24, 12, 12, 12),
    "illegal-building": (168, 120, 72, 72),
    "other": (72, 72, 72, 72),
}


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.fixture(autouse=True)
def _built_before_t0():
    """Everything a test builds outside its own `freeze_time(...)` blocks (reports, their
    submit events, sign-ins) happens an hour before T0, never at the real clock: a timeline
    mixing the two sorts differently on every day the suite runs."""
    with freeze_time(T0 - hours(1)):
        yield


# --- the due time -------------------------------------------------------------------------


@pytest.mark.parametrize("category", SLA)
@pytest.mark.parametrize("level", LEVELS)
def test_accept_sets_the_due_time_from_the_categorys_sla_at_the_level(
        world, user, category, level):
    report = report_in("submitted", reporter=user("resident1"), category=category, level=level)
    with freeze_time(T0):
        transitions.accept_report(report, actor=user(DISPATCHERS[level]))
    report.refresh_from_db()
    assert report.due_at == T0 + hours(SLA[category][LEVELS.index(level)])
    assert report.sla_started_at == T0


@pytest.mark.parametrize("level", LEVELS)
def test_an_urgent_report_is_due_in_two_hours_at_any_level(world, user, level):
    report = report_in("submitted", reporter=user("resident1"), category="illegal-building",
                       level=level, urgent=True)
    with freeze_time(T0):
        transitions.accept_report(report, actor=user(DISPATCHERS[level]))
    assert Report.objects.get(pk=report.pk).due_at == T0 + hours(2)


def test_escalate_restarts_the_clock_with_the_next_levels_sla(world, user):
    report = report_in("submitted", reporter=user("resident1"), category="flying-wire")
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-community"))
    with freeze_time(T0 + hours(5)):
        transitions.escalate_report(report, actor=user("dispatcher-community"), note="up")
    report.refresh_from_db()
    assert (report.level, report.status) == ("street", "submitted")
    assert report.due_at == T0 + hours(5) + hours(12)  # flying-wire at street: 12 h
    assert report.sla_started_at == T0 + hours(5)


def test_a_new_report_has_no_clock_until_accepted(api, user):
    report = report_in("submitted", reporter=user("resident1"))
    body = api("resident1").get(f"/api/v1/reports/{report.pk}/").json()
    assert body["due_at"] is None and body["traffic_light"] is None and body["overdue"] is False


# --- the traffic light --------------------------------------------------------------------


@pytest.mark.parametrize("elapsed, light", [
    (0, "green"), (57.5, "green"),  # 72 h: 80 % is 57.6 h
    (57.6, "yellow"), (72, "yellow"),  # up to 100 % inclusive
    (72.01, "red"), (500, "red"),
])
def test_the_traffic_light_is_green_under_80_percent_yellow_to_100_red_over(
        api, user, elapsed, light):
    report = report_in("submitted", reporter=user("resident1"))
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-community"))
    with freeze_time(T0 + hours(elapsed)):
        body = ok(api("dispatcher-community").get(f"/api/v1/reports/{report.pk}/"))
    assert body["traffic_light"] == light and body["overdue"] is (light == "red")


US = timedelta(microseconds=1)
# (status, clocks, [(moment after T0, its light)]). The report was submitted at T0 - 1 h.
CLOCKS = [
    # 72 h from T0: 80 % is at 57.6 h, 100 % at 72 h
    ("in_progress", {"sla_started_at": T0, "due_at": T0 + hours(72)},
     [(hours(0), "green"), (hours(57.6) - US, "green"), (hours(57.6), "yellow"),
      (hours(72), "yellow"), (hours(72) + US, "red"), (hours(500), "red")]),
    # the receiving clock, 10 h from the submission: 80 % at T0 + 7 h
    ("submitted", {"accept_due_at": T0 + hours(9)},
     [(hours(7) - US, "green"), (hours(7), "yellow"), (hours(9), "yellow"),
      (hours(9) + US, "red")]),
    # 80 % of 3,599,666,674 µs is no whole microsecond: 2,879,733,339.2 after the start
    ("accepted", {"sla_started_at": T0 + US * 333_333, "due_at": T0 + hours(1) + US * 7},
     [(hours(0.8) + US * 66_672, "green"), (hours(0.8) + US * 66_673, "yellow"),
      (hours(1) + US * 7, "yellow"), (hours(1) + US * 8, "red")]),
    # once accepted, the level's clock even while back in `submitted` (escalated)
    ("submitted", {"accept_due_at": T0, "sla_started_at": T0, "due_at": T0 + hours(10)},
     [(hours(1), "green"), (hours(8), "yellow"), (hours(11), "red")]),
    # no clock: no receiving time limit, a deadline without a start, none at all, closed
    ("submitted", {"accept_due_at": None}, [(hours(1), None)]),
    ("accepted", {"due_at": T0 + hours(10)}, [(hours(1), None)]),
    ("dispatched", {}, [(hours(0), None)]),
    ("resolved", {"sla_started_at": T0, "due_at": T0 + hours(72)}, [(hours(100), None)]),
]


@pytest.mark.parametrize("status, clocks, lights", CLOCKS)
def test_the_lights_counted_in_sql_are_each_reports_light(world, user, status, clocks, lights):
    """`traffic_lights` (home screens, the console) and `Report.traffic_light` (each
    report's page) give the same light, a microsecond either side of 80 % and 100 %."""
    report = report_in(status, reporter=user("resident1"), created_at=T0 - hours(1),
                       **clocks)
    for moment, light in lights:
        assert report.traffic_light(T0 + moment) == light, moment
        counted = traffic_lights(Report.objects.filter(pk=report.pk), T0 + moment)
        assert counted == {(status, light): 1}, moment


@pytest.mark.parametrize("status", ["resolved", "closed", "rejected"])
def test_a_report_no_longer_open_has_no_light(world, user, status):
    report = report_in(status, reporter=user("resident1"), due_at=T0, sla_started_at=T0 - hours(1))
    assert report.traffic_light(T0 + hours(10)) is None


# --- supervision --------------------------------------------------------------------------


@pytest.fixture
def dispatched(world, user) -> Report:
    """Accepted at community level at T0 (streetlight: due T0 + 72 h), dispatched to the
    lighting office."""
    report = report_in("submitted", reporter=user("resident1"))
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-community"))
        transitions.dispatch_report(report, actor=user("dispatcher-community"),
                                    department=lighting())
    return report


def supervise_at(moment: datetime) -> supervision.Supervision:
    with freeze_time(moment):
        return supervision.supervise()


def test_nothing_happens_before_the_due_time(dispatched):
    assert supervise_at(T0 + hours(72)) == supervision.Supervision(flagged=0, escalated=0)


def test_an_overdue_report_is_flagged_once_with_an_event_and_messages(dispatched, user):
    assert supervise_at(T0 + hours(72.1)) == supervision.Supervision(flagged=1, escalated=0)
    dispatched.refresh_from_db()
    assert dispatched.supervised_at == T0 + hours(72.1)
    [event] = ReportEvent.objects.filter(report=dispatched, action="supervise")
    assert (event.actor, event.from_status, event.to_status) == (None, "dispatched", "dispatched")
    told = set(Notification.objects.filter(event=event).values_list("recipient__username", "kind"))
    assert told == {("handler-lighting", "overdue"), ("dispatcher-community", "overdue")}

    # idempotent: later runs within the second period do nothing more
    assert supervise_at(T0 + hours(72.2)) == supervision.Supervision(0, 0)
    assert supervise_at(T0 + hours(143.9)) == supervision.Supervision(0, 0)
    assert ReportEvent.objects.filter(report=dispatched, action="supervise").count() == 1
    assert Notification.objects.filter(kind="overdue").count() == 2


def test_a_second_full_sla_period_later_it_escalates_by_itself(dispatched):
    supervise_at(T0 + hours(72.1))
    moment = T0 + hours(144)  # due + another 72 h
    assert supervise_at(moment) == supervision.Supervision(flagged=0, escalated=1)
    dispatched.refresh_from_db()
    assert (dispatched.status, dispatched.level, dispatched.department) == (
        "submitted", "street", None)
    assert dispatched.due_at == moment + hours(72)  # the street's clock starts
    assert dispatched.supervised_at is None
    event = ReportEvent.objects.filter(report=dispatched).latest("pk")
    assert (event.action, event.actor, event.level, event.department) == (
        "escalate", None, "street", lighting())
    assert supervise_at(moment + hours(1)) == supervision.Supervision(0, 0)  # idempotent


def test_escalation_waits_for_the_flag(dispatched):
    """A sweep that missed the whole first period flags first; escalation comes at a later
    run, so the department always hears of it before the report leaves them."""
    assert supervise_at(T0 + hours(200)) == supervision.Supervision(flagged=1, escalated=0)
    assert supervise_at(T0 + hours(200.1)) == supervision.Supervision(flagged=0, escalated=1)


def test_at_city_level_an_overdue_report_is_flagged_but_has_nowhere_to_go(world, user):
    report = report_in("submitted", reporter=user("resident1"), level="city")
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-city"))
    assert supervise_at(T0 + hours(48.1)) == supervision.Supervision(1, 0)
    assert supervise_at(T0 + hours(500)) == supervision.Supervision(0, 0)
    assert Report.objects.get(pk=report.pk).level == "city"


def test_an_escalated_report_nobody_accepted_is_flagged_not_escalated_again(world, user):
    """escalate starts from accepted, dispatched or in_progress (the lifecycle): a report
    waiting in the next level's inbox is chased, not pushed further."""
    report = report_in("accepted", reporter=user("resident1"))
    with freeze_time(T0):
        transitions.escalate_report(report, actor=user("dispatcher-community"), note="up")
    assert supervise_at(T0 + hours(72.1)) == supervision.Supervision(1, 0)
    told = Notification.objects.filter(kind="overdue").values_list("recipient__username", flat=True)
    assert list(told) == ["dispatcher-street"]
    assert supervise_at(T0 + hours(300)) == supervision.Supervision(0, 0)


def test_the_supervision_task_runs_the_sweep(dispatched):
    with freeze_time(T0 + hours(73)):
        assert supervise_reports() == {"flagged": 1, "escalated": 0}


def test_a_report_resolved_before_the_sweep_is_left_alone(dispatched, user):
    Report.objects.filter(pk=dispatched.pk).update(status="resolved", resolved_at=T0 + hours(10))
    assert supervise_at(T0 + hours(300)) == supervision.Supervision(0, 0)


# --- the automatic close ----------------------------------------------------------------


def test_a_resolved_report_nobody_verified_closes_after_seven_days(world, user):
    report = report_in("resolved", reporter=user("resident1"), department=lighting(),
                       resolved_at=T0)
    with freeze_time(T0 + timedelta(days=7)):
        assert close_unverified_reports() == 0
    with freeze_time(T0 + timedelta(days=7, seconds=1)):
        assert close_unverified_reports() == 1
        assert close_unverified_reports() == 0  # idempotent
    report.refresh_from_db()
    assert report.status == "closed"
    event = ReportEvent.objects.filter(report=report).latest("pk")
    assert (event.action, event.actor, event.from_status) == ("close", None, "resolved")
    assert list(Notification.objects.filter(event=event).values_list(
        "recipient__username", "kind")) == [("resident1", "closed")]


def test_the_reporter_can_still_rate_an_automatically_closed_report(api, user):
    report = report_in("resolved", reporter=user("resident1"), resolved_at=T0)
    with freeze_time(T0 + timedelta(days=8)):
        supervision.close_unverified()
    response = api("resident1").post(f"/api/v1/reports/{report.pk}/rating/", {"score": 3},
                                     format="json")
    assert response.status_code == 201


# --- PostgreSQL: SKIP LOCKED ------------------------------------------------------------------


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_report_another_transaction_holds_and_takes_it_next_time(world, user):
    report = report_in("submitted", reporter=user("resident1"))
    with freeze_time(T0):
        transitions.accept_report(report, actor=user("dispatcher-community"))
    with row_locked_elsewhere(Report.objects.filter(pk=report.pk)):
        assert supervise_at(T0 + hours(73)) == supervision.Supervision(0, 0)  # skipped, not waited
    assert supervise_at(T0 + hours(73)) == supervision.Supervision(1, 0)


def test_the_detail_shows_the_supervision_flag(api, dispatched):
    supervise_at(T0 + hours(73))
    with freeze_time(T0 + hours(74)):
        body = api("dispatcher-community").get(f"/api/v1/reports/{dispatched.pk}/").json()
    assert body["overdue"] is True and body["supervised_at"] is not None
    assert body["timeline"][-1]["action"] == "supervise" and body["timeline"][-1]["actor"] is None
