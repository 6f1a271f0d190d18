"""Object-level authorization, generated from the URL configuration (issue 11): every
endpoint that names an object × every user of the demo world and of a second city ×
objects of both. Who may see what is written once below (`SCOPE`), from the tables, not
from the selectors it checks. Seeing means: a GET answers 200 (403 where the endpoint
says so for someone who sees the object but may not use it) and a POST anything but 404;
not seeing means 404. Any other combination fails, naming the endpoint, user and object.

POSTs run inside a transaction that is rolled back, so one user's action never changes
what the next one sees."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from gridapp.demo import demo_user
from gridapp.models import (Department, Grid, GridMembership, LeaderTerm, Project, Region, Report,
                            Scorecard, StaffRole)
from gridapp.selectors.evaluations import parse_period
from gridapp.services import projects
from gridapp.services.evaluations import publish_scorecards
from payroll import services as payroll
from payroll.models import Adjustment, BankAccountChange, Run, Suspension
from payroll.yearend import services as year_end
from payroll.yearend.models import Appeal, Distribution

from tests.gridapp.photos_support import make_reports

NOV = dt.date(2026, 11, 1)


def object_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """(route with `{pk}`, the view's HTTP methods) of every API route naming an object."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += object_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/") and "<int:pk>" in route:
            view = entry.callback.view_class
            methods = [m.upper() for m in ("get", "post", "delete") if hasattr(view, m)]
            found += [("/" + route.replace("<int:pk>", "{pk}"), m) for m in methods]
    return found


# --- the scope rules, written once ---------------------------------------------------

def prefixes(user: User, role: str) -> list[str]:
    return [s.region.prefix for s in StaffRole.objects.filter(user=user, role=role)
            .select_related("region")]


def is_admin(user: User) -> bool:
    return user.is_superuser or StaffRole.objects.filter(user=user, role="admin").exists()


def under(code: str, region_prefixes: list[str]) -> bool:
    return any(code.startswith(p) for p in region_prefixes)


def led_grids(user: User) -> set[int]:
    today = timezone.localdate()
    return {t.grid_id for t in LeaderTerm.objects.filter(user=user)
            if t.start_date <= today and (t.end_date is None or t.end_date >= today)}


def member_grids(user: User) -> set[int]:
    return set(GridMembership.objects.filter(user=user, status="active")
               .values_list("grid_id", flat=True))


def sees_grid(user: User, grid: Grid) -> bool:
    own = led_grids(user) | member_grids(user)
    communities = set(Grid.objects.filter(pk__in=own).values_list("community__code", flat=True))
    staff = [p for role in ("dispatcher", "finance") for p in prefixes(user, role)] + [
        s.department.region.prefix for s in StaffRole.objects.filter(user=user, role="handler")
        .select_related("department__region")]
    return (is_admin(user) or grid.pk in own or under(grid.community.code, staff)
            or grid.community.code in communities)


def sees_report(user: User, report: Report) -> bool:
    handled = set(StaffRole.objects.filter(user=user, role="handler")
                  .values_list("department_id", flat=True))
    return (is_admin(user) or report.reporter_id == user.pk
            or Report.objects.filter(reporter=user, duplicate_of=report).exists()
            or report.grid_id in led_grids(user)
            or under(report.region_code, prefixes(user, "dispatcher"))
            or report.department_id in handled)


def sees_membership(user: User, membership: GridMembership) -> bool:
    return (is_admin(user) or membership.user_id == user.pk
            or membership.grid_id in led_grids(user)
            or under(membership.grid.community.code, prefixes(user, "dispatcher")))


def sees_project(user: User, project: Project) -> bool:
    return (is_admin(user) or under(project.region.code, prefixes(user, "dispatcher"))
            or StaffRole.objects.filter(user=user, role="handler",
                                        department=project.department).exists()
            or any(sees_report(user, report) for report in project.reports.all()))


def sees_scorecard(user: User, card: Scorecard) -> bool:
    """The command centres of the scorecard's region or above it, and the department's staff."""
    handled = set(StaffRole.objects.filter(user=user, role="handler")
                  .values_list("department_id", flat=True))
    return (is_admin(user) or under(card.publication.region.code, prefixes(user, "dispatcher"))
            or card.department_id in handled)


def finance_sees(user: User, code: str) -> bool:
    return is_admin(user) or under(code, prefixes(user, "finance"))


def finance_sees_leader(user: User, leader: User) -> bool:
    return is_admin(user) or any(
        finance_sees(user, t.grid.community.code)
        for t in LeaderTerm.objects.filter(user=leader).select_related("grid__community"))


SCOPE = {  # the route's first segments → (model, who sees an object)
    "grids": (Grid, sees_grid),
    "reports": (Report, sees_report),
    "memberships": (GridMembership, sees_membership),
    "projects": (Project, sees_project),
    "evaluations": (Scorecard, sees_scorecard),
    "payroll/runs": (Run, lambda u, run: finance_sees(u, run.region.code)),
    "payroll/adjustments": (Adjustment, lambda u, a: finance_sees(u, a.grid.community.code)),
    "payroll/suspensions": (Suspension, lambda u, s: finance_sees_leader(u, s.leader)),
    "payroll/bank-account-changes": (BankAccountChange,
                                     lambda u, c: finance_sees_leader(u, c.leader)),
    "payroll/year-end": (Distribution, lambda u, d: finance_sees(u, d.region.code)),
    "payroll/year-end/appeals": (Appeal,
                                 lambda u, a: finance_sees(u, a.distribution.region.code)),
}
# Routes whose rule is not their area's: a distribution's appeals are also read by the
# leaders who have a share in it once it is published; and API.md has anyone not in a
# distribution answered 403 when appealing it, so that POST sees every distribution.
ROUTE_SCOPE = {
    ("/api/v1/payroll/year-end/{pk}/appeals/", "GET"): (Distribution, lambda u, d: finance_sees(
        u, d.region.code) or (d.status in Distribution.SHOWN and d.shares.filter(
            leader=u).exists())),
    ("/api/v1/payroll/year-end/{pk}/appeals/", "POST"): (Distribution, lambda u, d: True),
}
# GETs that may answer someone who sees the object with something else than 200: the
# members list is for the grid's leader and the command centres above it, its performance
# for them and finance (403); a bank file exists only for an approved run or distribution,
# a notice only for a published one (409).
MAY_REFUSE = {"/api/v1/grids/{pk}/members/": {403},
              "/api/v1/grids/{pk}/performance/": {403},
              "/api/v1/payroll/runs/{pk}/export.csv": {409},
              "/api/v1/payroll/runs/{pk}/export.xlsx": {409},
              **{f"/api/v1/payroll/year-end/{{pk}}/{name}": {409} for name in (
                  "export.csv", "export.xlsx", "notice.csv", "notice.xlsx")}}


def scope_of(route: str, method: str = "GET"):
    if (route, method) in ROUTE_SCOPE:
        return ROUTE_SCOPE[route, method]
    for key in sorted(SCOPE, key=len, reverse=True):
        if route.startswith(f"/api/v1/{key}/"):
            return SCOPE[key]
    return None


# --- the world: the demo plus a second city ------------------------------------------

@pytest.fixture
def matrix_world(world):
    admin = User.objects.get(username="admin")
    city = Region.objects.create(code="450600000000", name="防城港市", level="city")
    community = Region.objects.create(code="450602001001", name="港口社区", level="community",
                                      parent=city)
    grid = Grid.objects.create(code="FCG-01", name="港口一网格", community=community,
                               boundary=Grid.objects.get(code="HHL-01").boundary)
    leader = demo_user("leader-fcg")
    LeaderTerm.objects.create(user=leader, grid=grid, start_date=dt.date(2026, 1, 1))
    StaffRole.objects.create(user=demo_user("dispatcher-fcg"), role="dispatcher", region=city)
    StaffRole.objects.create(user=demo_user("finance-fcg"), role="finance", region=city)
    resident = User.objects.get(username="resident1")
    leader5 = User.objects.get(username="leader5")
    reports = [*make_reports(1, reporter=leader5, grid_code="HHL-05", photos=0),
               *make_reports(1, reporter=resident, grid_code="HPL-01", photos=0),
               *make_reports(1, reporter=leader, grid_code="FCG-01", photos=0)]
    handled = make_reports(1, reporter=leader5, grid_code="HHL-05", photos=0)[0]
    department = StaffRole.objects.filter(role="handler").first()
    if department is not None:
        Report.objects.filter(pk=handled.pk).update(status="dispatched",
                                                    department=department.department)
    merged = make_reports(1, reporter=resident, grid_code="HHL-05", photos=0)[0]
    Report.objects.filter(pk=merged.pk).update(status="duplicate", duplicate_of=reports[0])
    finance1 = User.objects.get(username="finance1")
    hhl = Region.objects.get(code="450502001001")
    payroll.create_adjustment(leader=User.objects.get(username="leader1"), period=NOV,
                              amount=Decimal("1.00"), reason="r", actor=finance1)
    payroll.create_adjustment(leader=leader, period=NOV, amount=Decimal("1.00"), reason="r",
                              actor=admin)
    payroll.suspend_leader(leader=User.objects.get(username="leader2"), period=NOV,
                           reason="r", actor=finance1)
    payroll.suspend_leader(leader=leader, period=NOV, reason="r", actor=admin)
    payroll.create_run(period=NOV, region=hhl, actor=finance1)
    GridMembership.objects.create(user=resident, grid=grid, member_type="resident")
    published = year_end.create_distribution(year=2026, region=hhl, extra_pool=Decimal("100.00"),
                                             actor=finance1)
    year_end.publish_distribution(published, actor=finance1)
    year_end.file_appeal(published, leader=User.objects.get(username="leader1"), reason="r")
    year_end.create_distribution(year=2026, region=city, extra_pool=Decimal("10.00"),
                                 actor=admin)
    street = Region.objects.get(code="450502001000")
    lighting = Department.objects.get(code="bh-lighting")
    for region, report in ((street, reports[0]), (city, reports[2])):
        projects.create_project(actor=admin, title="t", category=report.category, region=region,
                                department=lighting, goal="g", report_ids=[report.pk])
    for code in ("450502001000", "450500000000"):  # the street's and the city's scorecards
        publish_scorecards(region=Region.objects.get(code=code), period=parse_period("2026-11"),
                           actor=None)


def sample(model) -> list:
    """Up to six objects of a kind, the second city's included (the newest)."""
    rows = list(model.objects.order_by("-pk")[:3]) + list(model.objects.order_by("pk")[:3])
    return list({row.pk: row for row in rows}.values())


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


class Rollback(Exception):
    pass


def answer(client: APIClient, method: str, path: str) -> int:
    if method == "GET":
        return client.get(path).status_code
    try:
        with transaction.atomic():
            status = getattr(client, method.lower())(path, {}, format="json").status_code
            raise Rollback
    except Rollback:
        return status


def test_every_object_route_has_a_scope_rule():
    assert [route for route, _m in object_routes() if scope_of(route) is None] == []


@pytest.mark.parametrize("route,method", object_routes())
def test_an_object_is_found_exactly_by_who_may_see_it(matrix_world, route, method):
    model, sees = scope_of(route, method)
    objects = sample(model)
    assert objects, f"no {model.__name__} to try {route} on"
    users = list(User.objects.filter(is_active=True).order_by("username"))
    wrong = []
    for user in users:
        client = client_for(user)
        for obj in objects:
            status = answer(client, method, route.format(pk=obj.pk))
            if sees(user, obj):
                allowed = {200, *MAY_REFUSE.get(route, ())} if method == "GET" \
                    else set(range(200, 600)) - {404, 500}
                ok = status in allowed
            else:
                ok = status == 404
            if not ok:
                wrong.append(f"{method} {route} {user.username} "
                             f"{model.__name__}#{obj.pk}: {status}")
    assert wrong == []
