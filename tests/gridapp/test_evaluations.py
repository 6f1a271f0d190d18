"""Department scorecards (四象限, issue 13) on a hand-built November in 东街街道 whose
quadrants are known, through the API with the demo users. Every figure is written here as
counted by hand from the events the test makes, and checked again against the reports
behind the scorecard (`/evaluations/{id}/reports/`) with the standard library.

The departments of the street and what they did with their November reports:

| department | reports | hours dispatch → start | outcome | quadrant |
|---|---|---|---|---|
| enforcement (东街街道综合执法中队) | 5 | 1, 2, 3, 4, 10 | all closed on time, rated 5 4 5 4 5 | A |
| greening | 5 | 30, 40, 50, 60, 70 | all closed, 2 late | B |
| water | 5 | 0.5, 1, 1.5, 2, 2.5 | 2 closed, 2 resolved, 1 in progress | C |
| lighting (北海市照明管理处) | 5 | 30, 26, –, –, 25 | see below | D |
| gas | 2 | 1, 1 | both closed (one lighting returned) | too few |
| idle | 0 | | | too few |

Lighting's five: one closed, one reopened and then closed late, one it returned (gas
finished it), one never started, one in progress.
"""

import datetime as dt
import statistics
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from gridapp import tasks
from gridapp.models import (Department, Publication, Region, Report, ReportEvent, Scorecard,
                            ScorecardLine)

from .workflow_support import enforcement, lighting, ok

BEIJING = dt.timezone(dt.timedelta(hours=8))
STREET, HHL, HPL, DISTRICT = "450502001000", "450502001001", "450502001002", "450502000000"


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-12-05 10:00:00+08:00"):
        yield


def at(day: int, hour: float = 9, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, tzinfo=BEIJING) + dt.timedelta(hours=hour)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def event(report: Report, action: str, department: Department, when: dt.datetime) -> None:
    ReportEvent.objects.create(report=report, action=action, to_status="x", level="community",
                               department=department, at=when)


class November:
    """The reports of the table above, built through the ORM with their events."""

    def __init__(self, user) -> None:
        from .workflow_support import report_in
        self.report_in, self.reporter = report_in, user("resident1")
        street = region(STREET)
        self.greening = Department.objects.create(code="dj-greening", name="东街绿化队",
                                                  region=street)
        self.water = Department.objects.create(code="dj-water", name="东街供水站", region=street)
        self.gas = Department.objects.create(code="dj-gas", name="东街燃气站", region=street)
        self.idle = Department.objects.create(code="dj-idle", name="东街闲置科", region=street)
        self.ids: dict[str, list[int]] = {}
        self._enforcement()
        self._greening()
        self._water()
        self._lighting_and_gas()
        self._outside_the_period()

    def report(self, name: str, status: str, department: Department, day: int,
               start_after: float | None, *, resolved_after: float | None = None,
               due_after: float = 100, rating: int | None = None) -> Report:
        dispatched = at(day)
        report = self.report_in(
            status, reporter=self.reporter, department=department,
            resolved_at=dispatched + dt.timedelta(hours=resolved_after)
            if resolved_after is not None else None,
            due_at=dispatched + dt.timedelta(hours=due_after), rating=rating)
        event(report, "dispatch", department, dispatched)
        if start_after is not None:
            event(report, "start", department, dispatched + dt.timedelta(hours=start_after))
        self.ids.setdefault(name, []).append(report.pk)
        return report

    def _enforcement(self) -> None:
        for k, (hours, rating) in enumerate(zip([1, 2, 3, 4, 10], [5, 4, 5, 4, 5])):
            self.report("enforcement", "closed", enforcement(), 2 + k, hours,
                        resolved_after=hours + 5, rating=rating)

    def _greening(self) -> None:
        for k, hours in enumerate([30, 40, 50, 60, 70]):
            late = k >= 3  # resolved after its due time
            self.report("greening", "closed", self.greening, 2 + k, hours,
                        resolved_after=hours + 5, due_after=hours + (1 if late else 50))

    def _water(self) -> None:
        outcomes = ["closed", "closed", "resolved", "resolved", "in_progress"]
        for k, (hours, status) in enumerate(zip([0.5, 1, 1.5, 2, 2.5], outcomes)):
            self.report("water", status, self.water, 2 + k, hours,
                        resolved_after=None if status == "in_progress" else hours + 3)

    def _lighting_and_gas(self) -> None:
        self.report("lighting", "closed", lighting(), 3, 30, resolved_after=40)
        reopened = self.report("lighting", "closed", lighting(), 4, 26, resolved_after=80,
                               due_after=60)
        event(reopened, "resolve", lighting(), at(4, 40))
        event(reopened, "reopen", lighting(), at(4, 50))
        event(reopened, "resolve", lighting(), at(4, 80))
        returned = self.report_in("closed", reporter=self.reporter, department=self.gas,
                                  resolved_at=at(21, 12), due_at=at(25))
        event(returned, "dispatch", lighting(), at(20))
        event(returned, "return", lighting(), at(20, 14))
        event(returned, "dispatch", self.gas, at(21))
        event(returned, "start", self.gas, at(21, 10))
        self.ids["lighting"].append(returned.pk)
        self.ids["gas"] = [returned.pk]
        self.report("lighting", "dispatched", lighting(), 6, None)
        self.report("lighting", "in_progress", lighting(), 7, 25)
        self.report("gas", "closed", self.gas, 8, 1, resolved_after=2)

    def _outside_the_period(self) -> None:
        """Dispatched half an hour before November and at midnight after it: not counted."""
        for when in (at(31, 23.5, month=10), at(30, 24)):
            report = self.report_in("closed", reporter=self.reporter, department=enforcement(),
                                    resolved_at=when + dt.timedelta(hours=3))
            event(report, "dispatch", enforcement(), when)
            event(report, "start", enforcement(), when + dt.timedelta(hours=1))


