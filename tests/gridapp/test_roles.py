"""Roles and scopes: what `GET /me` lists for each demo user of DEMO.md, and what
`roles_of` gives the `get_queryset()`s that filter by it.

Leader terms depend on the day, so every test here runs on DEMO.md's "today",
2026-11-26 (leader9old's term ended on 2026-11-15, leader9's began on 2026-11-16).
"""

import pytest
from freezegun import freeze_time

from accounts.models import User
from gridapp.models import Department, Grid, GridMembership, Region, StaffRole
from gridapp.selectors.roles import ANONYMOUS, roles_of

TODAY = "2026-11-26"
ME = "/api/v1/me"


@pytest.fixture(autouse=True)
def today():
    with freeze_time(TODAY) as clock:
        yield clock


def roles(api, username: str) -> list[dict]:
    response = api(username).get(ME)
    assert response.status_code == 200
    return response.json()["roles"]


def grid(code: str) -> int:
    return Grid.objects.get(code=code).pk


def region(code: str) -> int:
    return Region.objects.get(code=code).pk


# --- GET /me, user by user ----------------------------------------------------------------

def test_leader1_leads_hhl_01(api):
    assert roles(api, "leader1") == [{"role": "leader", "grid": grid("HHL-01"),
                                      "grid_code": "HHL-01"}]


def test_resident1_is_a_member_of_hhl_05(api):
    assert roles(api, "resident1") == [{"role": "member", "grid": grid("HHL-05"),
                                        "grid_code": "HHL-05"}]


def test_dispatcher_street_dispatches_for_dongjie_street(api):
    assert roles(api, "dispatcher-street") == [{
        "role": "dispatcher", "region": region("450502001000"), "region_name": "东街街道",
        "region_level": "street"}]


def test_handler_lighting_handles_for_the_lighting_office(api):
    lighting = Department.objects.get(name="北海市照明管理处")
    assert roles(api, "handler-lighting") == [{
        "role": "handler", "department": lighting.pk, "department_name": "北海市照明管理处"}]


def test_finance1_is_finance_staff_of_beihai(api):
    assert roles(api, "finance1") == [{
        "role": "finance", "region": region("450500000000"), "region_name": "北海市",
        "region_level": "city"}]


def test_leader9old_no_longer_leads_after_the_term_ended(api):
    assert roles(api, "leader9old") == []


def test_leader9old_led_hhl_09_on_the_last_day_of_the_term(api, today):
    today.move_to("2026-11-15 12:00:00+08:00")

    assert roles(api, "leader9old") == [{"role": "leader", "grid": grid("HHL-09"),
                                         "grid_code": "HHL-09"}]


def test_leader9_leads_hhl_09_since_the_16th_and_not_before(api, today):
    assert [r["grid_code"] for r in roles(api, "leader9")] == ["HHL-09"]

    today.move_to("2026-11-15 12:00:00+08:00")
    assert roles(api, "leader9") == []


def test_newcomer_has_no_role(api):
    assert roles(api, "newcomer") == []


def test_the_superuser_is_admin(api):
    assert roles(api, "admin") == [{"role": "admin"}]


def test_a_member_who_left_is_no_longer_a_member(api):
    GridMembership.objects.filter(user__username="resident1").update(
        status=GridMembership.Status.LEFT)

    assert roles(api, "resident1") == []


def test_a_pending_member_is_not_yet_a_member(api, user):
    GridMembership.objects.create(grid_id=grid("HHL-01"), user=user("newcomer"),
                                  member_type=GridMembership.MemberType.VOLUNTEER)

    body = api("newcomer").get(ME).json()

    assert body["roles"] == []
    assert [(m["grid_code"], m["status"]) for m in body["memberships"]] == [("HHL-01", "pending")]


# --- roles_of: the scopes the querysets filter by ------------------------------------------

def test_a_dispatcher_dispatches_below_their_region_only(user):
    street = roles_of(user("dispatcher-street"))

    assert street.is_dispatcher
    assert street.dispatches("450502001001")  # 黄海路社区, under 东街街道
    assert not street.dispatches("450502002001")  # a community of another street
    assert not street.finances("450502001001")


def test_staff_see_grids_below_their_region_and_members_see_their_community(user):
    assert roles_of(user("dispatcher-district")).visible_prefixes() == ("450502",)
    assert roles_of(user("handler-lighting")).visible_prefixes() == ("4505",)
    assert roles_of(user("handler-enforcement")).visible_prefixes() == ("450502001",)
    assert roles_of(user("resident3")).visible_prefixes() == ("450502001002",)
    assert roles_of(user("leader1")).visible_prefixes() == ("450502001001",)
    assert roles_of(user("newcomer")).visible_prefixes() == ()


