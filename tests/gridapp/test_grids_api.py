"""Regions and grids through the API (API.md "Grids and members"): who sees which grid,
the grid detail, `locate` with the facts of DEMO.md, and constant query counts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time
from shapely.geometry import Point

from accounts.models import User
from gridapp import geo
from gridapp.models import Grid, GridMembership, LeaderTerm, Region
from tests.conftest import needs_postgres

HHL = [f"HHL-0{k}" for k in range(1, 10)]
HPL = ["HPL-01", "HPL-02"]
HHL_CODE, HPL_CODE, STREET_CODE = "450502001001", "450502001002", "450502001000"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [grid["code"] for grid in response.json()["results"]]


def grid_id(code: str) -> int:
    return Grid.objects.get(code=code).pk


def region_id(code: str) -> int:
    return Region.objects.get(code=code).pk


# --- who sees which grid --------------------------------------------------------------

@pytest.mark.parametrize(("username", "expected"), [
    ("leader1", HHL),  # their own community, not the neighbouring 和平路社区
    ("resident1", HHL),
    ("resident3", HPL),
    ("leader10", HPL),
    ("dispatcher-community", HHL),
    ("dispatcher-street", HHL + HPL),
    ("dispatcher-city", HHL + HPL),
    ("handler-enforcement", HHL + HPL),  # a street department sees its street
    ("admin", HHL + HPL),
    ("newcomer", []),
])
def test_a_user_lists_only_the_grids_of_their_scope(api, username, expected):
    assert codes(api(username).get("/api/v1/grids/")) == expected


def test_an_anonymous_client_is_refused_with_401(api):
    response = api().get("/api/v1/grids/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("username", "region", "expected"), [
    ("dispatcher-street", HPL_CODE, HPL),
    ("dispatcher-street", HHL_CODE, HHL),
    ("dispatcher-street", STREET_CODE, HHL + HPL),
    ("leader1", HHL_CODE, HHL),
    ("leader1", HPL_CODE, []),  # a filter never widens what one may see
    ("resident3", STREET_CODE, HPL),
])
def test_the_region_filter_keeps_the_grids_under_that_region(api, username, region, expected):
    response = api(username).get("/api/v1/grids/", {"region": region_id(region)})
    assert codes(response) == expected


def test_an_unknown_region_filter_is_a_400_naming_the_field(api):
    response = api("dispatcher-street").get("/api/v1/grids/", {"region": 999999})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "region" in response.json()["fields"]


@freeze_time("2026-11-26 10:00:00+08:00")
@pytest.mark.parametrize(("username", "expected"), [
    ("leader1", ["HHL-01"]),
    ("leader9", ["HHL-09"]),
    ("leader9old", []),  # their term ended on 2026-11-15
    ("resident1", ["HHL-05"]),
    ("resident3", ["HPL-01"]),
    ("dispatcher-street", []),  # a dispatcher leads and belongs to no grid
    ("newcomer", []),
])
def test_mine_keeps_the_grids_one_leads_or_belongs_to(api, username, expected):
    assert codes(api(username).get("/api/v1/grids/", {"mine": "1"})) == expected


def test_a_pending_membership_is_not_yet_mine(api, user):
    GridMembership.objects.create(grid=Grid.objects.get(code="HHL-02"), user=user("newcomer"),
                                  member_type=GridMembership.MemberType.OTHER)
    assert codes(api("newcomer").get("/api/v1/grids/", {"mine": "1"})) == []
    assert codes(api("newcomer").get("/api/v1/grids/")) == []


# --- the grid detail ------------------------------------------------------------------

def test_the_grid_detail_has_the_fields_of_api_md(api):
    response = api("resident1").get(f"/api/v1/grids/{grid_id('HHL-05')}/")
    assert response.status_code == 200
    body = response.json()
    assert {"id", "code", "name", "community", "leader", "member_count", "boundary"} <= set(body)
    assert body["code"] == "HHL-05"
    assert body["community"] == region_id(HHL_CODE)
    assert body["member_count"] == 2  # resident1 and resident2
    assert body["leader"]["display_name"] == "leader5"
    assert body["boundary"] == geo.rectangle(21.4820, 109.1120, 21.4840, 109.1140)


def test_member_count_counts_only_active_members(api, user):
    grid = Grid.objects.get(code="HHL-05")
    GridMembership.objects.create(grid=grid, user=user("newcomer"), member_type="other")
    GridMembership.objects.filter(user=user("resident2")).update(status="left")
    assert api("leader5").get(f"/api/v1/grids/{grid.pk}/").json()["member_count"] == 1


@pytest.mark.parametrize(("username", "code"), [
    ("leader1", "HPL-01"),
    ("resident3", "HHL-05"),
    ("dispatcher-community", "HPL-02"),
    ("newcomer", "HHL-05"),
])
def test_a_grid_outside_ones_scope_is_404(api, username, code):
    response = api(username).get(f"/api/v1/grids/{grid_id(code)}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(("day", "leader"), [
    ("2026-11-10", "leader9old"),
    ("2026-11-15", "leader9old"),  # the last day of their term
    ("2026-11-16", "leader9"),
    ("2026-11-26", "leader9"),
])
def test_the_leader_of_hhl_09_is_whoever_held_the_term_that_day(api, day, leader):
    with freeze_time(f"{day} 10:00:00+08:00"):
        response = api("dispatcher-community").get(f"/api/v1/grids/{grid_id('HHL-09')}/")
        listed = api("dispatcher-community").get("/api/v1/grids/", {"region": region_id(HHL_CODE)})
    assert response.json()["leader"]["display_name"] == leader
    hhl09 = next(g for g in listed.json()["results"] if g["code"] == "HHL-09")
    assert hhl09["leader"]["display_name"] == leader


def test_a_grid_without_a_current_leader_has_leader_null(api):
    LeaderTerm.objects.filter(grid__code="HHL-02").update(end_date=dt.date(2026, 1, 31))
    with freeze_time("2026-11-26 10:00:00+08:00"):
        response = api("dispatcher-community").get(f"/api/v1/grids/{grid_id('HHL-02')}/")
    assert response.json()["leader"] is None


def test_phone_numbers_appear_only_masked_and_openids_never(api, user):
    leader5, resident1 = user("leader5"), user("resident1")
    leader5.phone, resident1.phone = "13812345678", "13900001111"
    leader5.save(), resident1.save()
    responses = [
        api("resident1").get(f"/api/v1/grids/{grid_id('HHL-05')}/"),
        api("leader1").get("/api/v1/grids/"),
        api("newcomer").get("/api/v1/grids/locate/", {"lat": 21.4830, "lng": 109.1130}),
        api("leader5").get(f"/api/v1/grids/{grid_id('HHL-05')}/members/"),
    ]
    assert all(r.status_code == 200 for r in responses)
    assert responses[0].json()["leader"]["phone_masked"] == "138****5678"
    members = {m["user"]["display_name"]: m["user"] for m in responses[3].json()["results"]}
    assert members["resident1"]["phone_masked"] == "139****1111"
    for response in responses:
        raw = response.content.decode()
        assert "13812345678" not in raw and "13900001111" not in raw
        assert "openid" not in raw and "dev-openid-" not in raw


# --- locate: the facts of DEMO.md -----------------------------------------------------

def locate(api, **params):
    return api("newcomer").get("/api/v1/grids/locate/", params)


def test_the_demo_point_is_in_hhl_05(api):
    response = locate(api, lat=21.4830, lng=109.1130)
    assert response.status_code == 200
    assert response.json()["code"] == "HHL-05"
    assert response.json()["leader"]["display_name"] == "leader5"


def test_the_corner_of_four_grids_resolves_to_exactly_one(api):
    corner = {"lat": 21.4820, "lng": 109.1120}
    covering = [g.code for g in Grid.objects.all()
                if geo.polygon_from_geojson(g.boundary).covers(
                    Point(corner["lng"], corner["lat"]))]
    assert covering == ["HHL-01", "HHL-02", "HHL-04", "HHL-05"]
    found = {locate(api, **corner).json()["code"] for _attempt in range(3)}
    assert found == {"HHL-01"}  # the smallest code among those covering it


@pytest.mark.parametrize(("lat", "expected"), [(21.4800, "HPL-01"), (21.4810, "HPL-01"),
                                               (21.4820, "HPL-01")])
def test_the_edge_between_hpl_01_and_hpl_02_belongs_to_hpl_01(api, lat, expected):
    assert locate(api, lat=lat, lng=109.1180).json()["code"] == expected


def test_either_side_of_the_hpl_edge_is_its_own_grid(api):
    assert locate(api, lat=21.4810, lng=109.1179).json()["code"] == "HPL-01"
    assert locate(api, lat=21.4810, lng=109.1181).json()["code"] == "HPL-02"


@pytest.mark.parametrize(("lat", "lng"), [(21.4900, 109.1130), (21.4830, 109.1000),
                                          (21.4830, 109.1205), (39.9, 116.4)])
def test_a_point_outside_every_grid_is_404_outside_all_grids(api, lat, lng):
    response = locate(api, lat=lat, lng=lng)
    assert response.status_code == 404
    assert response.json()["code"] == "outside_all_grids"


def test_a_wgs84_point_is_converted_before_it_is_located(api):
    wgs_lat, wgs_lng = geo.gcj02_to_wgs84(21.4830, 109.1130)
    response = locate(api, lat=wgs_lat, lng=wgs_lng, coord_type="wgs84")
    assert response.json()["code"] == "HHL-05"
    # Read as GCJ-02, the same numbers lie some 500 m away, outside every grid.
    assert locate(api, lat=wgs_lat, lng=wgs_lng).json()["code"] == "outside_all_grids"
    assert locate(api, lat=wgs_lat, lng=wgs_lng, coord_type="gcj02").status_code == 404


@pytest.mark.parametrize(("params", "field"), [
    ({"lat": 91, "lng": 109.113}, "lat"),
    ({"lat": -90.5, "lng": 109.113}, "lat"),
    ({"lat": 21.483, "lng": 180.01}, "lng"),
    ({"lat": 21.483, "lng": -181}, "lng"),
    ({"lat": "north", "lng": 109.113}, "lat"),
    ({"lat": 21.483, "lng": ""}, "lng"),
    ({"lat": "nan", "lng": 109.113}, "lat"),
    ({"lat": 21.483, "lng": "inf"}, "lng"),
    ({"lng": 109.113}, "lat"),
    ({"lat": 21.483}, "lng"),
    ({"lat": 21.483, "lng": 109.113, "coord_type": "bd09"}, "coord_type"),
])
def test_a_bad_point_is_a_400_naming_the_field(api, params, field):
    response = locate(api, **params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


def test_locate_is_refused_without_a_token(api):
    response = api().get("/api/v1/grids/locate/", {"lat": 21.4830, "lng": 109.1130})
    assert response.status_code == 401


# --- regions --------------------------------------------------------------------------

def test_regions_list_code_name_and_level(api):
    response = api("newcomer").get("/api/v1/regions/")
    assert response.status_code == 200
    assert [(r["code"], r["name"], r["level"]) for r in response.json()["results"]] == [
        ("450500000000", "北海市", "city"),
        ("450502000000", "海城区", "district"),
        ("450502001000", "东街街道", "street"),
        ("450502001001", "黄海路社区", "community"),
        ("450502001002", "和平路社区", "community"),
    ]


def test_regions_filter_by_parent(api):
    response = api("leader1").get("/api/v1/regions/", {"parent": region_id(STREET_CODE)})
    assert [r["code"] for r in response.json()["results"]] == [HHL_CODE, HPL_CODE]


def test_descendants_of_a_region_are_the_codes_under_its_prefix(world):
    district = Region.objects.get(code="450502000000")
    assert district.prefix == "450502"
    under = Region.objects.filter(code__startswith=district.prefix).exclude(pk=district.pk)
    assert sorted(r.code for r in under) == [STREET_CODE, HHL_CODE, HPL_CODE]
    assert district.contains(Region.objects.get(code=HHL_CODE))
    assert not Region.objects.get(code=HHL_CODE).contains(district)


@pytest.mark.parametrize(("code", "level", "parent", "field"), [
    ("45050200100", "community", STREET_CODE, "code"),  # 11 digits
    ("45050200100A", "community", STREET_CODE, "code"),
    ("450502001001", "street", "450502000000", "code"),  # digits below a street's level
    ("450503001003", "community", STREET_CODE, "parent"),  # not under the parent's code
])
def test_region_clean_rejects_a_code_that_does_not_fit(world, code, level, parent, field):
    region = Region(code=code, name="x", level=level, parent=Region.objects.get(code=parent))
    with pytest.raises(ValidationError) as raised:
        region.clean()
    assert field in raised.value.message_dict


@needs_postgres
def test_the_region_prefix_query_can_use_an_index_on_postgresql(world):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: force the choice
        plan = Region.objects.filter(code__startswith="450502").explain()
    assert "Index" in plan and "Seq Scan" not in plan


# --- query counts ---------------------------------------------------------------------

def make_community(code: str, grids: int, members_per_grid: int = 1,
                   past_leaders: int = 0) -> Region:
    """A community under 东街街道 with `grids` grids side by side, each with a leader, a
    few former leaders and active members: the rows the grid serializer reads."""
    street = Region.objects.get(code=STREET_CODE)
    community = Region.objects.create(code=code, name=f"社区{code[-3:]}", level="community",
                                      parent=street)
    for k in range(grids):
        grid = Grid.objects.create(code=f"Q{code[-3:]}-{k:02d}", name=f"网格{k}",
                                   community=community,
                                   boundary=geo.rectangle(22.0, 110.0 + k * 0.01, 22.01,
                                                          110.0 + (k + 1) * 0.01))
        for p in range(past_leaders):
            LeaderTerm.objects.create(grid=grid, user=new_user(f"{grid.code}-old{p}"),
                                      start_date=dt.date(2020 + p, 1, 1),
                                      end_date=dt.date(2020 + p, 12, 31))
        LeaderTerm.objects.create(grid=grid, user=new_user(f"{grid.code}-leader"),
                                  start_date=dt.date(2026, 1, 1))
        for m in range(members_per_grid):
            GridMembership.objects.create(grid=grid, user=new_user(f"{grid.code}-m{m}"),
                                          member_type="volunteer", status="active")
    return community


def new_user(username: str) -> User:
    return User.objects.create(username=username, display_name=username)


# Budget, for dispatcher-street with `?region=`: 1 the JWT user with the roles token,
# 1 the region of the filter, 2 `roles_of` the first time (staff roles, the grids led or
# belonged to), 1 the page count, 1 the grids with community and member count, 1 the
# current leader terms with their users.
GRID_LIST_QUERIES = 7


@pytest.mark.parametrize("grids", [1, 6])
def test_the_grid_list_takes_a_constant_number_of_queries(api, django_assert_num_queries,
                                                          grids):
    community = make_community("450502001090", grids=grids, members_per_grid=3,
                               past_leaders=2)
    client = api("dispatcher-street")
    with django_assert_num_queries(GRID_LIST_QUERIES):
        response = client.get("/api/v1/grids/", {"region": community.pk})
    assert len(response.json()["results"]) == grids
    assert all(g["leader"] and g["member_count"] == 3 for g in response.json()["results"])


# The same as the list, less the region and the page count.
GRID_DETAIL_QUERIES = 5


@pytest.mark.parametrize(("members", "past_leaders"), [(1, 0), (8, 4)])
def test_the_grid_detail_takes_a_constant_number_of_queries(api, django_assert_num_queries,
                                                            members, past_leaders):
    community = make_community("450502001091", grids=1, members_per_grid=members,
                               past_leaders=past_leaders)
    grid = Grid.objects.get(community=community)
    client = api("dispatcher-street")
    with django_assert_num_queries(GRID_DETAIL_QUERIES):
        response = client.get(f"/api/v1/grids/{grid.pk}/")
    assert response.json()["member_count"] == members


# Budget: 1 the JWT user, 1 the candidates by bounding box (the largest grid span is
# cached), 1 the grid found with its details, 1 its current leader term. Locate is open
# to every signed-in user, so it does not load their roles at all.
LOCATE_QUERIES = 4


@pytest.mark.parametrize("username", ["newcomer", "leader1"])
def test_locate_takes_a_constant_number_of_queries(api, django_assert_num_queries, username):
    client = api(username)
    client.get("/api/v1/grids/locate/", {"lat": 21.4830, "lng": 109.1130})  # warm the span
    with django_assert_num_queries(LOCATE_QUERIES):
        response = client.get("/api/v1/grids/locate/", {"lat": 21.4830, "lng": 109.1130})
    assert response.json()["code"] == "HHL-05"


# 1 the JWT user, 1 the page count, 1 the regions (their parent is an id: no join).
REGION_LIST_QUERIES = 3


@pytest.mark.parametrize(("extra_communities", "expected"), [(0, 2), (6, 8)])
def test_the_region_list_takes_a_constant_number_of_queries(api, django_assert_num_queries,
                                                            extra_communities, expected):
    street = Region.objects.get(code=STREET_CODE)
    for k in range(extra_communities):
        Region.objects.create(code=f"45050200108{k}", name=f"社区{k}", level="community",
                              parent=street)
    client = api("leader1")
    with django_assert_num_queries(REGION_LIST_QUERIES):
        response = client.get("/api/v1/regions/", {"level": "community"})
    assert len(response.json()["results"]) == expected


# --- every list filter is validated: a malformed value is 400 naming it -----------------

@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/v1/regions/", {"level": "planet"}, "level"),
    ("/api/v1/regions/", {"parent": "abc"}, "parent"),
    ("/api/v1/regions/", {"parent": "²"}, "parent"),
    ("/api/v1/departments/", {"region": "abc"}, "region"),
    ("/api/v1/grids/", {"region": "²"}, "region"),
    ("/api/v1/grids/", {"mine": "perhaps"}, "mine"),
    ("/api/v1/grids/{hhl05}/members/", {"status": "bogus"}, "status"),
    ("/api/v1/grids/{hhl05}/members/", {"member_type": "alien"}, "member_type"),
])
def test_a_malformed_list_filter_is_a_400_naming_it(api, path, params, field):
    path = path.format(hhl05=Grid.objects.get(code="HHL-05").pk)
    response = api("leader5").get(path, params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_departments_filter_by_region(api):
    city = Region.objects.get(code="450500000000")
    response = api("leader1").get("/api/v1/departments/", {"region": city.pk})
    assert response.status_code == 200
    assert {d["region"] for d in response.json()["results"]} == {city.pk}
    assert response.json()["count"] == city.departments.count() > 0