def publish(api, username: str = "dispatcher-street", *, code: str = STREET,
            period: str = "2026-11") -> dict:
    return ok(api(username).post("/api/v1/evaluations/publish/",
                                 {"period": period, "region": region(code).pk},
                                 format="json"), 201)


def by_department(rows: list[dict]) -> dict[str, dict]:
    codes = dict(Department.objects.values_list("pk", "code"))
    return {codes[row["department"]]: row for row in rows}


FIGURES = ["reports", "response_hours_median", "response_hours_p90", "effect_rate",
           "on_time_rate", "rating_mean", "returns", "reopens", "quadrant", "too_few_reports"]
EXPECTED = {  # counted by hand from the table in the docstring
    "dj-enforcement": [5, "3.00", "7.60", "1.0000", "1.0000", "4.60", 0, 0, "A", False],
    "dj-greening": [5, "50.00", "66.00", "1.0000", "0.6000", None, 0, 0, "B", False],
    "dj-water": [5, "1.50", "2.30", "0.4000", "1.0000", None, 0, 0, "C", False],
    # started: 30, 26, 25; effective: 1 of 5; resolved and still its: 2, 1 late
    "bh-lighting": [5, "26.00", "29.20", "0.2000", "0.5000", None, 1, 1, "D", False],
    "dj-gas": [2, "1.00", "1.00", "1.0000", "1.0000", None, 0, 0, None, True],
    "dj-idle": [0, None, None, None, None, None, 0, 0, None, True],
}


def test_every_department_gets_the_figures_and_quadrant_counted_by_hand(api, user):
    November(user)

    published = publish(api)

    assert (published["period"], published["version"]) == ("2026-11", 1)
    rows = by_department(published["results"])
    assert {code: [rows[code][f] for f in FIGURES] for code in rows} == EXPECTED
    assert all(row["region"] == region(STREET).pk and row["period"] == "2026-11"
               for row in rows.values())


