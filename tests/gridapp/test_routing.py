"""Learned routing (智能分哨, issue 13) and the suggestion after a return (issue 14,
point 3), through the API with the demo users: the responsibility table says 路灯不亮 →
北海市照明管理处 (lighting); in the history built here lighting keeps returning HHL's lamp
reports and 东街街道综合执法中队 (enforcement) finishes them."""

import datetime as dt

import pytest
from freezegun import freeze_time

from gridapp.models import Region, Report, ReportEvent, Responsibility

from .workflow_support import act, enforcement, lighting, ok, report_in

pytestmark = pytest.mark.usefixtures("media")
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-12-05 10:00:00+08:00"):
        yield


def finished_history(user, count: int, *, returned_by=None, finished_by=None,
                     category: str = "streetlight") -> None:
    """`count` closed lamp reports of HHL at community level, each returned by
    `returned_by` (when given) and then resolved by `finished_by`."""
    for k in range(count):
        report = report_in(Report.Status.CLOSED, reporter=user("resident1"), category=category,
                           department=finished_by)
        day = dt.datetime(2026, 11, 1 + k, 9, tzinfo=BEIJING)
        if returned_by is not None:
            ReportEvent.objects.create(report=report, action="return", to_status="accepted",
                                       level="community", department=returned_by, at=day)
        ReportEvent.objects.create(report=report, action="resolve", to_status="resolved",
                                   level="community", department=finished_by,
                                   at=day + dt.timedelta(hours=5))


def accepted(api, user) -> dict:
    report = report_in(Report.Status.SUBMITTED, reporter=user("resident1"))
    return ok(act(api("dispatcher-community"), report.pk, "accept"))


def test_the_table_decides_while_there_is_no_history(api, user):
    body = accepted(api, user)
    assert body["suggested_department"] == lighting().pk
    detail = ok(api("dispatcher-community").get(f"/api/v1/reports/{body['id']}/"))
    assert detail["suggestion_evidence"] is None


def test_reports_the_table_returns_and_another_finishes_teach_the_suggestion(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement())
    finished_history(user, 2, finished_by=lighting())  # lighting did fix these itself

    body = accepted(api, user)

    assert body["suggested_department"] == enforcement().pk
    detail = ok(api("dispatcher-community").get(f"/api/v1/reports/{body['id']}/",
                                                HTTP_ACCEPT_LANGUAGE="en"))
    assert detail["suggestion_evidence"] == {
        "department": enforcement().pk, "department_name": "东街街道综合执法中队",
        "finished": 6, "of": 8, "returned": 6, "instead_of": lighting().pk,
        "instead_of_name": "北海市照明管理处",
        "text": "6 of the last 8 went to 东街街道综合执法中队"}


def test_a_few_returns_do_not_yet_override_the_table(api, user):
    finished_history(user, 4, returned_by=lighting(), finished_by=enforcement())
    assert accepted(api, user)["suggested_department"] == lighting().pk  # 4 < 5 reports
    finished_history(user, 1, returned_by=lighting(), finished_by=enforcement())
    assert accepted(api, user)["suggested_department"] == enforcement().pk


def test_returns_that_are_not_the_majority_leave_the_table_in_charge(api, user):
    finished_history(user, 2, returned_by=lighting(), finished_by=enforcement())
    finished_history(user, 6, finished_by=lighting())
    assert accepted(api, user)["suggested_department"] == lighting().pk  # 2 of 8 < half


def test_only_the_last_ten_finished_reports_count(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement())
    # later: ten lamps lighting fixed itself; the old returns fall out of the window
    for k in range(10):
        report = report_in(Report.Status.CLOSED, reporter=user("resident1"),
                           department=lighting())
        ReportEvent.objects.create(report=report, action="resolve", to_status="resolved",
                                   level="community", department=lighting(),
                                   at=dt.datetime(2026, 11, 20, 9 + k, tzinfo=BEIJING))
    assert accepted(api, user)["suggested_department"] == lighting().pk


def test_reports_of_another_category_teach_nothing(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement(),
                     category="clutter")
    assert accepted(api, user)["suggested_department"] == lighting().pk


def test_an_explicit_choice_wins_over_a_learned_suggestion(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement())
    body = accepted(api, user)
    dispatched = ok(act(api("dispatcher-community"), body["id"], "dispatch",
                        department=lighting().pk))
    assert dispatched["department"] == lighting().pk


def test_dispatch_without_a_choice_follows_the_learned_suggestion(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement())
    body = accepted(api, user)
    assert ok(act(api("dispatcher-community"), body["id"], "dispatch"))["department"] \
        == enforcement().pk


# --- issue 14, point 3: return, then dispatch ------------------------------------------


def test_after_a_return_the_suggestion_leaves_out_the_department_that_returned_it(api, user):
    """With a street row for lamps the table's first choice is enforcement, then lighting
    (city): once enforcement returns the report, dispatching without a choice sends it
    to lighting, not back to enforcement."""
    Responsibility.objects.create(category=lighting().responsibilities.get().category,
                                  region=Region.objects.get(code="450502001000"),
                                  department=enforcement())
    dispatcher = api("dispatcher-community")
    rid = accepted(api, user)["id"]
    assert ok(act(dispatcher, rid, "dispatch"))["department"] == enforcement().pk

    returned = ok(act(api("handler-enforcement"), rid, "return", note="不归我们管"))

    assert returned["suggested_department"] == lighting().pk
    assert ok(act(dispatcher, rid, "dispatch"))["department"] == lighting().pk


def test_when_every_responsible_department_has_returned_it_the_dispatcher_chooses(api, user):
    dispatcher = api("dispatcher-community")
    rid = accepted(api, user)["id"]
    ok(act(dispatcher, rid, "dispatch"))  # to lighting, the table's
    returned = ok(act(api("handler-lighting"), rid, "return", note="不是路灯"))
    assert returned["suggested_department"] is None

    refused = act(dispatcher, rid, "dispatch")

    assert (refused.status_code, refused.json()["code"]) == (400, "department_required")
    assert ok(act(dispatcher, rid, "dispatch", department=enforcement().pk))["department"] \
        == enforcement().pk


def test_a_learned_department_that_returns_the_report_gives_way_to_the_table(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement())
    dispatcher = api("dispatcher-community")
    rid = accepted(api, user)["id"]
    ok(act(dispatcher, rid, "dispatch"))  # to enforcement, as learned
    returned = ok(act(api("handler-enforcement"), rid, "return", note="不归我们管"))
    assert returned["suggested_department"] == lighting().pk
    assert returned["suggestion_evidence"] is None


def test_the_evidence_speaks_chinese_by_default(api, user):
    finished_history(user, 8, returned_by=lighting(), finished_by=enforcement())
    finished_history(user, 2, finished_by=lighting())
    rid = accepted(api, user)["id"]
    detail = ok(api("dispatcher-community").get(f"/api/v1/reports/{rid}/"))
    assert detail["suggestion_evidence"]["text"] == "最近 10 件中有 8 件由东街街道综合执法中队办结"


def test_escalation_clears_a_learned_suggestion(api, user):
    finished_history(user, 6, returned_by=lighting(), finished_by=enforcement())
    rid = accepted(api, user)["id"]
    escalated = ok(act(api("dispatcher-community"), rid, "escalate", note="社区处理不了"))
    assert (escalated["suggested_department"], escalated["suggestion_evidence"]) == (None, None)