def test_finance_staff_finance_their_region(user):
    finance = roles_of(user("finance1"))

    assert finance.finances("450502001001")
    assert not finance.finances("450600000000")
    assert not finance.is_dispatcher


def test_the_superuser_dispatches_and_finances_everywhere(user):
    admin = roles_of(user("admin"))

    assert admin.is_admin
    assert admin.dispatches("110000000000") and admin.finances("110000000000")


def test_an_anonymous_user_has_no_roles():
    from django.contrib.auth.models import AnonymousUser

    assert roles_of(AnonymousUser()) is ANONYMOUS
    assert ANONYMOUS.as_list() == []


def test_roles_are_loaded_once_per_user_object(user, django_assert_num_queries):
    leader = user("leader1")
    roles_of(leader)

    with django_assert_num_queries(0):
        roles_of(leader)


# --- query count of GET /me ------------------------------------------------------------------

# The request's user, with the user's roles token (1); then, the first time for this
# token, staff roles with their regions and departments (1) and the grids led or belonged
# to with their codes and communities (1); the memberships list with its grids (1).
# Nothing per row.
ME_QUERIES = 4
ME_QUERIES_WARM = ME_QUERIES - 2


def give_many_roles(username: str) -> None:
    """Memberships of every other grid in every status, and more staff scopes."""
    user = User.objects.get(username=username)
    statuses = [GridMembership.Status.ACTIVE, GridMembership.Status.PENDING,
                GridMembership.Status.LEFT, GridMembership.Status.REJECTED]
    for i, other in enumerate(Grid.objects.exclude(memberships__user=user)):
        GridMembership.objects.create(grid=other, user=user, status=statuses[i % 4],
                                      member_type=GridMembership.MemberType.OTHER)
    for code in ("450502001001", "450502001002", "450502000000"):
        StaffRole.objects.create(user=user, role=StaffRole.Role.DISPATCHER,
                                 region=Region.objects.get(code=code))
    for department in Department.objects.all():
        StaffRole.objects.create(user=user, role=StaffRole.Role.HANDLER, department=department)


@pytest.mark.parametrize("many", [False, True], ids=["one-row", "many-rows"])
def test_me_takes_a_constant_number_of_queries(api, django_assert_num_queries, many):
    if many:
        give_many_roles("resident1")
    client = api("resident1")

    with django_assert_num_queries(ME_QUERIES):
        body = client.get(ME).json()

    assert len(body["memberships"]) == (11 if many else 1)
    assert len(body["roles"]) == (1 + 3 + 3 + 2 if many else 1)


def test_me_of_a_leader_takes_the_same_number_of_queries(api, django_assert_num_queries):
    client = api("leader1")

    with django_assert_num_queries(ME_QUERIES):
        client.get(ME)


def test_roles_loaded_once_are_read_again_by_their_token_alone(api, django_assert_num_queries):
    client = api("dispatcher-street")
    client.get(ME)

    with django_assert_num_queries(ME_QUERIES_WARM):
        assert client.get(ME).json()["roles"][0]["role"] == "dispatcher"


# --- roles kept by a process follow every change, however it is made ------------------------

def test_a_membership_ended_around_the_services_ends_the_role_at_once(api):
    assert roles(api, "resident1") != []  # loaded and kept
    GridMembership.objects.filter(user__username="resident1").update(
        status=GridMembership.Status.LEFT)

    assert roles(api, "resident1") == []


def test_a_staff_role_given_and_taken_is_seen_at_once(api, user):
    assert roles(api, "newcomer") == []
    role = StaffRole.objects.create(user=user("newcomer"), role=StaffRole.Role.FINANCE,
                                    region=Region.objects.get(code="450500000000"))
    assert [r["role"] for r in roles(api, "newcomer")] == ["finance"]
    role.delete()
    assert roles(api, "newcomer") == []


def test_a_grid_moved_to_another_community_moves_its_people_scope(api, user):
    assert roles_of(user("resident1")).visible_prefixes() == ("450502001001",)
    Grid.objects.filter(code="HHL-05").update(community=Region.objects.get(code="450502001002"))

    assert roles_of(user("resident1")).visible_prefixes() == ("450502001002",)


def test_roles_kept_inside_a_rolled_back_change_are_not_served_after_it(api, user):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        StaffRole.objects.create(user=user("newcomer"), role=StaffRole.Role.ADMIN)
        assert roles_of(user("newcomer")).is_admin
        raise RuntimeError("rolled back")

    assert not roles_of(user("newcomer")).is_admin


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_by_the_next_request(api):
    """Another connection is what another worker process is to the database."""
    from django.db import connections

    assert roles(api, "resident1") != []
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("UPDATE gridapp_gridmembership SET status = %s WHERE user_id = %s",
                           [GridMembership.Status.LEFT, User.objects.get(username="resident1").pk])
    finally:
        other.close()

    assert roles(api, "resident1") == []
