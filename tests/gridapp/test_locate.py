"""`locate_grid` answers from an in-process index of every polygon (docs/performance.md);
it must answer exactly as a scan of every grid would, and follow every edit of a grid,
however and wherever it is made."""

import json

import pytest
import shapely
from django.db import connections, transaction
from django.forms.models import model_to_dict

from gridapp import geo
from gridapp.demo import CELL
from gridapp.models import Grid, GridIndexVersion
from gridapp.selectors.grids import locate_grid


def lattice() -> list[tuple[float, float]]:
    """Every corner, edge midpoint and centre of the demo grids, and a ring outside."""
    step = CELL / 2
    return [(round(21.4800 + i * step, 4), round(109.1100 + j * step, 4))
            for i in range(-2, 9) for j in range(-2, 13)]


def scan(lat: float, lng: float) -> Grid | None:
    """The rule written plainly: the first grid in code order whose polygon covers it."""
    point = shapely.geometry.Point(lng, lat)
    return next((grid for grid in Grid.objects.order_by("code")
                 if shapely.geometry.shape(grid.boundary).covers(point)), None)


def test_the_index_answers_as_a_scan_of_every_grid_would(world):
    for lat, lng in lattice():
        assert locate_grid(lat, lng) == scan(lat, lng), (lat, lng)


def test_the_lattice_reaches_every_demo_grid_and_beyond(world):
    """Guards the test above against comparing nothing but misses."""
    found = {locate_grid(lat, lng) for lat, lng in lattice()}
    assert found == {*Grid.objects.all(), None}


def test_the_grid_found_has_every_field_as_the_orm_reads_it(world):
    found = locate_grid(21.4830, 109.1130)
    stored = Grid.objects.get(code="HHL-05")
    assert model_to_dict(found) == model_to_dict(stored)
    assert (found.min_lat, found.min_lng, found.max_lat, found.max_lng) == (
        stored.min_lat, stored.min_lng, stored.max_lat, stored.max_lng)
    assert found.community == stored.community and not found._state.adding


def test_a_grid_moved_elsewhere_is_found_at_its_new_place(world):
    grid = Grid.objects.get(code="HPL-02")  # 21.480–21.482 N, 109.118–109.120 E
    assert locate_grid(21.481, 109.119) == grid
    grid.boundary = geo.rectangle(21.500, 109.200, 21.502, 109.202)
    grid.save()
    assert locate_grid(21.501, 109.201) == grid
    assert locate_grid(21.481, 109.119) is None


def test_a_grid_reshaped_within_its_bounding_box_is_tested_against_its_new_shape(world):
    """Same bounding box, new polygon: a cache keyed by grid or box would go stale."""
    grid = Grid.objects.get(code="HPL-02")
    south_east_corner = (21.4805, 109.1195)
    assert locate_grid(*south_east_corner) == grid
    grid.boundary = {"type": "Polygon", "coordinates": [[  # the north-west half
        [109.118, 21.480], [109.120, 21.482], [109.118, 21.482], [109.118, 21.480]]]}
    grid.save()
    assert locate_grid(*south_east_corner) is None
    assert locate_grid(21.4815, 109.1182) == grid


def test_a_grid_written_around_save_is_found_too(world):
    """The token is changed by a database trigger, so a bulk load or a queryset update,
    which never call Grid.save(), is seen as well."""
    assert locate_grid(21.501, 109.201) is None
    Grid.objects.filter(code="HPL-02").update(boundary=geo.rectangle(21.500, 109.200, 21.502, 109.202))
    assert locate_grid(21.501, 109.201) == Grid.objects.get(code="HPL-02")


def test_a_warm_locate_reads_one_row(world, django_assert_num_queries):
    locate_grid(21.4830, 109.1130)  # builds the index
    with django_assert_num_queries(1) as ctx:
        assert locate_grid(21.4830, 109.1130).code == "HHL-05"
    assert GridIndexVersion._meta.db_table in ctx.captured_queries[0]["sql"]


def test_an_index_built_inside_a_rolled_back_edit_is_not_kept(world):
    grid = Grid.objects.get(code="HPL-02")
    with pytest.raises(RuntimeError), transaction.atomic():
        grid.boundary = geo.rectangle(21.500, 109.200, 21.502, 109.202)
        grid.save()
        assert locate_grid(21.501, 109.201) == grid  # indexed with the uncommitted edit
        raise RuntimeError("the edit is rolled back")
    assert locate_grid(21.501, 109.201) is None
    assert locate_grid(21.481, 109.119) == grid


@pytest.mark.django_db(transaction=True)
def test_an_edit_committed_by_another_connection_is_seen_by_the_next_locate(world):
    """Another connection is what another worker process is to the database: this
    process's index must learn of its commit without being told."""
    assert locate_grid(21.481, 109.119).code == "HPL-02"  # builds the index
    moved = json.dumps(geo.rectangle(21.500, 109.200, 21.502, 109.202))
    other = connections.create_connection("default")  # in autocommit, as Django opens it
    try:
        with other.cursor() as cursor:
            cursor.execute("UPDATE gridapp_grid SET boundary = %s WHERE code = %s",
                           [moved, "HPL-02"])
    finally:
        other.close()
    assert locate_grid(21.481, 109.119) is None
    assert locate_grid(21.501, 109.201).code == "HPL-02"


def test_writing_a_grid_unchanged_keeps_every_index_current(world):
    """seed_demo run again saves every grid with the same values: no process should
    rebuild its index for that."""
    token = GridIndexVersion.objects.get().token
    for grid in Grid.objects.all():
        grid.save()
    assert GridIndexVersion.objects.get().token == token
