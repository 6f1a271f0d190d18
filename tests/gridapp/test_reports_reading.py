"""GET /api/v1/reports/ and /reports/{id}/: who sees what, the filters, query counts.

The named world: resident1 and resident2 live in HHL-05 (leader5's grid), resident3 in
HPL-01 (和平路社区, leader10's), leader1 leads HHL-01. dispatcher-community covers 黄海路社区
only; dispatcher-street all of 东街街道. handler-lighting sees what was dispatched to the
lighting office; finance1 and newcomer must see nothing.
"""

import pytest
from freezegun import freeze_time

from gridapp.models import Category, Department, Grid, Region, Report, ReportEvent

from .photos_support import make_reports


HPL01_POINT = (21.4810, 109.1170)
HHL01_POINT = (21.4810, 109.1110)


@pytest.fixture
def reports(world, user) -> dict[str, Report]:
    lighting = Department.objects.get(code="bh-lighting")
    return {
        "resident1": make_reports(1, reporter=user("resident1"))[0],
        "resident2": make_reports(1, reporter=user("resident2"))[0],
        "resident3": make_reports(1, reporter=user("resident3"), grid_code="HPL-01",
                                  point=HPL01_POINT)[0],
        "leader1": make_reports(1, reporter=user("leader1"), grid_code="HHL-01",
                                point=HHL01_POINT, category="clutter")[0],
        "dispatched": make_reports(1, reporter=user("leader5"), department=lighting,
                                   status=Report.Status.DISPATCHED)[0],
    }


def listed(client, query: str = "") -> set[int]:
    response = client.get(f"/api/v1/reports/{query}")
    assert response.status_code == 200, response.content
    return {r["id"] for r in response.json()["results"]}


def ids(reports: dict[str, Report], *names: str) -> set[int]:
    return {reports[name].pk for name in names}


@pytest.mark.parametrize("username, sees", [
    ("resident1", {"resident1"}),
    ("resident3", {"resident3"}),
    ("leader5", {"resident1", "resident2", "dispatched"}),  # their grid's, and their own
    ("leader1", {"leader1"}),
    ("leader10", {"resident3"}),
    ("dispatcher-community", {"resident1", "resident2", "leader1", "dispatched"}),
    ("dispatcher-street", {"resident1", "resident2", "resident3", "leader1", "dispatched"}),
    ("dispatcher-city", {"resident1", "resident2", "resident3", "leader1", "dispatched"}),
    ("handler-lighting", {"dispatched"}),
    ("handler-enforcement", set()),
    ("finance1", set()),
    ("newcomer", set()),
    ("admin", {"resident1", "resident2", "resident3", "leader1", "dispatched"}),
])
def test_each_role_lists_exactly_the_reports_in_its_scope(api, reports, username, sees):
    assert listed(api(username)) == ids(reports, *sees)


@pytest.mark.parametrize("username, report, status", [
    ("resident1", "resident1", 200),
    ("resident2", "resident1", 404),  # a neighbour in the same grid: not theirs
    ("leader5", "resident1", 200),
    ("leader1", "resident1", 404),
    ("dispatcher-community", "resident3", 404),  # 和平路社区 is not under 黄海路社区
    ("dispatcher-street", "resident3", 200),
    ("handler-lighting", "dispatched", 200),
    ("handler-lighting", "resident1", 404),
    ("finance1", "resident1", 404),
    ("newcomer", "resident1", 404),
])
def test_a_report_outside_ones_scope_is_404(api, reports, username, report, status):
    response = api(username).get(f"/api/v1/reports/{reports[report].pk}/")
    assert response.status_code == status
    if status == 404:
        assert response.json()["code"] == "not_found"


def test_anonymous_reading_is_401(api, reports):
    assert api().get("/api/v1/reports/").status_code == 401


def test_the_detail_has_the_timeline_photos_due_time_and_department(api, reports):
    body = api("handler-lighting").get(f"/api/v1/reports/{reports['dispatched'].pk}/").json()
    assert body["department"] == Department.objects.get(code="bh-lighting").pk
    assert body["department_name"] == "北海市照明管理处"
    assert "due_at" in body and body["status"] == "dispatched"
    assert [p["kind"] for p in body["photos"]["before"]] == ["before"]
    assert set(body["photos"]["before"][0]) >= {"id", "url", "thumbnail_url", "width", "height",
                                                "taken_at", "gps"}
    [event] = body["timeline"]
    assert set(event) == {"action", "actor", "from_status", "to_status", "level", "note", "at"}
    assert body["flags"] is None  # handlers don't see the command centre's flags


def test_dispatchers_see_the_flags(api, reports):
    body = api("dispatcher-city").get(f"/api/v1/reports/{reports['resident1'].pk}/").json()
    assert body["flags"] == {"flagged": False, "content_check": "pass",
                             "location_suspect": False, "photo_distance_m": None}


# --- filters -----------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ("?status=dispatched", {"dispatched"}),
    ("?status=submitted,dispatched", {"resident1", "resident2", "resident3", "leader1",
                                      "dispatched"}),
    ("?category=clutter", {"leader1"}),
    ("?category=sanitation", {"leader1"}),  # a group means its children
    ("?region={hpl}", {"resident3"}),
    ("?grid={hhl01}", {"leader1"}),
    ("?bbox=109.116,21.480,109.118,21.482", {"resident3"}),
    ("?mine=1", set()),
    ("?urgent=1", set()),
    ("?flagged=0", {"resident1", "resident2", "resident3", "leader1", "dispatched"}),
    ("?level=street", set()),
])
def test_filters_narrow_what_a_dispatcher_sees(api, reports, query, expected):
    query = query.format(hpl=Region.objects.get(code="450502001002").pk,
                         hhl01=Grid.objects.get(code="HHL-01").pk)
    assert listed(api("dispatcher-city"), query) == ids(reports, *expected)


