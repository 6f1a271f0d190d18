"""Query plans of who-sees-which-reports on PostgreSQL: found through indexes, so that a
member's list costs the same with ten thousand reports as with ten million (the load
benchmark found a scan of the whole table; docs/performance.md, "Load").

A plan depends on the data and its statistics as much as on the query: on the demo's
handful of rows any plan is cheap and the planner picks whichever it likes. So each test
runs on a table shaped like a city's, 20,000 reports by 400 other reporters in the other
grids (one grid's share of a city of thousands is tiny), with fresh statistics
(`ANALYZE`), and without switching any planner method off: the plan asserted is the plan
production gets.
"""

from datetime import datetime

import pytest
from django.db import connection
from freezegun import freeze_time

from gridapp.models import Grid
from gridapp.selectors.reports import visible_reports
from tests.conftest import needs_postgres

from .photos_support import a_year_of_reports, make_reports

pytestmark = needs_postgres

NOW = "2026-06-01T09:00:00+08:00"
OTHER_REPORTS, OTHER_REPORTERS = 20_000, 400


@pytest.fixture
def city_sized(user) -> None:
    """resident1 files 3 reports in HHL-05 (leader5's grid); everybody else files theirs
    elsewhere, spread over a year."""
    with freeze_time(NOW):
        make_reports(3, reporter=user("resident1"))
        a_year_of_reports(OTHER_REPORTS, until=datetime.fromisoformat(NOW),
                          reporters=OTHER_REPORTERS, name="plan-reporter",
                          grids=list(Grid.objects.exclude(code="HHL-05")
                                     .select_related("community")))


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("username", ["resident1", "leader5"])
def test_a_members_and_a_leaders_reports_are_found_by_index_not_row_by_row(
        city_sized, user, username):
    plan = plan_of(visible_reports(user(username)).order_by("-created_at", "-pk"))
    # What matters: each arm of the visibility OR (own reports, followed originals, led
    # grids) is answered from its own index and the arms are OR-ed as bitmaps. `IN
    # (subquery)` inside the OR would instead be a SubPlan tested against every row, and a
    # filter on a scan of the whole table would read all 20,000 reports for three.
    assert "SubPlan" not in plan, plan
    assert "Seq Scan on gridapp_report" not in plan, plan
    assert "BitmapOr" in plan, plan


def test_the_count_of_a_members_reports_is_found_by_index_too(city_sized, user):
    plan = plan_of(visible_reports(user("resident1")).values("pk"))
    assert "SubPlan" not in plan and "Seq Scan on gridapp_report" not in plan, plan
