from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from gridapp.models import Category, Department, Grid, GridMembership, LeaderTerm, Region, StaffRole

OUR_APPS = ("accounts", "gridapp", "payroll")


def test_seed_demo_builds_the_world_of_demo_md(world):
    assert Region.objects.get(code="450502001001").name == "黄海路社区"
    assert Grid.objects.filter(community__code="450502001001").count() == 9
    assert Grid.objects.filter(community__code="450502001002").count() == 2
    hhl05 = Grid.objects.get(code="HHL-05")
    assert (hhl05.min_lat, hhl05.min_lng, hhl05.max_lat, hhl05.max_lng) == (
        21.482, 109.112, 21.484, 109.114)
    assert LeaderTerm.objects.get(grid__code="HHL-09", end_date__isnull=False).user.username == "leader9old"
    assert GridMembership.objects.filter(grid=hhl05, status="active").count() == 2


def test_every_demo_user_of_demo_md_exists_with_their_scope(world):
    names = {"newcomer", "resident1", "resident2", "resident3", "leader9old", "leader9",
             *(f"leader{k}" for k in range(1, 12) if k != 9), "finance1", "finance2",
             "dispatcher-community", "dispatcher-street", "dispatcher-district",
             "dispatcher-city", "handler-lighting", "handler-enforcement"}
    assert names <= set(User.objects.values_list("username", flat=True))
    scopes = {(s.user.username, s.role, (s.region or s.department).name)
              for s in StaffRole.objects.select_related("user", "region", "department")}
    assert scopes == {
        ("dispatcher-community", "dispatcher", "黄海路社区"),
        ("dispatcher-street", "dispatcher", "东街街道"),
        ("dispatcher-district", "dispatcher", "海城区"),
        ("dispatcher-city", "dispatcher", "北海市"),
        ("handler-lighting", "handler", "北海市照明管理处"),
        ("handler-enforcement", "handler", "东街街道综合执法中队"),
        ("finance1", "finance", "北海市"), ("finance2", "finance", "北海市"),
    }
    assert set(Department.objects.values_list("name", flat=True)) >= {
        "北海市照明管理处", "东街街道综合执法中队"}
    assert set(Category.objects.values_list("code", flat=True)) >= {
        "streetlight", "clutter", "flying-wire", "illegal-building", "other"}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model of ours, field by field."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for app in OUR_APPS for model in apps.get_app_config(app).get_models()}


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo", "--i-know-this-is-not-production")  # tests run with DEBUG off
    first = snapshot()
    call_command("seed_demo", "--i-know-this-is-not-production")  # tests run with DEBUG off
    assert snapshot() == first
