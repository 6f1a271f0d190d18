"""The console end to end in a real browser: Debian's headless Chromium (/usr/bin/chromium,
installed by .ci/run; never a browser download) driven by Playwright against pytest-django's
live server. Few and coarse on purpose (the machine is small): one browser per module, one
journey per test. Each page's screenshot lands in tests/artifacts/console/ (git-ignored)
for a person to look at."""

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from gridapp.models import Region, Report
from payroll.models import Run

from .conftest import STAFF

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "console"
VIEWPORT = {"width": 1366, "height": 768}  # a command-centre desk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),  # the live server's thread sees the data
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still plain synchronous code between its calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--no-first-run",
                  "--disable-extensions", "--disable-sync", "--mute-audio"])
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def desk(browser, live_server, world):
    """`desk("finance1")`: a fresh browser context signed in through the form, at 1366 × 768,
    answering every confirmation dialog with OK (`page.confirm_answer["accept"] = False`:
    Cancel)."""
    contexts = []

    def signed_in(username: str, password: str = "gridlink-demo"):
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        answer = {"accept": True}
        page.on("dialog", lambda d: d.accept() if answer["accept"] else d.dismiss())
        page.confirm_answer = answer
        page.goto(f"{live_server.url}/console/login/")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', password)
        page.click('button[name="login"]')
        page.wait_for_load_state()
        return page

    yield signed_in
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_each_staff_role_signs_in_and_sees_its_own_menu(desk, live_server):
    menus = {"dispatcher-community": ("一张图", "事件队列"), "handler-lighting": ("事件队列",),
             "finance1": ("补贴发放",), "admin": ("一张图", "事件队列", "补贴发放")}
    for username, menu in menus.items():
        page = desk(username, "admin" if username == "admin" else "gridlink-demo")
        assert page.url == f"{live_server.url}/console/"
        nav = page.locator("header nav").inner_text()
        assert all(item in nav for item in menu), (username, nav)
        if username == "finance1":
            assert "事件队列" not in nav
        shot(page, f"home-{username}")
    assert set(menus) - {"admin"} <= set(STAFF)


def test_a_leaders_credentials_cannot_sign_in(desk, live_server):
    leader = User.objects.get(username="leader1")
    leader.set_password("gridlink-demo")
    leader.save()
    page = desk("leader1")
    assert page.url.startswith(f"{live_server.url}/console/login/")
    assert "网格长和居民请使用小程序" in page.locator('[role="alert"]').inner_text()
    shot(page, "login-refused-leader")


def test_the_map_draws_the_demo_grids_and_the_open_reports_pins(desk, live_server, open_reports):
    reports = open_reports(2) + open_reports(1, grid_code="HPL-02", point=(21.4810, 109.1190))
    open_reports(1, status="closed")
    page = desk("dispatcher-city")
    page.goto(f"{live_server.url}/console/map/")
    page.wait_for_selector("path.report-pin")
    assert page.locator("path.grid-cell").count() == 11
    assert page.locator("path.report-pin").count() == 3
    shot(page, "map")
    while page.locator(".report-cluster").count() == 0:  # zoomed out: the server's clusters
        page.click(".leaflet-control-zoom-out")
        page.wait_for_timeout(400)
    assert page.locator("path.report-pin").count() == 0
    assert sum(int(n) for n in page.locator(".report-cluster span").all_inner_texts()) == 3
    shot(page, "map-clusters")
    page.locator(".report-cluster").first.click()  # zooms back in: the pins again
    page.wait_for_selector("path.report-pin")
    page.locator("path.report-pin").last.click(force=True)
    page.click("a.open-report")
    page.wait_for_url(f"{live_server.url}/console/reports/*/")
    assert int(page.url.rstrip("/").rsplit("/", 1)[1]) in {r.pk for r in reports}


