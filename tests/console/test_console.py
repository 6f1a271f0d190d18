"""The web console through a browser-like client (sessions, CSRF): who may sign in, that
every page shows exactly what the API would show the same user, and that its buttons go
through the same services (docs/api.md "The web console")."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from freezegun import freeze_time

from accounts.models import User
from config.demo import build_demo_world
from console.access import LoginThrottle
from console.views import reports as console_reports
from gridapp.models import Grid, Region, Report, ReportEvent
from payroll.models import Run
from payroll.services import MakerChecker

from ..gridapp.workflow_support import lighting, report_in
from .conftest import STAFF, post, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", [*STAFF, "admin"])
def test_every_staff_user_signs_in_with_the_demo_password_and_sees_home(console, username):
    home = console(username).get("/console/")
    assert home.status_code == 200
    assert "退出" in home.content.decode()


@pytest.mark.parametrize("username", ["leader1", "resident1"])
def test_a_leaders_or_residents_credentials_cannot_sign_in_even_with_a_password(world, username):
    leader = User.objects.get(username=username)
    leader.set_password("a-real-password")
    leader.save()
    client = Client(enforce_csrf_checks=True)
    refused = sign_in(client, username, "a-real-password")
    assert refused.status_code == 200
    assert "小程序" in refused.content.decode()
    assert client.get("/console/").status_code == 302


def test_a_wrong_password_is_refused_and_the_pages_ask_to_sign_in(world):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "dispatcher-city", "wrong").status_code == 200
    page = client.get("/console/reports/")
    assert page.status_code == 302 and page["Location"].startswith("/console/login/")


def test_signing_in_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/console/login/", {"username": "finance1",
                                           "password": "gridlink-demo"}).status_code == 403


def test_too_many_sign_in_attempts_from_one_address_are_refused(world, monkeypatch):
    monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", {"login": "3/min"})
    client = Client(enforce_csrf_checks=True)
    codes = [sign_in(client, "finance1", "wrong").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert sign_in(client, "finance1").status_code == 429  # even with the right password
    assert client.get("/console/").status_code == 302


def test_signing_out_ends_the_session(console):
    client = console("dispatcher-city")
    assert post(client, "/console/logout/").status_code == 302
    assert client.get("/console/").status_code == 302


def test_seeding_the_demo_twice_keeps_the_staff_passwords(world):
    before = dict(User.objects.values_list("username", "password"))
    build_demo_world()
    assert dict(User.objects.values_list("username", "password")) == before
    assert User.objects.get(username="dispatcher-street").check_password("gridlink-demo")
    assert User.objects.get(username="admin").check_password("admin")
    assert not User.objects.get(username="leader1").has_usable_password()


# --- reports ---------------------------------------------------------------------------


def test_the_queue_shows_what_the_api_shows_the_same_user(console, api, open_reports):
    ours = open_reports(2)
    theirs = open_reports(1, grid_code="HPL-01")  # 和平路社区: not dispatcher-community's
    page = console("dispatcher-community").get("/console/reports/").content.decode()
    api_numbers = {r["number"] for r in api("dispatcher-community").get(
        "/api/v1/reports/?status=submitted,accepted,dispatched,in_progress").json()["results"]}
    assert api_numbers == {r.number for r in ours}
    assert all(r.number in page for r in ours) and theirs[0].number not in page


def test_the_queue_filters_like_the_api_and_answers_a_bad_filter_with_400(console, open_reports):
    light, = open_reports(1)
    clutter, = open_reports(1, category="clutter")
    client = console("dispatcher-street")
    page = client.get("/console/reports/?category=clutter").content.decode()
    assert clutter.number in page and light.number not in page
    for bad in ("status=bogus", "grid=%C2%B2", f"grid={10**30}", "level=moon", "sort=up"):
        assert client.get(f"/console/reports/?{bad}").status_code == 400, bad


def test_the_grid_filter_keeps_the_chosen_grid_and_escapes_names(console, open_reports):
    grid = Grid.objects.get(code="HHL-05")
    Grid.objects.filter(pk=grid.pk).update(name="<b>黄海路5</b>")
    page = console("dispatcher-community").get(f"/console/reports/?grid={grid.pk}")
    text = page.content.decode()
    option = f'<option value="{grid.pk}" selected>HHL-05 &lt;b&gt;黄海路5&lt;/b&gt;</option>'
    assert option in text
    assert text.count(" selected>") == 2  # the grid, and the status filter's default


def counted(response) -> tuple[int, bool]:
    paginator = response.context["rows"].paginator
    return paginator.count, paginator.capped


def test_the_queue_counts_no_further_than_it_pages_and_says_so(console, open_reports,
                                                                monkeypatch):
    monkeypatch.setattr(console_reports, "COUNT_AT_MOST", 4)
    monkeypatch.setattr(console_reports, "PAGE_SIZE", 2)
    client = console("dispatcher-community")

    def text(page: str = "") -> str:
        return client.get(f"/console/reports/{page}").content.decode()

    assert counted(client.get("/console/reports/")) == (0, False)
    open_reports(4)  # as many as it counts: all of them
    assert counted(client.get("/console/reports/")) == (4, False)
    assert "第 1 页，共 2 页" in text() and "以上" not in text()
    assert "仅列出" not in text("?page=2")
    newest = open_reports(1)  # one more than it counts
    first, last = client.get("/console/reports/"), client.get("/console/reports/?page=2")
    assert counted(first) == (4, True)
    assert "第 1 页，共 2 页以上" in first.content.decode()
    assert "仅列出前 4 条报告" not in first.content.decode()  # said on the last page only
    assert "仅列出前 4 条报告" in last.content.decode()
    assert "仅列出前 4 条报告" in text("?page=99")  # past the end: the last page
    shown = [r.number for page in (first, last) for r in page.context["rows"]]
    assert shown[0] == newest[0].number and len(shown) == 4  # the newest four


QUEUE_NOW = datetime.fromisoformat("2026-11-26T09:00:00+08:00")


@freeze_time(QUEUE_NOW)
def test_the_queue_puts_the_nearest_deadline_first_on_request(console, user):
    now = QUEUE_NOW  # the deadlines are hours from the frozen clock
    later, sooner, unclocked = (
        report_in("accepted", reporter=user("resident1"), due_at=now + timedelta(hours=h),
                  sla_started_at=now) if h else report_in("submitted", reporter=user("resident1"))
        for h in (48, 2, None))
    page = console("dispatcher-community").get("/console/reports/?sort=due").content.decode()
    positions = [page.index(r.number) for r in (sooner, later, unclocked)]
    assert positions == sorted(positions)


def test_a_report_outside_the_users_scope_is_not_found(console, open_reports):
    report, = open_reports(1, grid_code="HPL-01")
    client = console("dispatcher-community")
    assert client.get(f"/console/reports/{report.pk}/").status_code == 404
    assert client.get(f"/console/reports/{10**30}/").status_code == 404
    assert console("finance1").get("/console/reports/").status_code == 404


def test_the_report_page_shows_the_buttons_of_what_the_user_may_do(console, open_reports):
    report, = open_reports(1)
    page = console("dispatcher-community").get(f"/console/reports/{report.pk}/").content.decode()
    for name, label in (("accept", "受理"), ("reject", "不予受理"), ("merge", "合并")):
        assert f'name="{name}"' in page and label in page
    assert 'name="dispatch"' not in page  # not accepted yet
    assert "data-confirm" in page  # rejecting and merging close the report: they ask
    handler = console("handler-lighting").get(f"/console/reports/{report.pk}/")
    assert handler.status_code == 404  # not dispatched to them


def test_accept_dispatch_and_escalate_go_through_the_services(console, open_reports):
    report, = open_reports(1)
    client = console("dispatcher-community")
    base = f"/console/reports/{report.pk}"
    post(client, f"{base}/accept/")
    report.refresh_from_db()
    assert report.status == "accepted" and report.suggested_department.code == "bh-lighting"
    post(client, f"{base}/dispatch/", {"department": report.suggested_department_id})
    post(client, f"{base}/escalate/", {"note": "需要街道协调"})
    report.refresh_from_db()
    assert (report.status, report.level) == ("submitted", "street")
    assert list(ReportEvent.objects.filter(report=report).order_by("at", "pk")
                .values_list("action", flat=True)) == ["submit", "accept", "dispatch", "escalate"]


def test_a_refused_action_changes_nothing_and_says_why(console, open_reports):
    report, = open_reports(1)
    client = console("dispatcher-community")
    page = client.get(f"/console/reports/{report.pk}/")
    response = post(client, f"/console/reports/{report.pk}/reject/", {"note": ""})
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert page.status_code == 200 and '<li class="error">' in shown
    response = post(client, f"/console/reports/{report.pk}/dispatch/")
    assert "不允许" in client.get(response["Location"]).content.decode()
    assert Report.objects.get(pk=report.pk).status == "submitted"
    assert post(client, f"/console/reports/{report.pk}/rating/").status_code == 404


def test_a_handler_starts_work_and_a_dispatcher_merges_a_duplicate(console, open_reports, user):
    dispatched = report_in("dispatched", reporter=user("resident1"), department=lighting())
    handler = console("handler-lighting")
    page = handler.get(f"/console/reports/{dispatched.pk}/").content.decode()
    assert 'name="start"' in page and "开始处置" in page and 'name="return"' in page
    post(handler, f"/console/reports/{dispatched.pk}/start/")
    assert Report.objects.get(pk=dispatched.pk).status == "in_progress"

    original, duplicate = open_reports(2)
    dispatcher = console("dispatcher-community")
    hidden, = open_reports(1, grid_code="HPL-01")
    for bad in ("", "²", str(10**30), str(hidden.pk)):
        post(dispatcher, f"/console/reports/{duplicate.pk}/merge/", {"duplicate_of": bad})
        assert Report.objects.get(pk=duplicate.pk).status == "submitted", bad
    post(dispatcher, f"/console/reports/{duplicate.pk}/merge/", {"duplicate_of": original.pk})
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == ("duplicate", original.pk)


def test_a_button_posted_without_the_csrf_token_is_refused(console, open_reports):
    report, = open_reports(1)
    client = console("dispatcher-community")
    assert client.post(f"/console/reports/{report.pk}/accept/").status_code == 403
    assert Report.objects.get(pk=report.pk).status == "submitted"


def test_the_map_carries_the_grids_and_only_the_open_reports(console, open_reports):
    open_one, = open_reports(1)
    closed, = open_reports(1, status="closed")
    page = console("dispatcher-city").get("/console/map/").content.decode()
    assert page.count('"code": "HHL-') == 9 and page.count('"code": "HPL-') == 2
    assert open_one.number in page and closed.number not in page
    assert "leaflet.js" in page and "http://" not in page and "https://" not in page


def test_the_maps_clusters_are_the_apis_through_the_session(console, api, open_reports):
    open_reports(3)
    open_reports(1, grid_code="HPL-02", point=(21.4810, 109.1190))
    open_reports(1, status="closed")
    query = "zoom=10&status=submitted,accepted,dispatched,in_progress"
    mine = console("dispatcher-city").get(f"/console/map/clusters.json?{query}").json()
    assert mine == api("dispatcher-city").get(f"/api/v1/map/clusters.geojson?{query}").json()
    assert sum(f["properties"]["count"] for f in mine["features"]) == 4
    community = console("dispatcher-community").get(f"/console/map/clusters.json?{query}")
    assert sum(f["properties"]["count"] for f in community.json()["features"]) == 3


@pytest.mark.parametrize("query", ["zoom=99", "zoom=x", "", "zoom=10&bbox=1,2",
                                   "zoom=10&status=nope"])
def test_a_malformed_cluster_query_is_400_in_the_apis_body(console, query):
    response = console("dispatcher-city").get(f"/console/map/clusters.json?{query}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_the_clusters_are_for_the_report_roles_signed_in(console, client):
    assert console("finance1").get("/console/map/clusters.json?zoom=10").status_code == 404
    anonymous = client.get("/console/map/clusters.json?zoom=10")  # no session: no header to ask
    assert (anonymous.status_code, anonymous.json()["code"]) == (403, "not_authenticated")


# --- payroll ---------------------------------------------------------------------------


@freeze_time("2026-12-05 10:00:00+08:00")
def test_finance1_prepares_a_run_and_only_finance2_approves_it(console):
    maker, checker = console("finance1"), console("finance2")
    region = Region.objects.get(code="450502001001")
    created = post(maker, "/console/payroll/", {"period": "2026-11", "region": region.pk})
    run = Run.objects.get()
    assert created["Location"] == f"/console/payroll/runs/{run.pk}/"
    assert str(run.total) == "2700.00"
    post(maker, f"/console/payroll/runs/{run.pk}/submit/")
    refused = post(maker, f"/console/payroll/runs/{run.pk}/approve/")
    assert str(MakerChecker.default_detail) in maker.get(refused["Location"]).content.decode()
    assert Run.objects.get().status == "submitted"
    post(checker, f"/console/payroll/runs/{run.pk}/approve/")
    assert Run.objects.get().status == "approved"
    csv = maker.get(f"/console/payroll/runs/{run.pk}/export.csv?template=standard")
    assert csv.status_code == 200 and "2700.00" in csv.content.decode("utf-8-sig")
    assert maker.get(f"/console/payroll/runs/{run.pk}/export.pdf").status_code == 404
    xlsx = maker.get(f"/console/payroll/runs/{run.pk}/export.xlsx?template=agency-xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert xlsx["Content-Disposition"].endswith('-agency-xlsx.xlsx"')
    wrong = maker.get(f"/console/payroll/runs/{run.pk}/export.csv?template=agency-xlsx")
    assert wrong.status_code == 302  # that template is XLSX only: a message on the run
    assert maker.get(f"/console/payroll/runs/{run.pk}/export.csv?template=nope").status_code == 302
    post(checker, f"/console/payroll/runs/{run.pk}/mark-paid/")
    assert Run.objects.get().status == "paid"


@freeze_time("2026-12-05 10:00:00+08:00")
def test_a_bad_run_form_or_filter_is_a_message_not_a_500(console):
    client = console("finance1")
    response = post(client, "/console/payroll/", {"period": "2026-13", "region": "²"})
    assert response.status_code == 302 and not Run.objects.exists()
    assert response["Location"] == "/console/payroll/"  # back to the list, with a message
    assert client.get("/console/payroll/?period=bogus").status_code == 400
    assert client.get(f"/console/payroll/runs/{10**30}/").status_code == 404


def test_payroll_is_for_finance_only(console):
    assert console("dispatcher-city").get("/console/payroll/").status_code == 404


def test_home_lists_each_roles_next_work(console, open_reports, user):
    waiting, = open_reports(1)
    dispatched = report_in("dispatched", reporter=user("resident1"), department=lighting())
    dispatcher = console("dispatcher-community").get("/console/").content.decode()
    handler = console("handler-lighting").get("/console/").content.decode()
    assert "待受理" in dispatcher and waiting.number in dispatcher
    assert "尚未开始处置" in handler and dispatched.number in handler
    assert waiting.number not in handler


# --- queries: a page costs the same whatever the number of rows ------------------------
# Every signed-in page starts with 3: the session, the user, and roles_of's roles token
# (the roles themselves were loaded when the user signed in, and stay current while the
# token does: tests/gridapp/test_roles.py).
SIGNED_IN = 3
BUDGETS = {
    # open reports by status and traffic light (one GROUP BY), the ones waiting (their
    # photos counted in the same query)
    "/console/": SIGNED_IN + 2,
    # the page count, the category and grid filter lists, the page's rows
    "/console/reports/": SIGNED_IN + 4,
    # the grids, the open reports (category joined)
    "/console/map/": SIGNED_IN + 2,
}


@pytest.mark.parametrize("path", sorted(BUDGETS))
@pytest.mark.parametrize("count", [3, 30])
def test_a_report_page_costs_a_fixed_number_of_queries(console, open_reports,
                                                       django_assert_num_queries, path, count):
    client = console("dispatcher-city")
    open_reports(count, photos=2)
    with django_assert_num_queries(BUDGETS[path]):
        assert client.get(path).status_code == 200


def test_a_report_detail_costs_a_fixed_number_of_queries(console, open_reports,
                                                         django_assert_num_queries):
    report, = open_reports(1, photos=3)
    client = console("dispatcher-community")
    post(client, f"/console/reports/{report.pk}/accept/")
    # the report with its joins, its photos, its events; the departments to dispatch to
    with django_assert_num_queries(SIGNED_IN + 4):
        assert client.get(f"/console/reports/{report.pk}/").status_code == 200


@freeze_time("2026-12-05 10:00:00+08:00")
def test_the_payroll_pages_cost_a_fixed_number_of_queries(console, django_assert_num_queries):
    client = console("finance1")
    for code in ("450502001001", "450502001002"):
        post(client, "/console/payroll/", {"period": "2026-11",
                                           "region": Region.objects.get(code=code).pk})
    run = Run.objects.order_by("pk").first()
    # the runs with their region and people joined, the regions of the new-run form
    with django_assert_num_queries(SIGNED_IN + 2):
        assert client.get("/console/payroll/").status_code == 200
    # the run, the lines' count and page (leader and grid joined), the history
    with django_assert_num_queries(SIGNED_IN + 4):
        assert client.get(f"/console/payroll/runs/{run.pk}/").status_code == 200


# --- the map's tile setting --------------------------------------------------------------


def _settings_with(**variables: str) -> subprocess.CompletedProcess:
    """The settings read in a fresh process (they are read once per process)."""
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.MAP_TILE_URL)"],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
        env={**os.environ, **variables})


def test_a_malformed_tile_url_refuses_to_start_and_a_good_one_is_used():
    bad = _settings_with(MAP_TILE_URL="tiles.example.cn/{z}/{x}.png")
    assert bad.returncode != 0 and "MAP_TILE_URL" in bad.stderr
    good = _settings_with(MAP_TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png")
    assert good.stdout.strip() == "https://tiles.example.cn/{z}/{x}/{y}.png"


def test_with_a_tile_url_the_map_page_names_it(console, settings):
    settings.MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    page = console("dispatcher-city").get("/console/map/").content.decode()
    assert '"tile_url": "/tiles/{z}/{x}/{y}.png"' in page
