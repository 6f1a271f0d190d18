"""GET /api/v1/map/reports.geojson and /map/grids.geojson, and the categories reference."""

import pytest

from gridapp.models import Region, Report

from .photos_support import HHL05_POINT, make_reports


HPL01_POINT = (21.4810, 109.1170)


@pytest.fixture
def reports(world, user) -> dict[str, Report]:
    return {
        "resident1": make_reports(1, reporter=user("resident1"))[0],
        "resident3": make_reports(1, reporter=user("resident3"), grid_code="HPL-01",
                                  point=HPL01_POINT, status=Report.Status.ACCEPTED)[0],
    }


def features(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return body["features"]


def test_reports_are_geojson_points_in_lng_lat_order(api, reports):
    [feature] = features(api("resident1"), "/api/v1/map/reports.geojson")
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [HHL05_POINT[1], HHL05_POINT[0]]}
    props = feature["properties"]
    assert props["id"] == reports["resident1"].pk and props["number"] == reports["resident1"].number
    assert props["status"] == "submitted" and props["category"] == "streetlight"


def test_the_report_map_is_scoped_like_report_reading(api, reports):
    assert len(features(api("dispatcher-street"), "/api/v1/map/reports.geojson")) == 2
    assert len(features(api("dispatcher-community"), "/api/v1/map/reports.geojson")) == 1
    assert features(api("finance1"), "/api/v1/map/reports.geojson") == []
    assert features(api("newcomer"), "/api/v1/map/reports.geojson") == []


def test_the_report_map_filters_by_bbox_and_status(api, reports):
    client = api("dispatcher-city")
    bbox = "109.116,21.480,109.118,21.482"  # HPL-01
    assert [f["id"] for f in features(client, f"/api/v1/map/reports.geojson?bbox={bbox}")] == [
        reports["resident3"].pk]
    assert [f["id"] for f in features(client, "/api/v1/map/reports.geojson?status=submitted")] == [
        reports["resident1"].pk]


@pytest.mark.parametrize("query", ["?bbox=1,2", "?bbox=x,y,z,w", "?status=bogus"])
def test_bad_map_parameters_are_400(api, reports, query):
    assert api("dispatcher-city").get(f"/api/v1/map/reports.geojson{query}").status_code == 400


def test_grids_are_geojson_polygons(api, world):
    grids = features(api("resident1"), "/api/v1/map/grids.geojson")
    assert [g["properties"]["code"] for g in grids] == [f"HHL-0{k}" for k in range(1, 10)]
    assert grids[4]["geometry"]["type"] == "Polygon"
    assert grids[4]["geometry"]["coordinates"][0][0] == [109.112, 21.482]


def test_the_grid_map_filters_by_region(api, world):
    hpl = Region.objects.get(code="450502001002").pk
    grids = features(api("dispatcher-city"), f"/api/v1/map/grids.geojson?region={hpl}")
    assert [g["properties"]["code"] for g in grids] == ["HPL-01", "HPL-02"]
    assert len(features(api("dispatcher-city"), "/api/v1/map/grids.geojson")) == 11


def test_a_newcomer_sees_no_grids_on_the_map(api, world):
    assert features(api("newcomer"), "/api/v1/map/grids.geojson") == []


# The JWT user with the roles token (1), roles (2 for staff, the first time), then one
# query for the rows: the map reads plain values, never model instances.
@pytest.mark.parametrize("count", [1, 50])
def test_the_report_map_costs_the_same_queries_for_1_and_50_reports(
        api, world, user, django_assert_num_queries, count):
    make_reports(count, reporter=user("resident1"))
    client = api("dispatcher-city")
    with django_assert_num_queries(1 + 2 + 1):
        assert len(features(client, "/api/v1/map/reports.geojson")) == count


def test_the_grid_map_costs_one_query_after_the_user_and_roles(
        api, world, django_assert_num_queries):
    client = api("dispatcher-city")
    with django_assert_num_queries(1 + 2 + 1):
        assert len(features(client, "/api/v1/map/grids.geojson")) == 11


# --- categories ----------------------------------------------------------------------------


def test_categories_are_demo_mds_with_their_sla_per_level(api, world):
    body = api("resident1").get("/api/v1/categories/?limit=100").json()
    by_code = {c["code"]: c for c in body["results"]}
    assert by_code["streetlight"]["full_name"] == "市政设施 / 路灯不亮"
    assert by_code["streetlight"]["sla_hours"] == {"community": 72, "street": 72,
                                                    "district": 48, "city": 48}
    assert by_code["flying-wire"]["sla_hours"] == {"community": 24, "street": 12,
                                                    "district": 12, "city": 12}
    assert by_code["illegal-building"]["sla_hours"]["community"] == 168
    assert by_code["other"]["parent"] is None and by_code["other"]["reportable"]
    assert not by_code["municipal"]["reportable"]
    assert by_code["clutter"]["duplicate_radius_m"] == 100


def test_the_category_list_costs_a_count_and_a_page_after_the_user(
        api, world, django_assert_num_queries):
    client = api("resident1")
    # user (1) + count (1) + page (1): reference data needs no roles
    with django_assert_num_queries(3):
        assert client.get("/api/v1/categories/").status_code == 200


def test_seeding_the_demo_twice_keeps_one_row_per_category(world):
    from config.demo import build_demo_world
    from gridapp.models import Category
    before = Category.objects.count()
    build_demo_world()
    assert Category.objects.count() == before == 9  # 4 groups, 5 reportable categories