def test_a_report_sent_to_a_department_twice_is_measured_from_the_first_time(user):
    """Dispatched to enforcement on the 10th, returned, sent back to it on the 11th and
    started then; a start of October and events of another department do not count."""
    from gridapp.selectors.evaluations import facts_by_department, parse_period

    from .workflow_support import report_in

    report = report_in("in_progress", reporter=user("resident1"), department=enforcement())
    event(report, "dispatch", enforcement(), at(20, month=10))
    event(report, "start", enforcement(), at(21, month=10))
    event(report, "dispatch", enforcement(), at(10))
    event(report, "return", enforcement(), at(10, 10))
    event(report, "dispatch", lighting(), at(10, 11))
    event(report, "start", lighting(), at(10, 12))
    event(report, "dispatch", enforcement(), at(11))
    event(report, "start", enforcement(), at(11, 10))

    facts = facts_by_department(region(STREET), parse_period("2026-11"))

    [mine] = facts[enforcement().pk]
    assert (mine.report_id, mine.dispatched_at, mine.started_at) == (report.pk, at(10), at(11, 10))
    assert (mine.response_hours, mine.returns, mine.reopens) == (Decimal("25.00"), 1, 0)
    [theirs] = facts[lighting().pk]
    assert (theirs.dispatched_at, theirs.started_at, theirs.returns) == (at(10, 11), at(10, 12), 0)


def test_a_start_in_the_first_hours_of_the_period_in_beijing_counts(user):
    """Dispatched at 00:30 and started at 01:30 on 1 November in Beijing: still 31 October
    in UTC, as the database keeps them, and the first hour of November all the same."""
    from gridapp.selectors.evaluations import facts_by_department, parse_period

    from .workflow_support import report_in

    report = report_in("in_progress", reporter=user("resident1"), department=enforcement())
    event(report, "dispatch", enforcement(), at(1, 0.5))
    event(report, "start", enforcement(), at(1, 1.5))

    [fact] = facts_by_department(region(STREET), parse_period("2026-11"))[enforcement().pk]

    assert (fact.dispatched_at, fact.started_at, fact.response_hours) == (
        at(1, 0.5), at(1, 1.5), Decimal("1.00"))


def test_the_list_shows_what_was_published(api, user):
    November(user)
    published = publish(api)

    listed = ok(api("dispatcher-street").get(
        "/api/v1/evaluations/", {"period": "2026-11", "region": region(STREET).pk}))

    assert listed["results"] == published["results"]
    assert listed["next"] is None


def test_the_reports_behind_a_scorecard_reproduce_each_of_its_figures(api, user):
    world = November(user)
    rows = by_department(publish(api)["results"])
    client = api("dispatcher-street")

    for code, name in [("dj-enforcement", "enforcement"), ("dj-greening", "greening"),
                       ("dj-water", "water"), ("bh-lighting", "lighting"), ("dj-gas", "gas")]:
        card = rows[code]
        lines = ok(client.get(f"/api/v1/evaluations/{card['id']}/reports/"))["results"]
        assert sorted(line["report"] for line in lines) == sorted(world.ids[name])
        hours = sorted(Decimal(line["response_hours"]) for line in lines
                       if line["response_hours"] is not None)
        timed = [line["on_time"] for line in lines if line["on_time"] is not None]
        assert card["reports"] == len(lines)
        assert Decimal(card["response_hours_median"]) == statistics.median(hours)
        p90 = statistics.quantiles(hours, n=10, method="inclusive")[8] if len(hours) > 1 \
            else hours[0]
        assert Decimal(card["response_hours_p90"]) == p90.quantize(Decimal("0.01"))
        assert Decimal(card["effect_rate"]) == (
            Decimal(sum(line["effective"] for line in lines)) / len(lines)).quantize(
            Decimal("0.0001"))
        assert Decimal(card["on_time_rate"]) == (Decimal(sum(timed)) / len(timed)).quantize(
            Decimal("0.0001"))
        assert card["returns"] == sum(line["returns"] for line in lines)
        assert card["reopens"] == sum(line["reopens"] for line in lines)


