"""Every change to a grid's people goes through a service and leaves a history row
(GridEvent): joining, the leader's decisions, appointing a leader, ending a term. The
admin calls the same services and edits nothing they own."""

import datetime as dt

import pytest
from django.urls import reverse
from freezegun import freeze_time

from config.api.errors import Forbidden, InvalidTransition
from gridapp.errors import TermOverlaps
from gridapp.models import Grid, GridEvent, GridMembership, Invite, LeaderTerm
from gridapp.services import leaders, memberships

pytestmark = pytest.mark.usefixtures("world")
NOV_26 = dt.date(2026, 11, 26)


def grid(code: str = "HHL-05") -> Grid:
    return Grid.objects.get(code=code)


def joined(user, code: str = "HHL-05") -> GridMembership:
    invite = memberships.create_invite(grid(code), actor=user("leader5"))
    return memberships.join_grid(invite_code=invite.code, member_type="volunteer",
                                 actor=user("newcomer"))


def history(of: Grid) -> list[tuple[str, str, str]]:
    return [(e.action, e.subject.username, e.actor.username)
            for e in GridEvent.objects.filter(grid=of).select_related("subject", "actor")]


# --- memberships -----------------------------------------------------------------------

@freeze_time("2026-11-26 10:00:00+08:00")
def test_asking_to_join_and_each_decision_write_a_history_row(user):
    membership = joined(user)
    memberships.decide_membership(membership, action="approve", actor=user("leader5"))
    memberships.decide_membership(membership, action="remove", actor=user("leader5"))
    assert history(grid())[-3:] == [("join_requested", "newcomer", "newcomer"),
                                    ("approved", "newcomer", "leader5"),
                                    ("removed", "newcomer", "leader5")]
    assert set(GridEvent.objects.filter(membership=membership).values_list("at", flat=True)) \
        == {dt.datetime.fromisoformat("2026-11-26T10:00:00+08:00")}


def test_a_rejection_is_recorded_too(user):
    membership = joined(user)
    memberships.decide_membership(membership, action="reject", actor=user("leader5"))
    assert history(grid())[-1] == ("rejected", "newcomer", "leader5")


def test_a_removal_keeps_who_approved_the_request(user):
    membership = joined(user)
    with freeze_time("2026-11-20 10:00:00+08:00"):
        memberships.decide_membership(membership, action="approve", actor=user("leader5"))
    with freeze_time("2026-11-26 10:00:00+08:00"):
        memberships.decide_membership(membership, action="remove", actor=user("leader5"))
    membership.refresh_from_db()
    assert (membership.status, membership.decided_by.username, membership.decided_at.date()) \
        == ("left", "leader5", dt.date(2026, 11, 20))


def test_a_refused_decision_writes_nothing(user):
    membership = joined(user)
    before = GridEvent.objects.count()
    with pytest.raises(InvalidTransition):
        memberships.decide_membership(membership, action="remove", actor=user("leader5"))
    with pytest.raises(Forbidden):
        memberships.decide_membership(membership, action="approve", actor=user("leader1"))
    assert GridEvent.objects.count() == before


# --- leader terms ----------------------------------------------------------------------

def test_appointing_a_leader_hands_the_open_term_over_the_day_before(user):
    term = leaders.appoint_leader(grid("HHL-09"), user("resident2"), start_date=NOV_26,
                                  actor=user("dispatcher-street"), note="换届")
    previous = LeaderTerm.objects.get(grid__code="HHL-09", user__username="leader9")
    assert (previous.end_date, term.start_date, term.end_date) == (
        dt.date(2026, 11, 25), NOV_26, None)
    assert history(grid("HHL-09"))[-2:] == [("term_ended", "leader9", "dispatcher-street"),
                                            ("term_appointed", "resident2", "dispatcher-street")]
    assert GridEvent.objects.get(term=term).note == "换届"


