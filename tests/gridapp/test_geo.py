"""gridapp.geo (datum conversion, distances, polygon validation), Grid.save's boundary
check and the point-in-polygon search of `selectors.locate_grid`."""

import math

import pytest
import shapely.geometry
from django.core.exceptions import ValidationError

from gridapp import geo
from gridapp.models import Grid, Region
from gridapp.selectors.grids import locate_grid

# (wgs_lat, wgs_lng, gcj_lat, gcj_lng): the published test vectors of the eviltransform
# project, identical in its Go and Python suites: googollee/eviltransform
# go/transform_test.go (`tests`) and python/test.py (`TESTS`).
EVILTRANSFORM_VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), EVILTRANSFORM_VECTORS)
def test_wgs84_to_gcj02_matches_the_published_vectors(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = geo.wgs84_to_gcj02(wgs_lat, wgs_lng)
    # eviltransform's own Python suite asserts 6 places; the same formula agrees to ~1e-12.
    assert lat == pytest.approx(gcj_lat, abs=1e-9)
    assert lng == pytest.approx(gcj_lng, abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), EVILTRANSFORM_VECTORS)
def test_gcj02_to_wgs84_inverts_the_published_vectors_to_within_a_centimetre(
        wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = geo.gcj02_to_wgs84(gcj_lat, gcj_lng)
    # eviltransform's "exact" inverse promises < 0.5 m; ours iterates further.
    assert geo.distance_m(lat, lng, wgs_lat, wgs_lng) < 0.01


def test_the_datum_shift_in_beihai_is_a_few_hundred_metres():
    gcj = geo.wgs84_to_gcj02(21.4830, 109.1130)
    assert 300 < geo.distance_m(21.4830, 109.1130, *gcj) < 1000


def test_points_outside_china_are_not_shifted():
    tokyo = (35.6812, 139.7671)
    assert geo.wgs84_to_gcj02(*tokyo) == tokyo
    assert geo.gcj02_to_wgs84(*tokyo) == tokyo


def test_to_gcj02_converts_only_wgs84_points():
    assert geo.to_gcj02(21.4830, 109.1130) == (21.4830, 109.1130)
    assert geo.to_gcj02(21.4830, 109.1130, geo.GCJ02) == (21.4830, 109.1130)
    assert geo.to_gcj02(21.4830, 109.1130, geo.WGS84) == geo.wgs84_to_gcj02(21.4830, 109.1130)


def test_distance_of_one_degree_of_longitude_on_the_equator():
    # A quarter of the mean Earth circumference over 90: 2 * pi * 6371008.8 / 360.
    assert geo.distance_m(0, 0, 0, 1) == pytest.approx(2 * math.pi * 6371008.8 / 360, rel=1e-9)
    assert geo.distance_m(21.483, 109.113, 21.483, 109.113) == 0


# --- polygons -------------------------------------------------------------------------

SQUARE = geo.rectangle(21.4800, 109.1100, 21.4820, 109.1120)


def polygon(*ring: list) -> dict:
    return {"type": "Polygon", "coordinates": [list(ring)]}


MALFORMED = {
    "not closed": polygon([109.11, 21.48], [109.12, 21.48], [109.12, 21.49], [109.11, 21.49]),
    "self-intersecting bow-tie": polygon([109.11, 21.48], [109.12, 21.49], [109.12, 21.48],
                                         [109.11, 21.49], [109.11, 21.48]),
    "too few points": polygon([109.11, 21.48], [109.12, 21.48], [109.11, 21.48]),
    "collinear, no area": polygon([109.11, 21.48], [109.12, 21.49], [109.13, 21.50],
                                  [109.11, 21.48]),
    "a Point, not a Polygon": {"type": "Point", "coordinates": [109.11, 21.48]},
    "a MultiPolygon": {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]},
    "a bare list of positions": SQUARE["coordinates"][0],
    "nothing": None,
    "no rings": {"type": "Polygon", "coordinates": []},
    "longitude out of range": polygon([179.0, 21.48], [181.0, 21.48], [181.0, 21.49],
                                      [179.0, 21.48]),
    "latitude out of range": polygon([109.11, 89.0], [109.12, 91.0], [109.11, 91.0],
                                     [109.11, 89.0]),
    "positions that are not numbers": polygon(["109.11", "21.48"], ["109.12", "21.48"],
                                              ["109.12", "21.49"], ["109.11", "21.48"]),
    "a position that is a boolean": polygon([True, 21.48], [109.12, 21.48], [109.12, 21.49],
                                            [True, 21.48]),
    "a hole outside its shell": {"type": "Polygon", "coordinates": [
        SQUARE["coordinates"][0],
        [[109.2, 21.6], [109.3, 21.6], [109.3, 21.7], [109.2, 21.6]]]},
    "positions of mixed dimensions": polygon([109.11, 21.48], [109.12, 21.48, 5],
                                             [109.12, 21.49], [109.11, 21.48]),
}


def test_a_closed_counter_clockwise_rectangle_is_a_valid_boundary():
    shape = geo.polygon_from_geojson(SQUARE)
    assert shape.bounds == (109.1100, 21.4800, 109.1120, 21.4820)