def test_the_reports_of_a_department_without_any_are_an_empty_list(api, user):
    November(user)
    idle = by_department(publish(api)["results"])["dj-idle"]
    assert ok(api("dispatcher-street").get(
        f"/api/v1/evaluations/{idle['id']}/reports/"))["results"] == []


def test_a_community_is_scored_on_its_own_reports_only(api, user):
    November(user)  # every report is in 黄海路社区
    rows = by_department(publish(api, code=HPL)["results"])
    assert rows == {}  # 和平路社区 has no department of its own and no reports


# --- versions and immutability -----------------------------------------------------------


def test_publishing_again_is_version_two_and_leaves_version_one_as_it_was(api, user):
    world = November(user)
    first = by_department(publish(api)["results"])
    water_ids = world.ids["water"]
    Report.objects.filter(pk__in=water_ids).update(status="closed")  # the water works closed them

    second = by_department(publish(api)["results"])

    assert second["dj-water"]["version"] == 2
    assert (second["dj-water"]["effect_rate"], second["dj-water"]["quadrant"]) == ("1.0000", "A")
    assert (first["dj-water"]["effect_rate"], first["dj-water"]["version"]) == ("0.4000", 1)
    query = {"period": "2026-11", "region": region(STREET).pk}
    client = api("dispatcher-street")
    latest = by_department(ok(client.get("/api/v1/evaluations/", query))["results"])
    assert latest["dj-water"]["id"] == second["dj-water"]["id"]
    old = by_department(ok(client.get("/api/v1/evaluations/", {**query, "version": 1}))["results"])
    assert old == first


@pytest.mark.parametrize("change", [
    lambda: Scorecard.objects.update(reports=99),
    lambda: Scorecard.objects.all().delete(),
    lambda: ScorecardLine.objects.update(effective=True),
    lambda: ScorecardLine.objects.all().delete(),
    lambda: Publication.objects.update(version=7),
])
def test_the_database_refuses_to_change_a_published_scorecard(api, user, change):
    November(user)
    publish(api)
    with pytest.raises(IntegrityError), transaction.atomic():
        change()


def test_a_quarter_and_a_year_count_what_their_months_hold(api, user):
    November(user)
    quarter = by_department(publish(api, period="2026-Q4")["results"])
    year = by_department(publish(api, period="2026")["results"])
    # the two reports just outside November are in the fourth quarter and the year
    assert quarter["dj-enforcement"]["reports"] == year["dj-enforcement"]["reports"] == 7
    assert quarter["bh-lighting"]["reports"] == 5
    assert by_department(publish(api, period="2026-Q3")["results"])["dj-enforcement"][
        "reports"] == 0


# --- who sees what -----------------------------------------------------------------------


def test_a_department_sees_only_its_own_row(api, user):
    November(user)
    publish(api)
    rows = ok(api("handler-lighting").get(
        "/api/v1/evaluations/", {"period": "2026-11", "region": region(STREET).pk}))["results"]
    assert [row["department"] for row in rows] == [lighting().pk]


def test_a_department_cannot_trace_another_departments_scorecard(api, user):
    November(user)
    rows = by_department(publish(api)["results"])
    assert api("handler-enforcement").get(
        f"/api/v1/evaluations/{rows['bh-lighting']['id']}/reports/").status_code == 404
    assert api("handler-lighting").get(
        f"/api/v1/evaluations/{rows['bh-lighting']['id']}/reports/").status_code == 200


def test_a_community_centre_sees_neither_its_street_nor_its_neighbour(api, user):
    November(user)
    rows = by_department(publish(api)["results"])
    publish(api, code=HPL)
    client = api("dispatcher-community")
    for code in (STREET, HPL):
        answer = client.get("/api/v1/evaluations/", {"period": "2026-11",
                                                     "region": region(code).pk})
        assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
    assert client.get(f"/api/v1/evaluations/{rows['dj-water']['id']}/reports/").status_code \
        == 404