def test_a_term_may_not_start_inside_or_before_an_existing_one(user):
    before = (LeaderTerm.objects.count(), GridEvent.objects.count())
    for start in (dt.date(2026, 11, 10), dt.date(2026, 11, 16)):
        with pytest.raises(TermOverlaps):
            leaders.appoint_leader(grid("HHL-09"), user("resident2"), start_date=start,
                                   actor=user("admin"))
    assert (LeaderTerm.objects.count(), GridEvent.objects.count()) == before
    assert LeaderTerm.objects.get(grid__code="HHL-09", user__username="leader9").end_date is None


def test_ending_a_term_is_recorded_and_happens_once(user):
    term = LeaderTerm.objects.get(grid__code="HHL-09", user__username="leader9")
    leaders.end_term(term, end_date=NOV_26, actor=user("admin"), note="调离")
    assert history(grid("HHL-09"))[-1] == ("term_ended", "leader9", "admin")
    with pytest.raises(InvalidTransition):
        leaders.end_term(term, end_date=dt.date(2026, 11, 30), actor=user("admin"))
    with pytest.raises(InvalidTransition):
        leaders.end_term(LeaderTerm.objects.get(grid__code="HHL-05"),
                         end_date=dt.date(2020, 1, 1), actor=user("admin"))


@pytest.mark.parametrize("username", ["leader10", "dispatcher-community", "finance1",
                                      "resident3"])
def test_only_administrators_and_command_centres_above_appoint(user, username):
    """HPL-01 lies outside dispatcher-community's community; a leader appoints no one."""
    with pytest.raises(Forbidden):
        leaders.appoint_leader(grid("HPL-01"), user("resident3"), start_date=NOV_26,
                               actor=user(username))
    assert history(grid("HPL-01")) == []


# --- the admin calls the services ------------------------------------------------------

@pytest.fixture
def admin_client(client, user):
    client.force_login(user("admin"))
    return client


def test_the_admin_appoints_through_the_service(admin_client, user):
    response = admin_client.post(reverse("admin:gridapp_leaderterm_add"), {
        "grid": grid("HHL-09").pk, "user": user("resident2").pk,
        "start_date": "2026-11-26", "note": "换届"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert history(grid("HHL-09"))[-2:] == [("term_ended", "leader9", "admin"),
                                            ("term_appointed", "resident2", "admin")]


def test_the_admin_refuses_an_overlapping_term_with_a_message(admin_client, user):
    response = admin_client.post(reverse("admin:gridapp_leaderterm_add"), {
        "grid": grid("HHL-09").pk, "user": user("resident2").pk, "start_date": "2026-11-16"})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not LeaderTerm.objects.filter(user=user("resident2")).exists()


def test_the_admin_ends_an_open_term_and_an_ended_one_is_read_only(admin_client):
    term = LeaderTerm.objects.get(grid__code="HHL-09", user__username="leader9")
    url = reverse("admin:gridapp_leaderterm_change", args=[term.pk])
    assert admin_client.post(url, {"end_date": "2026-11-30", "note": "调离"}).status_code == 302
    term.refresh_from_db()
    assert term.end_date == dt.date(2026, 11, 30)
    assert GridEvent.objects.filter(term=term, action="term_ended").count() == 1
    admin_client.post(url, {"end_date": "2026-12-31"})
    term.refresh_from_db()
    assert term.end_date == dt.date(2026, 11, 30)


def test_memberships_terms_and_history_cannot_be_edited_or_deleted_in_the_admin(admin_client,
                                                                               user):
    membership = joined(user)
    change = reverse("admin:gridapp_gridmembership_change", args=[membership.pk])
    assert admin_client.get(change).status_code == 200  # shown, read only
    admin_client.post(change, {"status": "active", "member_type": "other"})
    membership.refresh_from_db()
    assert membership.status == "pending"
    term = LeaderTerm.objects.get(grid__code="HHL-05")
    assert admin_client.post(reverse("admin:gridapp_leaderterm_delete", args=[term.pk]),
                             {"post": "yes"}).status_code == 403
    event = GridEvent.objects.first()
    assert admin_client.post(reverse("admin:gridapp_gridevent_delete", args=[event.pk]),
                             {"post": "yes"}).status_code == 403
    assert LeaderTerm.objects.filter(pk=term.pk).exists() and Invite.objects.exists()