def test_mine_narrows_a_leader_to_their_own_reports(api, reports):
    assert listed(api("leader5"), "?mine=1") == ids(reports, "dispatched")


def test_a_category_by_id_filters_too(api, reports):
    pk = Category.objects.get(code="clutter").pk
    assert listed(api("dispatcher-city"), f"?category={pk}") == ids(reports, "leader1")


@pytest.mark.parametrize("query", ["?status=lost", "?category=nope", "?grid=abc",
                                   "?region=999999", "?bbox=1,2,3", "?bbox=a,b,c,d",
                                   "?bbox=110,21,109,22", "?level=galaxy", "?mine=perhaps"])
def test_bad_filters_are_400(api, reports, query):
    response = api("dispatcher-city").get(f"/api/v1/reports/{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_lists_are_newest_first_and_paginated(api, world, user):
    made = make_reports(25, reporter=user("resident1"))
    body = api("resident1").get("/api/v1/reports/?limit=10").json()
    assert [r["id"] for r in body["results"]] == [r.pk for r in reversed(made)][:10]
    assert body["next"] is not None and "cursor=" in body["next"] and "count" not in body


def test_next_walks_every_report_once_even_as_new_ones_arrive(api, world, user):
    """Keyset pages: reports filed while someone pages (and reports sharing a moment) are
    neither repeated nor skipped."""
    with freeze_time("2026-11-26 09:00:00+08:00") as clock:
        same_moment = make_reports(7, reporter=user("resident1"))  # one instant
        later = []
        for _k in range(8):
            clock.tick(60)
            later += make_reports(1, reporter=user("resident1"))
        client, seen = api("resident1"), []
        url = "/api/v1/reports/?limit=4"
        while url:
            body = client.get(url).json()
            seen += [r["id"] for r in body["results"]]
            if len(seen) == 4:
                clock.tick(60)
                make_reports(3, reporter=user("resident1"))  # arrive meanwhile: on no page
            url = body["next"]
    assert sorted(seen) == sorted(r.pk for r in same_moment + later)
    assert len(seen) == len(set(seen))


# cD1u… is p=not-a-date, bz0tMQ== is o=-1
@pytest.mark.parametrize("cursor", ["x", "////", "cD1ub3QtYS1kYXRl", "bz0tMQ=="])
def test_a_cursor_that_cannot_be_read_is_400_naming_it(api, world, cursor):
    response = api("resident1").get(f"/api/v1/reports/?cursor={cursor}")
    assert response.status_code == 400 and "cursor" in response.json()["fields"]


# --- query counts ------------------------------------------------------------------------
# A list costs: the JWT user with the roles token (1); the user's roles, loaded for the
# first time in the test (staff roles, the grids led or belonged to: 2); the page with
# category, grid, reporter and department joined, the photos' figures the report's own
# (1). No count: the list pages by cursor.
# A detail: the user and roles as above, the report (1), its photos (1), its timeline
# with the actors joined (1). Roles warm, as they are from a user's second request on:
# a list is 2 queries and a detail 4.

LIST_QUERIES = {"resident1": 1 + 2 + 1, "leader5": 1 + 2 + 1, "dispatcher-city": 1 + 2 + 1}
DETAIL_QUERIES = {"resident1": 1 + 2 + 3, "leader5": 1 + 2 + 3, "dispatcher-city": 1 + 2 + 3}


@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize("username", LIST_QUERIES)
def test_a_list_costs_the_same_queries_for_1_and_50_reports(
        api, world, user, django_assert_num_queries, username, count):
    make_reports(count, reporter=user("resident1"), photos=2)
    client = api(username)
    with django_assert_num_queries(LIST_QUERIES[username]):
        response = client.get("/api/v1/reports/?limit=100")
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("photos", [1, 5])
@pytest.mark.parametrize("username", DETAIL_QUERIES)
def test_a_detail_costs_the_same_queries_whatever_its_photos_and_events(
        api, world, user, django_assert_num_queries, username, photos):
    report = make_reports(1, reporter=user("resident1"), photos=photos)[0]
    ReportEvent.objects.bulk_create([ReportEvent(
        report=report, action="accept", to_status="accepted", level="community",
        actor=user("leader5")) for _i in range(photos)])
    client = api(username)
    with django_assert_num_queries(DETAIL_QUERIES[username]):
        response = client.get(f"/api/v1/reports/{report.pk}/")
    assert response.status_code == 200
    assert len(response.json()["photos"]["before"]) == photos
    assert len(response.json()["timeline"]) == photos + 1


@pytest.mark.parametrize("count", [1, 50])
def test_a_handlers_list_costs_the_same_queries_for_1_and_50_reports(
        api, world, user, django_assert_num_queries, count):
    # The JWT user with the roles token (1); roles (staff roles with their departments,
    # the grids led or belonged to: 2); the page (1).
    lighting = Department.objects.get(code="bh-lighting")
    make_reports(count, reporter=user("resident1"), photos=2,
                 status=Report.Status.DISPATCHED, department=lighting)
    client = api("handler-lighting")
    with django_assert_num_queries(1 + 2 + 1):
        response = client.get("/api/v1/reports/?limit=100")
    assert len(response.json()["results"]) == count
