"""The mini-program's home screen (issue 13): each role's figures in one request, counted
independently here, in a bounded number of queries."""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from gridapp.models import Region, Report
from gridapp.services import transitions
from payroll import services as payroll

from .photos_support import make_reports
from .workflow_support import lighting, ok, submit

T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")


def screen(api, username):
    return ok(api(username).get("/api/v1/home/"))


def test_a_residents_home_counts_their_open_reports_and_unread_messages(api):
    with freeze_time(T0):
        submit(api("resident1"))
        submit(api("resident1"))
        home = screen(api, "resident1")
    assert home == {"my_open_reports": 2, "awaiting_my_verification": 0, "queue": None,
                    "tasks": None, "unread": 0}


def test_a_dispatchers_queue_and_a_handlers_tasks_by_traffic_light(api, user):
    resident, dispatcher = user("resident1"), user("dispatcher-community")
    with freeze_time(T0):
        waiting, late, sent = make_reports(3, reporter=resident, photos=0)
        Report.objects.filter(pk__in=[waiting.pk, late.pk, sent.pk]).update(
            accept_due_at=T0 + timedelta(hours=24), created_at=T0)
        transitions.accept_report(sent, actor=dispatcher)
        transitions.dispatch_report(sent, actor=dispatcher, department=lighting())
    Report.objects.filter(pk=late.pk).update(accept_due_at=T0 + timedelta(hours=1))
    with freeze_time(T0 + timedelta(hours=2)):
        queue = screen(api, "dispatcher-community")["queue"]
        tasks = screen(api, "handler-lighting")["tasks"]
        assert screen(api, "dispatcher-street")["queue"] == {
            "total": 0, "green": 0, "yellow": 0, "red": 0}  # nothing at the street's level
    assert queue == {"total": 2, "green": 1, "yellow": 0, "red": 1}
    assert tasks == {"total": 1, "green": 1, "yellow": 0, "red": 0}


def test_a_leader_sees_reports_to_verify_and_the_stipend(api, user):
    resident = user("resident1")
    with freeze_time(T0):
        [resolved] = make_reports(1, reporter=resident, photos=0)
        Report.objects.filter(pk=resolved.pk).update(status="resolved", resolved_at=T0)
        home = screen(api, "leader5")
    assert home["awaiting_my_verification"] == 1 and home["queue"] is None
    assert home["stipend"] == {"period": "2026-11", "amount": None, "status": None,
                               "latest": None}
    with freeze_time("2026-12-02T09:00:00+08:00"):
        run = payroll.create_run(period=date(2026, 11, 1), actor=user("finance1"),
                                 region=Region.objects.get(code="450502001001"))
        payroll.submit_run(run, actor=user("finance1"))
        payroll.approve_run(run, actor=user("finance2"))
        home = screen(api, "leader5")
    assert home["awaiting_my_verification"] == 1  # 6 days after resolving: still open
    with freeze_time(T0 + timedelta(days=7, seconds=1)):
        assert screen(api, "leader5")["awaiting_my_verification"] == 0  # the window closed
    assert home["stipend"]["period"] == "2026-12" and home["stipend"]["amount"] is None
    assert home["stipend"]["latest"] == {"period": "2026-11", "amount": "300.00",
                                         "status": "approved"}


def test_a_leaders_own_open_reports_and_those_to_verify_are_counted_apart(api, user):
    # Both figures come from one statement: neither may count the other's reports.
    leader, resident = user("leader5"), user("resident1")
    with freeze_time(T0):
        own_open, own_resolved, old_resolved = make_reports(3, reporter=leader, photos=0)
        grid_open, grid_resolved = make_reports(2, reporter=resident, photos=0)
        Report.objects.filter(pk__in=[own_resolved.pk, grid_resolved.pk]).update(
            status="resolved", resolved_at=T0 - timedelta(days=1))
        Report.objects.filter(pk=old_resolved.pk).update(
            status="resolved", resolved_at=T0 - timedelta(days=8))
        home, residents = screen(api, "leader5"), screen(api, "resident1")
    assert (home["my_open_reports"], home["awaiting_my_verification"]) == (1, 2)
    assert (residents["my_open_reports"], residents["awaiting_my_verification"]) == (1, 1)


def test_the_home_screen_costs_a_bounded_number_of_queries(api, user,
                                                           django_assert_max_num_queries):
    client = api("leader5")
    with django_assert_max_num_queries(10):
        ok(client.get("/api/v1/home/"))