def test_a_street_centre_sees_its_street_and_what_lies_under_it_but_not_above(api, user):
    client = api("dispatcher-street")
    for code, allowed in [(STREET, 200), (HHL, 200), (DISTRICT, 403)]:
        answer = client.get("/api/v1/evaluations/", {"period": "2026-11",
                                                     "region": region(code).pk})
        assert answer.status_code == allowed


def test_the_district_sees_what_the_street_published(api, user):
    November(user)
    publish(api)
    rows = ok(api("dispatcher-district").get(
        "/api/v1/evaluations/", {"period": "2026-11", "region": region(STREET).pk}))["results"]
    assert len(rows) == 6


@pytest.mark.parametrize("username,code", [
    ("dispatcher-community", STREET), ("dispatcher-street", DISTRICT),
    ("handler-lighting", STREET), ("resident1", HHL), ("finance1", STREET)])
def test_only_the_command_centres_over_a_region_publish_its_scorecards(api, username, code):
    answer = api(username).post("/api/v1/evaluations/publish/",
                                {"period": "2026-11", "region": region(code).pk}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
    assert not Publication.objects.exists()


def test_residents_and_outsiders_read_no_scorecards(api):
    for username in ("resident1", "newcomer", "leader5"):
        answer = api(username).get("/api/v1/evaluations/", {"period": "2026-11",
                                                            "region": region(STREET).pk})
        assert answer.status_code == 403


def test_nothing_published_yet_is_an_empty_list(api):
    assert ok(api("dispatcher-street").get(
        "/api/v1/evaluations/", {"period": "2026-10", "region": region(STREET).pk}))[
        "results"] == []


# --- malformed input ---------------------------------------------------------------------


@pytest.mark.parametrize("query,field", [
    ({"period": "2026-13"}, "period"), ({"period": "2026-Q5"}, "period"),
    ({"period": "26-11"}, "period"), ({"period": "2026-11-01"}, "period"),
    ({"period": ""}, "period"), ({"period": "２０２６"}, "period"),
    ({"period": "2026-q4"}, "period"), ({"period": "2026-1"}, "period"),
    ({"region": "abc"}, "region"), ({"region": "999999"}, "region"),
    ({"region": "1e3"}, "region"), ({"region": "99999999999999999999"}, "region"),
    ({"region": "-1"}, "region"), ({"region": "²"}, "region"), ({"version": "0"}, "version"),
    ({"version": "99999999999999999999"}, "version"),
    ({"version": "x"}, "version")])
def test_a_malformed_query_is_400_naming_the_parameter(api, query, field):
    params = {"period": "2026-11", "region": region(STREET).pk, **query}
    answer = api("dispatcher-street").get("/api/v1/evaluations/", params)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and field in answer.json()["fields"]


@pytest.mark.parametrize("body", [
    {"period": 202611, "region": 1}, {"period": ["2026-11"], "region": 1},
    {"period": "2026-11", "region": True}, {"period": "2026-11", "region": 2 ** 70},
    {"period": "2026-11", "region": "x"}, {"period": None, "region": None}])
def test_a_malformed_publish_body_is_400(api, body):
    answer = api("dispatcher-street").post("/api/v1/evaluations/publish/", body,
                                           format="json")
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid")


def test_a_missing_period_or_region_is_400(api):
    for body in ({"period": "2026-11"}, {"region": region(STREET).pk}, {}):
        answer = api("dispatcher-street").post("/api/v1/evaluations/publish/", body,
                                               format="json")
        assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    assert api("dispatcher-street").get("/api/v1/evaluations/").status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/evaluations/abc/reports/",
                                  "/api/v1/evaluations/99999999/reports/"])
