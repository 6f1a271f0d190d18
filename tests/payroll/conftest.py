"""Payroll's named world on top of DEMO.md: finance1 and finance2 (北海市) and a third
city finance officer, finance3, for the maker-checker matrix; a finance officer of
和平路社区 only (finance-hpl), who must not see 黄海路社区's runs."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db.models import Q

from accounts.models import User
from gridapp.demo import demo_user
from gridapp import geo
from gridapp.models import Grid, LeaderTerm, Region, StaffRole
from payroll import services
from payroll.models import Run

CITY, HHL, HPL = "450500000000", "450502001001", "450502001002"
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


@pytest.fixture
def region(world) -> Callable[[str], Region]:
    return lambda code: Region.objects.get(code=code)


@pytest.fixture
def finance3(world) -> User:
    user = demo_user("finance3")
    StaffRole.objects.create(user=user, role=StaffRole.Role.FINANCE,
                             region=Region.objects.get(code=CITY))
    return user


@pytest.fixture
def finance_hpl(world) -> User:
    user = demo_user("finance-hpl")
    StaffRole.objects.create(user=user, role=StaffRole.Role.FINANCE,
                             region=Region.objects.get(code=HPL))
    return user


@pytest.fixture
def make_run(user, region) -> Callable[..., Run]:
    """make_run(period=NOV, code=HHL, by="finance1"): a draft through the service."""

    def make(period: dt.date = NOV, code: str = HHL, by: str = "finance1") -> Run:
        return services.create_run(period=period, region=region(code), actor=user(by))

    return make


@pytest.fixture
def approved_run(make_run, user) -> Run:
    """November for 黄海路社区: prepared and submitted by finance1, approved by finance2."""
    run = make_run()
    services.submit_run(run, actor=user("finance1"))
    return services.approve_run(run, actor=user("finance2"))


TEST_COMMUNITY = "450502001099"


@pytest.fixture
def community(world) -> Region:
    """A fresh community under 东街街道 with no grids: each test adds its own."""
    street = Region.objects.get(code="450502001000")
    return Region.objects.create(code=TEST_COMMUNITY, name="测试社区", level="community",
                                 parent=street)


@pytest.fixture
def add_term(community) -> Callable[..., LeaderTerm]:
    """add_term(start, end=None, leader=None): a new grid in `community` led by `leader`
    (a new user unless given) from `start` to `end` inclusive."""
    counter = iter(range(1, 1000))

    def add(start: dt.date, end: dt.date | None = None, leader: User | None = None) -> LeaderTerm:
        k = next(counter)
        lat, lng = 22.0 + k * 0.002, 109.0
        grid = Grid.objects.create(code=f"T-{k:03d}", name=f"测试网格{k}", community=community,
                                   boundary=geo.rectangle(lat, lng, lat + 0.002, lng + 0.002))
        leader = leader or demo_user(f"test-leader-{k}")
        return LeaderTerm.objects.create(grid=grid, user=leader, start_date=start, end_date=end)

    return add


@pytest.fixture
def in_english(client):
    """For tests that read a message's words: run them, and the test client, in English
    (the default language is zh-hans)."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def set_bank_account(user) -> Callable[..., None]:
    """set_bank_account("leader1", "陈海燕", "6231…"): as finance does it, finance1 asking
    and finance2 approving."""

    def set_account(username: str, name: str, number: str, bank: str = "北部湾银行北海分行"):
        change = services.request_bank_account_change(
            leader=user(username), account_name=name, bank_name=bank, account_number=number,
            reason="测试", actor=user("finance1"))
        services.approve_bank_account_change(change, actor=user("finance2"))

    return set_account


# --- year-end ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StandInPerformance:
    """The shape of gridapp's `TermPerformance` (docs/payroll.md "Year-end")."""

    term_id: int
    leader_id: int
    grid_id: int
    start: dt.date
    end: dt.date
    days_served: int
    metrics: dict


NO_METRICS = {"reports_filed": 0, "resolved_rate": None, "on_time_rate": None,
              "verified_in_window_rate": None, "rating_mean": None, "reopen_rate": None,
              "members_recruited": 0}


@pytest.fixture
def performance(monkeypatch) -> dict[str, dict]:
    """Metrics by leader username, served to the year-end services in place of the
    leader-performance selector, for tests about the lifecycle rather than the metrics:
    every leader term overlapping the year under the region, with its days, and the
    metrics set here (none by default)."""
    from payroll.yearend import services as year_end

    metrics: dict[str, dict] = {}

    def performances(*, year: int, region: Region, as_of: dt.date) -> list[StandInPerformance]:
        first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of)
        terms = LeaderTerm.objects.filter(
            grid__community__code__startswith=region.prefix, start_date__lte=last).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=first)).select_related("user")
        rows = []
        for term in terms.order_by("id"):
            start, end = max(term.start_date, first), min(term.end_date or last, last)
            rows.append(StandInPerformance(
                term.pk, term.user_id, term.grid_id, start, end, (end - start).days + 1,
                {**NO_METRICS, **metrics.get(term.user.username, {})}))
        return rows

    monkeypatch.setattr(year_end, "leader_performances", performances)
    return metrics
