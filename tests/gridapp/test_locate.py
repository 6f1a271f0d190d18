"""`locate_grid` over every grid takes a faster path than over a given queryset (SQL
compiled once, boundaries parsed once per process: docs/performance.md); it must answer
exactly as the queryset path does, and follow every edit of a grid."""

from django.forms.models import model_to_dict

from gridapp import geo
from gridapp.demo import CELL
from gridapp.models import Grid
from gridapp.selectors.grids import locate_grid


def lattice() -> list[tuple[float, float]]:
    """Every corner, edge midpoint and centre of the demo grids, and a ring outside."""
    step = CELL / 2
    return [(round(21.4800 + i * step, 4), round(109.1100 + j * step, 4))
            for i in range(-2, 9) for j in range(-2, 13)]


def test_locating_among_all_grids_agrees_with_the_queryset_path(world):
    for lat, lng in lattice():
        assert locate_grid(lat, lng) == locate_grid(lat, lng, Grid.objects.all()), (lat, lng)


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