def test_an_unknown_scorecard_is_404_in_json(api, path):
    answer = api("dispatcher-street").get(path)
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_a_retried_publish_with_the_same_key_publishes_once(api, user):
    client = api("dispatcher-street")
    body = {"period": "2026-11", "region": region(STREET).pk}
    first = client.post("/api/v1/evaluations/publish/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="publish-nov")
    again = client.post("/api/v1/evaluations/publish/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="publish-nov")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Publication.objects.count() == 1


# --- the monthly task --------------------------------------------------------------------


def test_the_monthly_task_publishes_last_month_for_every_command_centre_once(world):
    with freeze_time("2026-12-01 02:00:00+08:00"):
        assert tasks.publish_monthly_scorecards() == 4  # community, street, district, city
        assert tasks.publish_monthly_scorecards() == 0  # run twice: nothing new
    assert set(Publication.objects.values_list("period", "version", "published_by")) == {
        ("2026-11", 1, None)}
    assert sorted(Publication.objects.values_list("region__code", flat=True)) == sorted(
        ["450502001001", "450502001000", "450502000000", "450500000000"])


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 8])
def test_the_list_costs_the_same_queries_for_any_number_of_departments(
        api, user, django_assert_num_queries, extra):
    for k in range(extra):
        Department.objects.create(code=f"dj-extra-{k}", name=f"科 {k}", region=region(STREET))
    publish(api)
    client = api("dispatcher-street")
    query = {"period": "2026-11", "region": region(STREET).pk}
    client.get("/api/v1/evaluations/", query)  # warm the roles
    # the user with the roles token, region, publication, count, the page
    with django_assert_num_queries(5):
        client.get("/api/v1/evaluations/", query)


@pytest.mark.parametrize("department,queries", [("dj-idle", 3), ("dj-enforcement", 4)])
def test_the_reports_behind_a_scorecard_cost_a_fixed_number_of_queries(
        api, user, django_assert_num_queries, department, queries):
    November(user)
    card = by_department(publish(api)["results"])[department]
    client = api("dispatcher-street")
    path = f"/api/v1/evaluations/{card['id']}/reports/"
    client.get(path)  # warm the roles
    # the user with the roles token, the scorecard, count, and (when the count is not 0) the page
    # with its reports joined: never one query per report
    with django_assert_num_queries(queries):
        client.get(path)



def test_the_lines_stored_are_the_facts_to_the_microsecond(user):
    """The lines go in without the ORM (COPY on PostgreSQL, `executemany` elsewhere: a
    city's year holds hundreds of thousands): each reads back as the fact it was made
    from, moments to the microsecond, hours as decimals, the unknowns as null, and the
    moments are stored as the ORM stores them (on SQLite UTC text: Python's adapter would
    write Beijing's wall time)."""
    from gridapp.selectors.evaluations import facts_by_department, parse_period
    from gridapp.services.evaluations import publish_scorecards

    from .workflow_support import report_in

    November(user)
    report = report_in("in_progress", reporter=user("resident1"), department=enforcement())
    event(report, "dispatch", enforcement(), at(12) + dt.timedelta(microseconds=123_457))
    event(report, "start", enforcement(), at(12, 11) + dt.timedelta(microseconds=999_999))
    november = parse_period("2026-11")

    publication = publish_scorecards(region=region(STREET), period=november, actor=None)

    fields = ["report_id", "dispatched_at", "started_at", "response_hours", "effective",
              "on_time", "rating", "returns", "reopens"]
    stored = {(line.pop("scorecard__department"), *line.values()) for line in (
        ScorecardLine.objects.filter(scorecard__publication=publication)
        .values("scorecard__department", *fields))}
    facts = {(department, *fact) for department, of in facts_by_department(
        region(STREET), november).items() for fact in of}
    assert len(stored) == 6 + 5 + 5 + 5 + 2 and stored == facts
    # and as the database keeps moments, so that SQL compares them as the ORM does
    assert ScorecardLine.objects.filter(
        scorecard__publication=publication, report=report,
        dispatched_at=at(12) + dt.timedelta(microseconds=123_457),
        started_at__gt=at(12, 11) + dt.timedelta(microseconds=999_998)).exists()
