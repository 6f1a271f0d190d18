"""The mini-program's own inbox (issue 13): every outbox message is readable in the app,
newest first, unread counted; marking read is the user's own and idempotent."""

import pytest

from gridapp.models import Notification

from .workflow_support import act, ok, submit

URL = "/api/v1/notifications/"


@pytest.fixture
def accepted(api):
    """resident1's report, accepted: leader5 and dispatcher-community were told of it,
    resident1 of the accept."""
    body = submit(api("resident1"))
    ok(act(api("dispatcher-community"), body["id"], "accept", note="收到"))
    return body


def test_every_message_is_in_the_recipients_inbox_newest_first(api, accepted):
    inbox = ok(api("resident1").get(URL))
    [message] = inbox["results"]
    assert inbox["unread"] == 1 and inbox["next"] is None
    assert (message["kind"], message["report"], message["read_at"]) == (
        "accepted", accepted["id"], None)
    assert message["title"] == "您上报的事件已受理"
    assert accepted["number"] in message["body"] and "收到" in message["body"]
    leader = ok(api("leader5").get(URL))
    assert [m["kind"] for m in leader["results"]] == ["new_report"]
    assert ok(api("leader1").get(URL)) == {"results": [], "next": None, "count": 0, "unread": 0}


def test_marking_read_by_id_or_all_and_unread_only(api, accepted):
    resident = api("resident1")
    [message] = ok(resident.get(URL))["results"]
    assert ok(resident.post(f"{URL}read/", {"ids": [message["id"]]}, format="json")) == {
        "unread": 0}
    first = Notification.objects.get(pk=message["id"]).read_at
    assert first is not None
    ok(resident.post(f"{URL}read/", {"all": True}, format="json"))
    assert Notification.objects.get(pk=message["id"]).read_at == first  # read once
    assert ok(resident.get(f"{URL}?unread=1"))["results"] == []
    assert len(ok(resident.get(URL))["results"]) == 1


def test_someone_elses_message_is_neither_read_nor_revealed(api, accepted):
    theirs = Notification.objects.get(recipient__username="leader5")
    answer = ok(api("resident1").post(f"{URL}read/", {"ids": [theirs.pk]}, format="json"))
    assert answer == {"unread": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"ids": ["²"]}, {"all": "x"},
                                  {"ids": "1"}])
def test_a_malformed_read_is_400(api, accepted, body):
    response = api("resident1").post(f"{URL}read/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_the_inbox_needs_a_signed_in_user(api):
    assert api().get(URL).status_code == 401
