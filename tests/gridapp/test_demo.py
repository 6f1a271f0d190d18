from config.demo import build_demo_world
from gridapp.models import Grid, GridMembership, LeaderTerm, Region


def test_seed_demo_builds_the_world_of_demo_md(world):
    assert Region.objects.get(code="450502001001").name == "黄海路社区"
    assert Grid.objects.filter(community__code="450502001001").count() == 9
    assert Grid.objects.filter(community__code="450502001002").count() == 2
    hhl05 = Grid.objects.get(code="HHL-05")
    assert (hhl05.min_lat, hhl05.min_lng, hhl05.max_lat, hhl05.max_lng) == (
        21.482, 109.112, 21.484, 109.114)
    assert LeaderTerm.objects.get(grid__code="HHL-09", end_date__isnull=False).user.username == "leader9old"
    assert GridMembership.objects.filter(grid=hhl05, status="active").count() == 2


def test_seed_demo_twice_changes_nothing(world):
    counts = [m.objects.count() for m in (Region, Grid, LeaderTerm, GridMembership)]
    build_demo_world()
    assert [m.objects.count() for m in (Region, Grid, LeaderTerm, GridMembership)] == counts
