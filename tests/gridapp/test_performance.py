"""Leader performance (gridapp/selectors/performance.py): every figure of a term equals a
count made here by hand from the reports the test files, for the demo world in 2026."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from freezegun import freeze_time

from gridapp.models import Grid, GridMembership, LeaderTerm, Region, Report, ReportEvent
from gridapp.selectors.performance import METRICS, leader_performance

from .photos_support import make_reports

BEIJING = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2026, 12, 15)


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-12-15 12:00:00+08:00"):
        yield


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BEIJING)


def filed(reporter, day: str, *, grid: str = "HHL-05", status=Report.Status.SUBMITTED,
          **fields) -> Report:
    report = make_reports(1, reporter=reporter, grid_code=grid, photos=0)[0]
    Report.objects.filter(pk=report.pk).update(created_at=at(day), status=status, **fields)
    return report


def event(report: Report, action: str, actor, when: dt.datetime) -> None:
    ReportEvent.objects.create(report=report, action=action, actor=actor, to_status="x",
                               level="community", at=when)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def of(performances, username: str):
    term_ids = set(LeaderTerm.objects.filter(user__username=username).values_list("pk", flat=True))
    found = [p for p in performances if p.term_id in term_ids]
    assert len(found) == 1
    return found[0]


def test_every_figure_of_a_term_is_counted_from_its_reports(world, user):
    leader, resident1, resident2 = user("leader5"), user("resident1"), user("resident2")
    on_time = filed(resident1, "2026-03-02", status=Report.Status.CLOSED, rating=5,
                    due_at=at("2026-03-04"), resolved_at=at("2026-03-03"))
    late = filed(leader, "2026-05-10", status=Report.Status.RESOLVED, rating=3,
                 due_at=at("2026-05-11"), resolved_at=at("2026-05-20"))
    filed(resident2, "2026-07-01")  # still open
    filed(resident1, "2026-07-02", status=Report.Status.REJECTED)  # not counted
    filed(user("newcomer"), "2026-07-03")  # not a member of the grid: not counted
    filed(resident1, "2025-12-31", status=Report.Status.CLOSED)  # last year
    filed(user("leader1"), "2026-07-04", grid="HHL-01")  # another grid
    event(on_time, ReportEvent.Action.VERIFY, leader, at("2026-03-05"))  # within 7 days
    event(late, ReportEvent.Action.VERIFY, leader, at("2026-06-30"))  # too late to count
    event(late, ReportEvent.Action.REOPEN, resident1, at("2026-05-21"))
    Report.objects.filter(pk=late.pk).update(reopened=True)  # as transitions.commit does
    GridMembership.objects.filter(user=resident1).update(decided_at=at("2025-06-01"))
    GridMembership.objects.filter(user=resident2).update(decided_at=at("2026-03-01"))

    term = of(leader_performance(year=2026, region=region("450502001001")), "leader5")

    assert (term.start, term.end, term.days_served) == (dt.date(2026, 1, 1), TODAY, 349)
    assert term.metrics == {
        "reports_filed": 3,  # on_time, late, the open one
        "resolved_rate": Decimal("0.6667"),  # 2 of 3
        "on_time_rate": Decimal("0.5000"),  # 1 of the 2 done
        "verified_in_window_rate": Decimal("0.5000"),  # 1 of the 2 resolved this year
        "rating_mean": Decimal("4.00"),  # (5 + 3) / 2
        "reopen_rate": Decimal("0.3333"),  # 1 of 3
        "members_recruited": 1,  # resident2 joined this year, resident1 before
    }


def test_a_term_without_reports_has_every_metric_and_no_rate(world):
    term = of(leader_performance(year=2026, region=region("450502001001")), "leader1")
    assert set(term.metrics) == set(METRICS)
    assert term.metrics["reports_filed"] == 0
    assert term.metrics["resolved_rate"] is None and term.metrics["rating_mean"] is None


def test_a_handover_splits_the_grid_between_the_two_terms_by_day(world, user):
    filed(user("leader9old"), "2026-11-10", grid="HHL-09")
    filed(user("leader9"), "2026-11-20", grid="HHL-09")
    filed(user("leader9"), "2026-11-21", grid="HHL-09")
    found = leader_performance(year=2026, region=region("450502001001"))
    old, new = of(found, "leader9old"), of(found, "leader9")
    assert (old.start, old.end, old.days_served) == (dt.date(2026, 1, 1), dt.date(2026, 11, 15), 319)
    assert (new.start, new.end, new.days_served) == (dt.date(2026, 11, 16), TODAY, 30)
    assert (old.metrics["reports_filed"], new.metrics["reports_filed"]) == (1, 2)


def test_a_handover_divides_reports_by_the_day_in_beijing_not_in_utc(world, user):
    # The old term's last day is 15 November, the new one's first the 16th (Beijing). The
    # new leader's report at 07:00 on the 16th is still the 15th in UTC; the old leader's
    # at 23:30 on the 15th would be the 16th with the offset counted twice. Each counts
    # for the term whose day it was in Beijing.
    early = filed(user("leader9"), "2026-11-16", grid="HHL-09")
    late = filed(user("leader9old"), "2026-11-15", grid="HHL-09")
    Report.objects.filter(pk=early.pk).update(created_at=at("2026-11-16", hour=7))
    Report.objects.filter(pk=late.pk).update(
        created_at=at("2026-11-15", hour=23) + dt.timedelta(minutes=30))
    found = leader_performance(year=2026, region=region("450502001001"))
    old, new = of(found, "leader9old"), of(found, "leader9")
    assert (old.metrics["reports_filed"], new.metrics["reports_filed"]) == (1, 1)


def test_a_zone_that_changes_its_offset_in_the_year_divides_by_its_own_days(world, user):
    # New York keeps no single offset over 2026, so the day is the zone's own, not a
    # shifted UTC day. Both leaders file at 03:00 UTC on 16 November: still the 15th in
    # New York, the old term's last day; 11:00 on the 16th in Beijing, the new term's first.
    for name in ("leader9old", "leader9"):
        report = filed(user(name), "2026-11-16", grid="HHL-09")
        Report.objects.filter(pk=report.pk).update(
            created_at=dt.datetime(2026, 11, 16, 3, tzinfo=dt.UTC))
    by_zone = {}
    for zone in ("America/New_York", "Asia/Shanghai"):
        with timezone.override(ZoneInfo(zone)):
            found = leader_performance(year=2026, region=region("450502001001"))
        by_zone[zone] = [of(found, name).metrics["reports_filed"]
                         for name in ("leader9old", "leader9")]
    assert by_zone == {"America/New_York": [1, 0], "Asia/Shanghai": [0, 1]}


def test_only_terms_under_the_region_and_in_the_year_are_listed(world):
    hpl = leader_performance(year=2026, region=region("450502001002"))
    assert sorted(LeaderTerm.objects.get(pk=p.term_id).user.username for p in hpl) == [
        "leader10", "leader11"]
    assert len(leader_performance(year=2026, region=region("450500000000"))) == 12
    assert leader_performance(year=2025, region=region("450500000000")) == []  # none yet
    assert leader_performance(year=2027, region=region("450500000000")) == []  # not begun


def test_a_past_year_runs_to_its_last_day(world):
    with freeze_time("2027-03-01 12:00:00+08:00"):
        term = of(leader_performance(year=2026, region=region("450502001001")), "leader1")
    assert (term.end, term.days_served) == (dt.date(2026, 12, 31), 365)


def test_the_first_moment_of_the_next_year_is_the_next_years(world, user):
    # Reports filed and resolved and a member recruited at 00:00:00 on the 1st of January
    # belong to the year that starts then, not also to the one that ends.
    leader, resident2 = user("leader5"), user("resident2")
    midnight = at("2027-01-01", hour=0)
    report = filed(leader, "2027-01-01", status=Report.Status.RESOLVED)
    Report.objects.filter(pk=report.pk).update(created_at=midnight, resolved_at=midnight)
    GridMembership.objects.filter(user=resident2).update(decided_at=midnight)
    with freeze_time("2027-03-01 12:00:00+08:00"):
        ended, begun = (of(leader_performance(year=year, region=region("450502001001")),
                           "leader5").metrics for year in (2026, 2027))
    assert (ended["reports_filed"], ended["verified_in_window_rate"],
            ended["members_recruited"]) == (0, None, 0)
    assert (begun["reports_filed"], begun["verified_in_window_rate"],
            begun["members_recruited"]) == (1, Decimal("0.0000"), 1)


@pytest.mark.parametrize("reports", [1, 40])
def test_one_query_whatever_the_number_of_terms_and_reports(world, user, reports,
                                                            django_assert_num_queries):
    for k in range(reports):
        filed(user("resident1"), f"2026-0{1 + k % 9}-1{k % 9}", status=Report.Status.CLOSED,
              rating=1 + k % 5, resolved_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    city = region("450500000000")
    with django_assert_num_queries(1):  # the terms with their filed, resolved, recruited
        found = leader_performance(year=2026, region=city)
    assert of(found, "leader5").metrics["reports_filed"] == reports


def test_one_grids_terms_are_counted_as_the_citys_are(world, user):
    """The API asks for one grid, the year-end for a city: the same terms, the same
    figures."""
    filed(user("resident1"), "2026-03-02", status=Report.Status.CLOSED, rating=4,
          resolved_at=at("2026-03-03"))
    filed(user("leader9"), "2026-11-20", grid="HHL-09", status=Report.Status.RESOLVED,
          resolved_at=at("2026-11-21"))
    city = leader_performance(year=2026, region=region("450500000000"))
    for code in ("HHL-05", "HHL-09"):
        grid = Grid.objects.get(code=code)
        alone = leader_performance(year=2026, region=grid.community, grid=grid)
        assert alone == [term for term in city if term.grid_id == grid.pk]
        assert alone and alone[-1].metrics["reports_filed"] == 1


# --- GET /api/v1/grids/{id}/performance/ --------------------------------------------------

def performance_of(client, code: str, **query):
    grid = Grid.objects.get(code=code)
    return client.get(f"/api/v1/grids/{grid.pk}/performance/", query)


def test_the_leader_reads_the_grids_terms_with_their_figures(api, user):
    filed(user("resident1"), "2026-03-02", status=Report.Status.CLOSED, rating=4,
          resolved_at=at("2026-03-03"))
    body = performance_of(api("leader5"), "HHL-05", year=2026).json()
    assert body["year"] == 2026 and body["grid"] == Grid.objects.get(code="HHL-05").pk
    term, = body["terms"]
    assert (term["leader_name"], term["from"], term["to"], term["days_served"]) == (
        str(user("leader5")), "2026-01-01", "2026-12-15", 349)
    assert term["metrics"]["reports_filed"] == 1
    assert term["metrics"]["resolved_rate"] == "1.0000"
    assert term["metrics"]["rating_mean"] == "4.00"


def test_a_handover_shows_both_terms(api):
    body = performance_of(api("dispatcher-street"), "HHL-09").json()
    assert [t["days_served"] for t in body["terms"]] == [319, 30]


@pytest.mark.parametrize(("username", "status"), [
    ("dispatcher-community", 200), ("finance1", 200), ("admin", 200),
    ("leader1", 403), ("resident1", 403),  # leader of another grid, a member of this one
    ("handler-lighting", 403),
    ("leader10", 404), ("newcomer", 404),  # the grid is not theirs to see at all
])
def test_only_the_leader_and_the_staff_over_the_grid_read_it(api, username, status):
    assert performance_of(api(username), "HHL-05").status_code == status


@pytest.mark.parametrize("year", ["2027", "1999", "²", "abc", str(10**30)])
def test_a_year_that_cannot_be_read_is_400_naming_it(api, year):
    response = performance_of(api("leader5"), "HHL-05", year=year)
    assert response.status_code == 400
    assert "year" in response.json()["fields"]


# The JWT user with the roles token (1); the grid with its community (1); the leader's
# roles, loaded for the first time in the test (staff roles, grids: 2); the terms with
# their figures (1); the leaders' names (1). However many reports and terms.
PERFORMANCE_QUERIES = 6


@pytest.mark.parametrize("reports", [0, 30])
def test_the_performance_costs_the_same_queries_for_any_number_of_reports(
        api, user, reports, django_assert_num_queries):
    for k in range(reports):
        filed(user("leader9"), "2026-11-20", grid="HHL-09", status=Report.Status.CLOSED)
    client = api("leader9")
    grid = Grid.objects.get(code="HHL-09")
    with django_assert_num_queries(PERFORMANCE_QUERIES):
        body = client.get(f"/api/v1/grids/{grid.pk}/performance/").json()
    assert [t["metrics"]["reports_filed"] for t in body["terms"]] == [0, reports]
