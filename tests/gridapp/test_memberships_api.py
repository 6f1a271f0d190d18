"""Invites and memberships (API.md "Grids and members"): a leader invites, a resident
joins (pending), the leader approves, rejects or removes; who may do what; the rate
limit on joining; races; constant query counts for the members list."""

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from freezegun import freeze_time
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from config.api.errors import DomainError
from gridapp.services import memberships
from gridapp.models import Grid, GridMembership, Invite, LeaderTerm

NOW = "2026-11-26 10:00:00+08:00"


def grid_id(code: str) -> int:
    return Grid.objects.get(code=code).pk


def invite(api, leader: str = "leader5", grid: str = "HHL-05") -> str:
    response = api(leader).post(f"/api/v1/grids/{grid_id(grid)}/invites/", format="json")
    assert response.status_code == 201, response.content
    return response.json()["code"]


def join(api, username: str, code: str, member_type: str = "volunteer", **headers):
    return api(username).post("/api/v1/memberships/",
                              {"invite_code": code, "member_type": member_type},
                              format="json", headers=headers)


def decide(api, username: str, membership_id: int, action: str):
    return api(username).post(f"/api/v1/memberships/{membership_id}/{action}/", format="json")


def pending(user: User, grid: str = "HHL-05") -> GridMembership:
    return GridMembership.objects.create(grid=Grid.objects.get(code=grid), user=user,
                                         member_type=GridMembership.MemberType.OTHER)


def error(response, status: int) -> str:
    assert response.status_code == status, response.content
    return response.json()["code"]


# --- invites --------------------------------------------------------------------------

@freeze_time(NOW)
def test_a_leader_creates_an_invite_that_expires_in_72_hours(api):
    response = api("leader5").post(f"/api/v1/grids/{grid_id('HHL-05')}/invites/", format="json")
    assert response.status_code == 201
    body = response.json()
    assert {"code", "expires_at"} <= set(body)
    assert dt.datetime.fromisoformat(body["expires_at"]) == (
        dt.datetime.fromisoformat(NOW) + dt.timedelta(hours=72))
    stored = Invite.objects.get(code=body["code"])
    assert (stored.grid.code, stored.created_by.username, stored.used_at) == (
        "HHL-05", "leader5", None)


