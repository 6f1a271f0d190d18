"""The report page's newer buttons and panels (issue 18): asking for and deciding an
extension (延期), the learned-routing evidence beside the dispatch button, and a possible
duplicate shown side by side with the report before merging."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from gridapp.models import Report

from ..gridapp.workflow_support import enforcement, lighting, report_in
from .conftest import post

T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time(T0 + timedelta(hours=1)):
        yield


def page_of(client, report: Report, query: str = "") -> str:
    response = client.get(f"/console/reports/{report.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_department_asks_for_more_time_and_the_centre_approves(console, user):
    report = report_in("dispatched", reporter=user("resident1"), department=lighting(),
                       due_at=T0 + timedelta(hours=72), sla_started_at=T0)
    handler, dispatcher = console("handler-lighting"), console("dispatcher-community")
    assert 'name="request-extension"' in page_of(handler, report)
    refused = post(handler, f"/console/reports/{report.pk}/request-extension/", {"hours": "48"})
    assert refused.status_code == 302 and Report.objects.get(pk=report.pk).extension_hours is None
    post(handler, f"/console/reports/{report.pk}/request-extension/",
         {"hours": "48", "note": "需等待配件到货"})
    assert Report.objects.get(pk=report.pk).extension_hours == 48
    shown = page_of(dispatcher, report)
    assert "data-extension" in shown and 'name="approve-extension"' in shown
    assert 'name="deny-extension"' in shown and 'name="approve-extension"' not in page_of(
        handler, report)
    post(dispatcher, f"/console/reports/{report.pk}/approve-extension/", {"note": "同意"})
    report.refresh_from_db()
    assert (report.extension_hours, report.due_at) == (None, T0 + timedelta(hours=120))


def test_a_denial_needs_a_reason_and_leaves_the_due_time(console, user):
    report = report_in("dispatched", reporter=user("resident1"), department=lighting(),
                       due_at=T0 + timedelta(hours=72), sla_started_at=T0)
    post(console("handler-lighting"), f"/console/reports/{report.pk}/request-extension/",
         {"hours": "24", "note": "人手不足"})
    dispatcher = console("dispatcher-community")
    post(dispatcher, f"/console/reports/{report.pk}/deny-extension/")
    assert Report.objects.get(pk=report.pk).extension_hours == 24
    post(dispatcher, f"/console/reports/{report.pk}/deny-extension/", {"note": "请按期办结"})
    report.refresh_from_db()
    assert (report.extension_hours, report.due_at) == (None, T0 + timedelta(hours=72))


def test_the_dispatch_button_shows_why_the_suggestion_was_learned(console, user):
    report = report_in("accepted", reporter=user("resident1"),
                       suggested_department=enforcement(),
                       suggestion_evidence={"department": enforcement().pk,
                                            "department_name": enforcement().name,
                                            "finished": 8, "of": 10, "returned": 6,
                                            "instead_of": lighting().pk,
                                            "instead_of_name": lighting().name})
    shown = page_of(console("dispatcher-community"), report)
    assert f'data-evidence="{enforcement().pk}"' in shown
    assert (f"根据近期事件学习：最近 10 件中有 8 件由{enforcement().name}办结；"
            f"其中 6 件曾被{lighting().name}退回。") in shown
    assert f'<option value="{enforcement().pk}" selected>' in shown


def test_a_possible_duplicate_is_compared_side_by_side_then_merged(console, open_reports):
    original, duplicate = open_reports(2)
    client = console("dispatcher-community")
    shown = page_of(client, duplicate)
    assert f'data-duplicate="{original.pk}"' in shown
    compared = page_of(client, duplicate, f"?compare={original.pk}")
    assert f'data-compare="{original.pk}"' in compared
    assert original.number in compared and duplicate.number in compared
    assert f'name="duplicate_of" inputmode="numeric" required value="{original.pk}"' in compared
    post(client, f"/console/reports/{duplicate.pk}/merge/", {"duplicate_of": original.pk})
    assert Report.objects.get(pk=duplicate.pk).status == "duplicate"


@pytest.mark.parametrize("compare", ["²", "abc", str(10**30), "hidden", "self"])
def test_a_comparison_with_no_such_visible_report_shows_none(console, open_reports, compare):
    report, = open_reports(1)
    hidden, = open_reports(1, grid_code="HPL-01")
    wanted = {"hidden": hidden.pk, "self": report.pk}.get(compare, compare)
    shown = page_of(console("dispatcher-community"), report, f"?compare={wanted}")
    assert "data-compare=" not in shown