def test_a_dispatcher_accepts_dispatches_and_escalates_from_the_queue(desk, live_server,
                                                                     open_reports):
    report, refused = open_reports(2)
    page = desk("dispatcher-community")
    page.goto(f"{live_server.url}/console/reports/")
    shot(page, "queue")
    page.locator(f'tr[data-report="{report.pk}"]').get_by_role(
        "button", name="受理", exact=True).click()  # right from the queue, then its page
    page.wait_for_selector('button[name="dispatch"]')
    assert page.url == f"{live_server.url}/console/reports/{report.pk}/"
    assert page.locator('select[name="department"] option:checked').inner_text().startswith(
        "北海市照明管理处")
    shot(page, "report-accepted")
    page.get_by_role("button", name="派遣", exact=True).click()
    page.wait_for_selector('button[name="escalate"]')
    page.fill('form:has(button[name="escalate"]) input[name="note"]', "需要街道协调处置")
    page.get_by_role("button", name="上报", exact=True).click()
    page.wait_for_selector(".messages .success")
    shot(page, "report-escalated")
    report.refresh_from_db()
    assert (report.status, report.level) == ("submitted", "street")
    assert list(report.events.order_by("at", "pk").values_list("action", flat=True)) == [
        "submit", "accept", "dispatch", "escalate"]

    # Refusing a report closes it: the dialog asks, and "cancel" leaves it as it was.
    page.goto(f"{live_server.url}/console/reports/{refused.pk}/")
    page.fill('form:has(button[name="reject"]) input[name="note"]', "不属于受理范围")
    page.confirm_answer["accept"] = False
    page.get_by_role("button", name="不予受理", exact=True).click()
    page.wait_for_timeout(300)  # a dismissed dialog sends nothing: nothing to wait for
    assert Report.objects.get(pk=refused.pk).status == "submitted"
    page.confirm_answer["accept"] = True
    page.get_by_role("button", name="不予受理", exact=True).click()
    page.wait_for_selector(".messages .success")
    assert Report.objects.get(pk=refused.pk).status == "rejected"


def test_finance1_prepares_a_run_and_finance2_approves_it(desk, live_server):
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    community = Region.objects.get(code="450502001001")
    maker = desk("finance1")
    maker.goto(f"{live_server.url}/console/payroll/")
    maker.fill('form:has(button[name="create"]) input[name="period"]', last_month)
    maker.select_option('form:has(button[name="create"]) select[name="region"]',
                        str(community.pk))
    maker.get_by_role("button", name="生成批次").click()
    maker.wait_for_url(f"{live_server.url}/console/payroll/runs/*/")
    maker.get_by_role("button", name="提交审核").click()
    maker.wait_for_selector('button[name="approve"]')
    maker.get_by_role("button", name="审核通过").click()  # the preparer: maker-checker says no
    maker.wait_for_selector(".messages .error")
    shot(maker, "run-submitted-maker-refused")
    run = Run.objects.get()
    assert run.status == "submitted"

    checker = desk("finance2")
    checker.goto(f"{live_server.url}/console/payroll/runs/{run.pk}/")
    checker.get_by_role("button", name="审核通过").click()
    checker.wait_for_selector('button[name="mark-paid"]')
    shot(checker, "run-approved")
    run.refresh_from_db()
    assert (run.status, run.prepared_by.username, run.approved_by.username) == (
        "approved", "finance1", "finance2")
    checker.goto(f"{live_server.url}/console/payroll/")
    shot(checker, "payroll")


def test_the_projects_page_shows_five_lamp_reports_as_a_class(desk, live_server, open_reports):
    reports = open_reports(5)
    page = desk("dispatcher-street")
    page.click('header nav a:has-text("治理项目")')
    page.wait_for_selector("tr[data-suggestion]")
    links = page.locator("tr[data-suggestion] a")
    assert sorted(links.all_inner_texts()) == sorted(f"#{r.pk}" for r in reports)
    shot(page, "projects")
    page.click("details.make-project summary")
    page.fill('details.make-project textarea[name="goal"]', "年底前更换老旧路灯")
    page.get_by_role("button", name="立项").click()
    page.wait_for_url(f"{live_server.url}/console/projects/*/")
    page.get_by_role("button", name="启动项目").click()
    page.wait_for_selector(".messages .success")
    assert page.locator("table.queue tr[data-report]").count() == 5
    shot(page, "project")


