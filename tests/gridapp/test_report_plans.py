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

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from gridapp.models import Category, Grid, Report
from gridapp.selectors.reports import visible_reports
from tests.conftest import needs_postgres

from .photos_support import make_reports

pytestmark = needs_postgres

OTHER_REPORTS, OTHER_REPORTERS = 20_000, 400


@pytest.fixture
def city_sized(user) -> None:
    """resident1 files 3 reports in HHL-05 (leader5's grid); everybody else files theirs
    elsewhere, spread over a year."""
    with freeze_time("2026-06-01T09:00:00+08:00"):
        make_reports(3, reporter=user("resident1"))
        others = User.objects.bulk_create(
            [User(username=f"plan-reporter-{i}") for i in range(OTHER_REPORTERS)])
        grids = list(Grid.objects.exclude(code="HHL-05").select_related("community"))
        category, start = Category.objects.get(code="streetlight"), timezone.now()
        Report.objects.bulk_create([Report(
            number=f"P{i:014d}", reporter=others[i % OTHER_REPORTERS], category=category,
            description="x", lat=21.48, lng=109.11, grid=grids[i % len(grids)],
            region_code=grids[i % len(grids)].community.code,
            created_at=start - timedelta(minutes=26 * i)) for i in range(OTHER_REPORTS)],
            batch_size=2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gridapp_report")


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
