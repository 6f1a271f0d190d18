"""Workflow additions (issue 14): extensions (延期, point 5) — the department asks with a
reason, the level's dispatcher approves or denies, the due time moves only on approval,
every step is in the timeline, one request at a time; and merging across categories only
with a note (point 4)."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from gridapp.models import Report

from .workflow_support import act, lighting, ok, report_in, snapshot

T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")


@pytest.fixture
def dispatched(world, user) -> Report:
    with freeze_time(T0):
        return report_in("dispatched", reporter=user("resident1"), department=lighting(),
                         due_at=T0 + timedelta(hours=72), sla_started_at=T0)


def at(moment, act_):
    with freeze_time(moment):
        return act_()


def test_asked_then_approved_moves_the_due_time_and_both_are_in_the_timeline(api, dispatched):
    pk = dispatched.pk
    asked = at(T0 + timedelta(hours=1), lambda: ok(act(
        api("handler-lighting"), pk, "request-extension", hours=48, note="需等待配件到货")))
    assert asked["extension"]["hours"] == 48 and datetime.fromisoformat(asked["due_at"]) == dispatched.due_at
    dispatcher_sees = at(T0 + timedelta(hours=2), lambda: ok(
        api("dispatcher-community").get(f"/api/v1/reports/{pk}/")))
    assert {"approve-extension", "deny-extension"} <= set(dispatcher_sees["actions"])
    done = at(T0 + timedelta(hours=2), lambda: ok(act(
        api("dispatcher-community"), pk, "approve-extension", note="同意")))
    assert done["extension"] is None
    assert datetime.fromisoformat(done["due_at"]) == T0 + timedelta(hours=72 + 48)
    assert [(e["action"], e["note"]) for e in done["timeline"][-2:]] == [
        ("request_extension", "48 小时: 需等待配件到货"), ("approve_extension", "48 小时: 同意")]


def test_a_denied_extension_leaves_the_due_time(api, dispatched):
    ok(act(api("handler-lighting"), dispatched.pk, "request-extension", hours=24, note="人手不足"))
    assert act(api("dispatcher-community"), dispatched.pk, "deny-extension",
               note="").json()["code"] == "note_required"
    done = ok(act(api("dispatcher-community"), dispatched.pk, "deny-extension", note="请按期办结"))
    assert datetime.fromisoformat(done["due_at"]) == dispatched.due_at and done["extension"] is None
    assert done["timeline"][-1]["action"] == "deny_extension"


def test_one_request_at_a_time_and_nothing_to_decide_without_one(api, dispatched):
    handler = api("handler-lighting")
    assert act(api("dispatcher-community"), dispatched.pk,
               "approve-extension").json()["code"] == "no_extension_pending"
    ok(act(handler, dispatched.pk, "request-extension", hours=24, note="人手不足"))
    before = snapshot(dispatched)
    again = act(handler, dispatched.pk, "request-extension", hours=48, note="再延")
    assert (again.status_code, again.json()["code"]) == (409, "extension_pending")
    assert snapshot(dispatched) == before


@pytest.mark.parametrize("username,action,status", [
    ("dispatcher-community", "request-extension", 403),  # the department asks, not the centre
    ("handler-enforcement", "request-extension", 404),  # not theirs: they don't see it
    ("resident1", "request-extension", 403),
    ("handler-lighting", "approve-extension", 403),  # nor decides for itself
])
def test_only_the_department_asks_and_only_the_level_decides(api, dispatched, username, action,
                                                             status):
    response = act(api(username), dispatched.pk, action, hours=24, note="x")
    assert response.status_code == status


@pytest.mark.parametrize("body", [{"hours": 0, "note": "x"}, {"hours": 721, "note": "x"},
                                  {"hours": "two", "note": "x"}, {"note": "x"},
                                  {"hours": 24}, {"hours": 24, "note": ""}])
def test_a_malformed_request_is_400_and_changes_nothing(api, dispatched, body):
    before = snapshot(dispatched)
    response = act(api("handler-lighting"), dispatched.pk, "request-extension", **body)
    assert response.status_code == 400
    assert snapshot(dispatched) == before


def test_a_report_not_with_the_department_cannot_be_extended(api, user):
    resolved = report_in("resolved", reporter=user("resident1"), department=lighting())
    response = act(api("handler-lighting"), resolved.pk, "request-extension", hours=24, note="x")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


# --- merging across categories (issue 14 point 4) ---------------------------------------

def test_a_merge_across_categories_needs_a_note_saying_why(api, user):
    lamp = report_in("submitted", reporter=user("resident1"))
    clutter = report_in("submitted", reporter=user("resident2"), category="clutter")
    dispatcher = api("dispatcher-community")
    refused = act(dispatcher, clutter.pk, "merge", duplicate_of=lamp.pk)
    assert (refused.status_code, refused.json()["code"]) == (400, "note_required")
    assert Report.objects.get(pk=clutter.pk).status == "submitted"
    done = ok(act(dispatcher, clutter.pk, "merge", duplicate_of=lamp.pk, note="同一处：灯下堆物"))
    assert done["status"] == "duplicate" and done["duplicate_of"] == lamp.pk


def test_a_merge_within_a_category_needs_no_note(api, user):
    first = report_in("submitted", reporter=user("resident1"))
    second = report_in("submitted", reporter=user("resident2"))
    assert ok(act(api("dispatcher-community"), second.pk, "merge",
                  duplicate_of=first.pk))["status"] == "duplicate"