def test_finance_publishes_a_year_end_distribution_and_a_second_officer_decides_an_appeal(
        desk, live_server):
    from payroll.yearend import services
    from payroll.yearend.models import Appeal, Distribution

    community = Region.objects.get(code="450502001001")
    maker = desk("finance1")
    maker.click('header nav a:has-text("年终分配")')
    maker.fill('form:has(button[name="create"]) input[name="year"]',
               str(timezone.localdate().year))
    maker.select_option('form:has(button[name="create"]) select[name="region"]',
                        str(community.pk))
    maker.fill('form:has(button[name="create"]) input[name="extra_pool"]', "3600.00")
    maker.get_by_role("button", name="生成分配").click()
    maker.wait_for_url(f"{live_server.url}/console/payroll/year-end/*/")
    assert maker.locator("tr[data-term]").count() == 10
    maker.get_by_role("button", name="公示").click()
    maker.wait_for_selector('button[name="submit"]')
    distribution = Distribution.objects.get()
    assert distribution.status == "published"
    appeal = services.file_appeal(distribution, leader=User.objects.get(username="leader1"),
                                  reason="我的上报数量统计有误")

    checker = desk("finance2")
    checker.goto(f"{live_server.url}/console/payroll/year-end/{distribution.pk}/")
    checker.locator("tr[data-term] details summary").first.click()  # why this share
    checker.fill(f'[data-appeal="{appeal.pk}"] input[name="note"]', "已核实，数据无误")
    checker.get_by_role("button", name="驳回申诉").click()
    checker.wait_for_selector(".messages .success")
    checker.locator("tr[data-term] details summary").first.click()
    shot(checker, "year-end")
    assert Appeal.objects.get(pk=appeal.pk).status == "dismissed"


def test_a_street_reads_its_four_quadrants_and_its_statistics(desk, live_server, user):
    from gridapp.models import Scorecard
    from gridapp.services.evaluations import publish_scorecards
    from gridapp.selectors.evaluations import parse_period

    from ..gridapp.test_evaluations import STREET, November

    November(user)
    street = Region.objects.get(code=STREET)
    publish_scorecards(region=street, period=parse_period("2026-11"),
                       actor=User.objects.get(username="dispatcher-street"))
    page = desk("dispatcher-street")
    page.click('header nav a:has-text("考核评价")')
    page.fill('input[name="period"]', "2026-11")
    page.click('button[name="filter"]')
    page.wait_for_selector("svg.quadrants circle")
    assert page.locator("svg.quadrants circle").count() == 4
    shot(page, "scorecards")
    page.locator('svg.quadrants a').first.click()  # drill down to the reports behind it
    page.wait_for_selector("tr[data-report]")
    assert Scorecard.objects.filter(lines__isnull=False).exists()
    page.click('header nav a:has-text("统计分析")')
    page.wait_for_selector("svg.trend")
    assert page.locator("svg.trend rect.bar").count() == 30  # the last 30 days
    shot(page, "statistics")


def test_a_dispatcher_compares_a_possible_duplicate_side_by_side_and_merges_it(
        desk, live_server, open_reports):
    original, duplicate = open_reports(2, photos=1)
    page = desk("dispatcher-community")
    page.goto(f"{live_server.url}/console/reports/{duplicate.pk}/")
    page.click(f'[data-duplicate="{original.pk}"] a')
    page.wait_for_selector(f'[data-compare="{original.pk}"]')
    assert page.locator(".side-by-side img").count() == 2
    shot(page, "merge-side-by-side")
    page.get_by_role("button", name="合并").click()
    page.wait_for_selector(".messages .success")
    assert Report.objects.get(pk=duplicate.pk).status == "duplicate"