def test_a_polygon_with_a_hole_inside_is_valid():
    hole = [[109.1105, 21.4805], [109.1110, 21.4805], [109.1110, 21.4810], [109.1105, 21.4805]]
    boundary = {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0], hole]}
    assert geo.polygon_from_geojson(boundary).area < geo.polygon_from_geojson(SQUARE).area


@pytest.mark.parametrize("boundary", MALFORMED.values(), ids=MALFORMED.keys())
def test_polygon_from_geojson_rejects_a_malformed_boundary(boundary):
    with pytest.raises(ValidationError):
        geo.polygon_from_geojson(boundary)


@pytest.fixture
def community(db) -> Region:
    city = Region.objects.create(code="450500000000", name="北海市", level="city")
    return Region.objects.create(code="450500001001", name="测试社区", level="community",
                                 parent=city)


@pytest.mark.parametrize("boundary", MALFORMED.values(), ids=MALFORMED.keys())
def test_grid_save_rejects_a_malformed_boundary_and_stores_nothing(community, boundary):
    grid = Grid(code="T-01", name="test", community=community, boundary=boundary)
    with pytest.raises(ValidationError) as raised:
        grid.save()
    assert "boundary" in raised.value.message_dict
    assert not Grid.objects.exists()


def test_grid_save_stores_the_bounding_box_of_its_boundary(community):
    grid = Grid.objects.create(code="T-01", name="test", community=community, boundary=SQUARE)
    grid.refresh_from_db()
    assert (grid.min_lat, grid.min_lng, grid.max_lat, grid.max_lng) == (
        21.4800, 109.1100, 21.4820, 109.1120)


def test_saving_only_the_boundary_also_saves_its_bounding_box(community):
    grid = Grid.objects.create(code="T-01", name="test", community=community, boundary=SQUARE)
    grid.boundary = geo.rectangle(21.5000, 109.2000, 21.5100, 109.2100)
    grid.save(update_fields=["boundary"])
    grid.refresh_from_db()
    assert (grid.min_lat, grid.min_lng, grid.max_lat, grid.max_lng) == (
        21.5000, 109.2000, 21.5100, 109.2100)


def test_a_rejected_boundary_change_leaves_the_stored_grid_as_it_was(community):
    grid = Grid.objects.create(code="T-01", name="test", community=community, boundary=SQUARE)
    grid.boundary = MALFORMED["self-intersecting bow-tie"]
    with pytest.raises(ValidationError):
        grid.save()
    assert Grid.objects.get().boundary == SQUARE


def test_grid_full_clean_reports_the_boundary_field(community):
    grid = Grid(code="T-01", name="test", community=community,
                boundary=MALFORMED["not closed"])
    with pytest.raises(ValidationError) as raised:
        grid.full_clean()
    assert list(raised.value.message_dict) == ["boundary"]


# --- locate ---------------------------------------------------------------------------

def triangles(community: Region) -> tuple[Grid, Grid]:
    """Two triangles splitting a square along its south-west → north-east diagonal.

    Its corners are binary fractions, so that points on the diagonal such as
    (21.25, 109.25) lie on it exactly, not merely to within float rounding."""
    sw, se, ne, nw = [109.0, 21.0], [109.5, 21.0], [109.5, 21.5], [109.0, 21.5]
    lower = Grid.objects.create(code="T-B", name="lower", community=community,
                                boundary=polygon(sw, se, ne, sw))
    upper = Grid.objects.create(code="T-A", name="upper", community=community,
                                boundary=polygon(sw, ne, nw, sw))
    return upper, lower


def test_locate_uses_the_exact_polygon_not_its_bounding_box(community):
    upper, lower = triangles(community)
    # Both bounding boxes are the whole square; only the polygons tell the halves apart.
    assert locate_grid(21.01, 109.49) == lower
    assert locate_grid(21.49, 109.01) == upper


def test_a_point_on_an_edge_shared_by_two_grids_goes_to_exactly_one(community):
    upper, lower = triangles(community)
    on_edge = shapely.geometry.Point(109.25, 21.25)
    assert all(shapely.geometry.shape(g.boundary).covers(on_edge) for g in (upper, lower))
    # Both polygons cover it; the grid with the smaller code wins, every time.
    assert upper.code < lower.code
    assert {locate_grid(21.25, 109.25) for _attempt in range(3)} == {upper}


def test_points_near_a_shared_edge_never_fall_between_the_grids(community):
    """Decimal points "on" a slanted edge are off it by float rounding, to one side or
    the other; as both grids share the edge's exact vertices, one of them covers it."""
    upper, lower = triangles(community)
    for step in range(1, 200):
        offset = round(step * 0.0025, 4)
        assert locate_grid(21.0 + offset, 109.0 + offset) in (upper, lower)


def test_a_point_outside_every_grid_is_located_nowhere(community):
    triangles(community)
    assert locate_grid(21.6, 109.25) is None
    assert locate_grid(21.25, 109.6) is None


def test_a_grid_larger_than_every_earlier_one_is_found_at_once(community):
    Grid.objects.create(code="T-SMALL", name="small", community=community,
                        boundary=geo.rectangle(21.40, 109.10, 21.401, 109.101))
    assert locate_grid(21.45, 109.15) is None
    big = Grid.objects.create(code="T-BIG", name="big", community=community,
                              boundary=geo.rectangle(21.30, 109.00, 21.50, 109.20))
    assert locate_grid(21.45, 109.15) == big

