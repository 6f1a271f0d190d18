"""The console's scorecards and statistics (docs/api.md "The web console"): the
hand-built November of tests/gridapp/test_evaluations.py published from the console, its
four quadrants drawn where the figures put them, each department's reports behind it, and
the statistics equal to the API's, scoped as the API scopes them."""

import re

import pytest
from freezegun import freeze_time

from console import charts
from gridapp.models import Publication, Region, Scorecard

from ..gridapp.test_evaluations import STREET, November
from .conftest import post
from .test_console import SIGNED_IN


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-12-05 10:00:00+08:00"):
        yield


def street() -> Region:
    return Region.objects.get(code=STREET)


def published(console, user, username: str = "dispatcher-street"):
    """November in 东街街道, published from the console; the client and the page."""
    November(user)
    client = console(username)
    response = post(client, "/console/evaluations/publish/",
                    {"region": street().pk, "period": "2026-11"})
    assert response["Location"] == f"/console/evaluations/?region={street().pk}&period=2026-11"
    return client, client.get(response["Location"])


def circles(page: str) -> dict[str, tuple[float, float, str]]:
    """Each department's point on the chart: (x, y, quadrant)."""
    found = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="6" class="q-(\w)" '
                       r'data-department="([^"]+)"', page)
    return {name: (float(x), float(y), q) for x, y, q, name in found}


def test_a_street_publishes_its_scorecards_and_sees_the_four_quadrants(console, user):
    client, response = published(console, user)
    page = response.content.decode()
    assert response.status_code == 200 and "第 1 版" in page
    points = circles(page)
    assert {name: q for name, (_x, _y, q) in points.items()} == {
        "东街街道综合执法中队": "A", "东街绿化队": "B", "东街供水站": "C",
        "北海市照明管理处": "D"}  # gas and the idle one have too few reports: not placed
    fast, effective = (float(v) for v in re.search(
        r'<line x1="([\d.]+)" y1="[\d.]+" x2="\1" y2="[\d.]+" class="threshold"/>\s*'
        r'<line x1="[\d.]+" y1="([\d.]+)"', page).groups())
    for x, y, quadrant in points.values():
        assert (x <= fast) == (quadrant in "AC") and (y <= effective) == (quadrant in "AB")
    assert page.count("件数过少，不参与象限评价") == 2  # gas and the idle one: listed only
    assert Publication.objects.get().published_by.username == "dispatcher-street"


def test_the_reports_behind_a_scorecard_are_listed_and_linked(console, user):
    client, _page = published(console, user)
    card = Scorecard.objects.get(department__code="dj-enforcement")
    page = client.get(f"/console/evaluations/{card.pk}/").content.decode()
    assert page.count('<tr data-report="') == 5
    assert all(f'href="/console/reports/{line.report_id}/"' in page for line in card.lines.all())


def test_a_department_sees_its_own_row_and_cannot_trace_another(console, user):
    published(console, user)
    handler = console("handler-lighting")
    page = handler.get(f"/console/evaluations/?region={street().pk}&period=2026-11")
    rows = re.findall(r'<tr data-scorecard="([\w-]+)"', page.content.decode())
    assert rows == ["bh-lighting"]
    assert 'name="publish"' not in page.content.decode()
    other = Scorecard.objects.get(department__code="dj-enforcement")
    assert handler.get(f"/console/evaluations/{other.pk}/").status_code == 404


def test_a_community_centre_cannot_publish_for_its_street(console, user):
    November(user)
    client = console("dispatcher-community")
    response = post(client, "/console/evaluations/publish/",
                    {"region": street().pk, "period": "2026-11"})
    assert response.status_code == 302 and not Publication.objects.exists()
    assert 'class="error"' in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("period", ["2026-13", "11/2026", "x"])
def test_a_malformed_period_is_400_with_the_form(console, period):
    response = console("dispatcher-street").get(f"/console/evaluations/?period={period}")
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_a_malformed_publish_form_is_a_message_not_a_500(console):
    client = console("dispatcher-street")
    response = post(client, "/console/evaluations/publish/", {"region": "²", "period": "x"})
    assert response.status_code == 302 and not Publication.objects.exists()


def test_publishing_by_get_is_405_and_publishes_nothing(console):
    response = console("dispatcher-street").get("/console/evaluations/publish/")
    assert response.status_code == 405 and not Publication.objects.exists()


def test_scorecards_and_statistics_are_not_for_finance(console):
    client = console("finance1")
    assert client.get("/console/evaluations/").status_code == 404
    assert client.get("/console/statistics/").status_code == 404


def test_the_chart_places_a_department_that_started_nothing_on_the_slow_edge():
    class Card:
        department = type("D", (), {"name": "x"})
        too_few_reports, quadrant = False, "D"
        response_hours_median, effect_rate = None, 0

    chart = charts.quadrant_chart([Card()], fast_hours=24, effect_rate=0.8, url_of=lambda c: "")
    point, = chart.points
    assert point.x == chart.plot[2] and point.y == chart.plot[3]


# --- statistics ------------------------------------------------------------------------

def test_the_statistics_page_shows_the_apis_figures(console, api, user):
    November(user)
    query = f"region={street().pk}&from=2026-10-01&to=2026-12-05"
    expected = api("dispatcher-street").get(f"/api/v1/stats/overview/?{query}").json()
    page = console("dispatcher-street").get(f"/console/statistics/?{query}").content.decode()
    assert f'<b data-figure="total">{expected["total"]}</b>' in page
    assert expected["routing"]["accuracy"] in page
    assert page.count('class="bar" data-date=') == 66  # a bar a day


@pytest.mark.parametrize("query", ["from=2026-12-05&to=2026-01-01", "from=2024-01-01",
                                   "to=bogus", "region=²"])
def test_a_malformed_statistics_query_is_400_with_the_form(console, query):
    response = console("dispatcher-street").get(f"/console/statistics/?{query}")
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_the_scorecard_page_costs_a_fixed_number_of_queries(console, user,
                                                            django_assert_num_queries):
    client, _page = published(console, user)
    url = f"/console/evaluations/?region={street().pk}&period=2026-11"
    # the regions of the form, the latest publication, its scorecards with their joins
    with django_assert_num_queries(SIGNED_IN + 3):
        assert client.get(url).status_code == 200