def test_invite_codes_are_long_random_and_unambiguous(api):
    codes = {invite(api) for _i in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == memberships.INVITE_LENGTH == 10
        assert set(code) <= set(memberships.INVITE_ALPHABET)
    # 31 symbols, no 0/O or 1/I/L: 10 of them hold ~49.5 bits.
    assert len(set(memberships.INVITE_ALPHABET)) == 31
    assert not set("01OIL") & set(memberships.INVITE_ALPHABET)


def test_a_retried_invite_request_with_the_same_key_returns_the_same_code(api):
    client = api("leader5")
    url = f"/api/v1/grids/{grid_id('HHL-05')}/invites/"
    first = client.post(url, format="json", headers={"Idempotency-Key": "inv-1"})
    again = client.post(url, format="json", headers={"Idempotency-Key": "inv-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Invite.objects.count() == 1


@pytest.mark.parametrize(("username", "grid", "status", "code"), [
    ("leader4", "HHL-05", 403, "permission_denied"),  # a neighbour leader sees it, may not invite
    ("resident1", "HHL-05", 403, "permission_denied"),
    ("dispatcher-community", "HHL-05", 403, "permission_denied"),
    ("leader5", "HPL-01", 404, "not_found"),
    ("newcomer", "HHL-05", 404, "not_found"),
])
def test_only_the_grids_leader_may_invite(api, username, grid, status, code):
    response = api(username).post(f"/api/v1/grids/{grid_id(grid)}/invites/", format="json")
    assert error(response, status) == code
    assert not Invite.objects.exists()


# --- joining --------------------------------------------------------------------------

def test_joining_with_an_invite_creates_a_pending_membership(api, user):
    code = invite(api)
    response = join(api, "newcomer", code, "alley_head")
    assert response.status_code == 201
    body = response.json()
    assert {"id", "grid", "status"} <= set(body)
    assert (body["grid"], body["status"]) == (grid_id("HHL-05"), "pending")
    membership = GridMembership.objects.get(pk=body["id"])
    assert (membership.user, membership.member_type) == (user("newcomer"), "alley_head")
    assert Invite.objects.get(code=code).used_at is not None


def test_the_four_member_types_of_the_grid_are_accepted(api):
    assert set(GridMembership.MemberType.values) == {
        "volunteer", "alley_head", "property_staff", "other"}  # 热心群众, 街巷长, 物业管理人员, 其他
    for k, member_type in enumerate(GridMembership.MemberType.values):
        username = f"joiner{k}"
        User.objects.create(username=username)
        assert join(api, username, invite(api), member_type).json()["status"] == "pending"


def test_a_code_is_read_regardless_of_case_and_surrounding_spaces(api):
    code = invite(api)
    assert join(api, "newcomer", f"  {code.lower()} ").status_code == 201


@pytest.mark.parametrize(("code", "expected"), [
    ("ABCDEFGHJK", "invite_invalid"),  # well formed, but no such invite
    ("nosuchcode", "invite_invalid"),
    ("", "invalid"),  # not a code at all: a validation error on the field
    ("X" * 33, "invalid"),
])
def test_an_unknown_or_malformed_code_is_400(api, code, expected):
    assert error(join(api, "newcomer", code), 400) == expected


def test_an_expired_invite_is_400_invite_invalid(api):
    with freeze_time(NOW) as clock:
        code, fresh = invite(api), invite(api)
        clock.tick(dt.timedelta(hours=71, minutes=59))
        assert join(api, "newcomer", fresh).status_code == 201
        clock.tick(dt.timedelta(minutes=1))  # exactly 72 hours: expired
        assert error(join(api, "resident3", code), 400) == "invite_invalid"
    assert GridMembership.objects.filter(user__username="resident3", grid__code="HHL-05").count() == 0


def test_a_used_invite_is_400_invite_invalid(api):
    code = invite(api)
    assert join(api, "newcomer", code).status_code == 201
    assert error(join(api, "resident3", code), 400) == "invite_invalid"
    assert not GridMembership.objects.filter(user__username="resident3", grid__code="HHL-05")


def test_joining_twice_is_409_and_leaves_the_second_invite_unused(api):
    first, second = invite(api), invite(api)
    assert join(api, "newcomer", first).status_code == 201
    assert error(join(api, "newcomer", second), 409) == "already_member"
    assert Invite.objects.get(code=second).used_at is None
    assert join(api, "resident3", second).status_code == 201  # still good for someone else


def test_an_active_member_joining_again_is_409(api):
    assert error(join(api, "resident1", invite(api)), 409) == "already_member"


def test_after_a_rejection_one_may_ask_again_with_a_new_invite(api):
    membership_id = join(api, "newcomer", invite(api)).json()["id"]
    assert decide(api, "leader5", membership_id, "reject").status_code == 200
    response = join(api, "newcomer", invite(api))
    assert response.status_code == 201
    assert response.json()["id"] != membership_id


@pytest.mark.parametrize(("body", "field"), [
    ({"invite_code": "ABCDEFGHJK", "member_type": "mayor"}, "member_type"),
    ({"member_type": "volunteer"}, "invite_code"),
])
def test_a_malformed_join_is_400_naming_the_field(api, body, field):
    response = api("newcomer").post("/api/v1/memberships/", body, format="json")
    assert error(response, 400) == "invalid"
    assert field in response.json()["fields"]


def test_a_retried_join_with_the_same_key_replays_the_first_response(api):
    code = invite(api)
    first = join(api, "newcomer", code, **{"Idempotency-Key": "join-1"})
    again = join(api, "newcomer", code, **{"Idempotency-Key": "join-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert GridMembership.objects.filter(user__username="newcomer").count() == 1


@pytest.fixture
def invite_rate(monkeypatch) -> Callable[[str], None]:
    """DRF reads the rates once, into a class attribute, at import: overriding the
    REST_FRAMEWORK setting would not reach it, so the class attribute is patched."""

    def set_rate(rate: str) -> None:
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES",
                            {**ScopedRateThrottle.THROTTLE_RATES, "invite": rate})

    return set_rate


def test_joining_is_rate_limited_per_user(api, invite_rate):
    invite_rate("3/hour")
    for attempt in range(3):
        assert error(join(api, "newcomer", f"GUESS{attempt}AAA"), 400) == "invite_invalid"
    fourth = join(api, "newcomer", invite(api))
    assert error(fourth, 429) == "throttled"
    assert "Retry-After" in fourth.headers
    assert not GridMembership.objects.filter(user__username="newcomer").exists()
    # Another user has their own allowance.
    assert join(api, "resident3", invite(api)).status_code == 201


def test_the_rate_window_passes(api, invite_rate):
    invite_rate("2/hour")
    with freeze_time(NOW) as clock:
        for attempt in range(2):
            join(api, "newcomer", f"GUESS{attempt}AAA")
        assert join(api, "newcomer", "GUESS2AAA").status_code == 429
        clock.tick(dt.timedelta(hours=1, seconds=1))
        assert join(api, "newcomer", invite(api)).status_code == 201


# --- deciding -------------------------------------------------------------------------

def test_the_leader_approves_and_the_member_then_sees_the_grids(api):
    membership_id = join(api, "newcomer", invite(api), "property_staff").json()["id"]
    assert api("newcomer").get("/api/v1/grids/").json()["results"] == []
    response = decide(api, "leader5", membership_id, "approve")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    membership = GridMembership.objects.get(pk=membership_id)
    assert membership.decided_by.username == "leader5" and membership.decided_at is not None
    mine = api("newcomer").get("/api/v1/grids/", {"mine": "1"}).json()["results"]
    assert [g["code"] for g in mine] == ["HHL-05"]
    assert api("newcomer").get(f"/api/v1/grids/{grid_id('HHL-05')}/").json()["member_count"] == 3


def test_the_leader_rejects_a_request(api):
    membership_id = join(api, "newcomer", invite(api)).json()["id"]
    assert decide(api, "leader5", membership_id, "reject").json()["status"] == "rejected"
    assert api("newcomer").get("/api/v1/grids/").json()["results"] == []


def test_the_leader_removes_an_active_member(api, user):
    membership = GridMembership.objects.get(user=user("resident2"))
    assert decide(api, "leader5", membership.pk, "remove").json()["status"] == "left"
    assert api("resident2").get("/api/v1/grids/").json()["results"] == []


@pytest.mark.parametrize(("status", "action"), [
    ("active", "approve"),  # approving an already approved membership
    ("active", "reject"),
    ("pending", "remove"),
    ("rejected", "approve"),
    ("left", "approve"),
    ("left", "remove"),
])
def test_a_decision_from_the_wrong_status_is_409_invalid_transition(api, user, status, action):
    membership = pending(user("newcomer"))
    GridMembership.objects.filter(pk=membership.pk).update(status=status)
    assert error(decide(api, "leader5", membership.pk, action), 409) == "invalid_transition"
    assert GridMembership.objects.get(pk=membership.pk).status == status


def test_approving_twice_is_409_the_second_time(api, user):
    membership = pending(user("newcomer"))
    assert decide(api, "leader5", membership.pk, "approve").status_code == 200
    assert error(decide(api, "leader5", membership.pk, "approve"), 409) == "invalid_transition"


@pytest.mark.parametrize(("username", "status", "code"), [
    ("leader1", 404, "not_found"),  # a leader of another grid: not theirs to see
    ("leader10", 404, "not_found"),
    ("resident1", 404, "not_found"),
    ("newcomer", 403, "permission_denied"),  # sees their own request, may not decide it
    ("dispatcher-community", 403, "permission_denied"),
])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_the_grids_leader_decides(api, user, username, status, code, action):
    membership = pending(user("newcomer"))
    assert error(decide(api, username, membership.pk, action), status) == code
    assert GridMembership.objects.get(pk=membership.pk).status == "pending"


def test_a_former_leader_can_no_longer_decide(api, user):
    membership = pending(user("newcomer"), grid="HHL-09")
    with freeze_time(NOW):
        response = decide(api, "leader9old", membership.pk, "approve")
        assert error(response, 404) == "not_found"
        assert decide(api, "leader9", membership.pk, "approve").status_code == 200


# --- the members list -----------------------------------------------------------------

def members(api, username: str, grid: str = "HHL-05", **params):
    return api(username).get(f"/api/v1/grids/{grid_id(grid)}/members/", params)


@pytest.mark.parametrize("username", ["leader5", "dispatcher-community", "dispatcher-street",
                                      "dispatcher-city", "admin"])
def test_the_leader_and_the_command_centres_above_list_the_members(api, username):
    response = members(api, username)
    assert response.status_code == 200
    listed = {(m["user"]["display_name"], m["member_type"], m["status"])
              for m in response.json()["results"]}
    assert listed == {("resident1", "volunteer", "active"),
                      ("resident2", "property_staff", "active")}


@pytest.mark.parametrize(("username", "status", "code"), [
    ("resident1", 403, "permission_denied"),  # a member sees the grid, not its members
    ("leader4", 403, "permission_denied"),
    ("leader10", 404, "not_found"),
    ("resident3", 404, "not_found"),
    ("newcomer", 404, "not_found"),
])
def test_no_one_else_lists_the_members(api, username, status, code):
    assert error(members(api, username), status) == code


def test_the_members_list_filters_by_status(api, user):
    pending(user("newcomer"))
    response = members(api, "leader5", status="pending")
    assert [m["user"]["display_name"] for m in response.json()["results"]] == ["newcomer"]


# Budget, for the grid's leader: 1 the JWT user with the roles token, 2 `roles_of` the
# first time (staff roles, the grids led or belonged to with their communities), 1 the
# grid, 1 the page count, 1 the memberships with their users.
MEMBERS_LIST_QUERIES = 6


@pytest.mark.parametrize("extra_members", [0, 8])
def test_the_members_list_takes_a_constant_number_of_queries(
        api, django_assert_num_queries, user, extra_members):
    grid = Grid.objects.get(code="HHL-05")
    GridMembership.objects.filter(grid=grid).exclude(user__username="resident1").delete()
    for k in range(extra_members):
        pending(User.objects.create(username=f"applicant{k}", display_name=f"applicant{k}"))
    client = api("leader5")
    with django_assert_num_queries(MEMBERS_LIST_QUERIES):
        response = client.get(f"/api/v1/grids/{grid.pk}/members/")
    assert len(response.json()["results"]) == 1 + extra_members


# --- races ----------------------------------------------------------------------------

def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once in threads, each on its own connection; results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()  # connect first, so that the calls overlap
            barrier.wait()
            results[index] = call()
        except DomainError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def codes_of(results: list[object]) -> list[str]:
    return sorted(r.code if isinstance(r, DomainError) else "ok" for r in results)


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_one_invite_get_one_membership(world, user):
    leader = user("leader5")
    code = memberships.create_invite(Grid.objects.get(code="HHL-05"), actor=leader).code
    people = [user("newcomer"), user("resident3")]
    results = race(*(lambda p=p: memberships.join_grid(invite_code=code, member_type="other",
                                                    actor=p) for p in people))
    assert codes_of(results) == ["invite_invalid", "ok"]
    assert GridMembership.objects.filter(invite__code=code).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_person_racing_with_two_invites_gets_one_membership(world, user):
    grid, leader, newcomer = Grid.objects.get(code="HHL-05"), user("leader5"), user("newcomer")
    codes = [memberships.create_invite(grid, actor=leader).code for _i in range(2)]
    results = race(*(lambda c=c: memberships.join_grid(invite_code=c, member_type="other",
                                                    actor=newcomer) for c in codes))
    assert codes_of(results) == ["already_member", "ok"]
    assert GridMembership.objects.filter(user=newcomer).count() == 1
    assert Invite.objects.filter(code__in=codes, used_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_approvals_change_the_status_once(world, user):
    membership = pending(user("newcomer"))
    leader = user("leader5")
    results = race(*(lambda: memberships.decide_membership(
        GridMembership.objects.select_related("grid").get(pk=membership.pk),
        action="approve", actor=leader) for _i in range(2)))
    assert codes_of(results) == ["invalid_transition", "ok"]
    assert GridMembership.objects.get(pk=membership.pk).status == "active"


def test_a_leader_term_that_has_not_started_gives_no_right_to_invite(api, user):
    LeaderTerm.objects.filter(grid__code="HHL-05").update(start_date=dt.date(2099, 1, 1))
    with freeze_time(NOW):
        response = api("leader5").post(f"/api/v1/grids/{grid_id('HHL-05')}/invites/",
                                       format="json")
    assert error(response, 404) == "not_found"


@pytest.mark.parametrize(("username", "status", "code"), [
    ("leader1", 404, "not_found"),
    ("leader10", 404, "not_found"),
    ("resident1", 403, "permission_denied"),  # sees their own membership, may not remove it
    ("resident2", 404, "not_found"),  # a neighbour in the same grid
    ("dispatcher-community", 403, "permission_denied"),
])
def test_only_the_grids_leader_removes_a_member(api, user, username, status, code):
    membership = GridMembership.objects.get(user=user("resident1"), grid__code="HHL-05")
    assert error(decide(api, username, membership.pk, "remove"), status) == code
    assert GridMembership.objects.get(pk=membership.pk).status == "active"
