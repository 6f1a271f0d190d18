"""How the statistics read a city's reports (issue 13): a year's through one scan of the
table per statement, not the index of submission times report by report, which SQLite
chose for a range it cannot size (2.8 s for a year of 200,000 reports against 1.3 s;
docs/performance.md); a month of that year still through the index.

As in test_report_plans.py the plans are asked on a table shaped like a city's, 20,000
reports over a year in the city's grids, with fresh statistics (`ANALYZE`) and no
planner method switched off: the plan asserted is the plan production gets.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from gridapp.models import Grid
from gridapp.selectors import stats

from .photos_support import a_year_of_reports

NOW = "2026-06-01T09:00:00+08:00"
REPORTS = 20_000
# The overview's statements that read the window's reports, in the order it runs them.
STATEMENTS = ("counts", "durations", "trend", "routing")
# A plan's line reading the window's reports: the outer statement's table, or the
# routing's subquery of them (Django's alias V0), in SQLite's and PostgreSQL's words (not
# the reporter's merged reports, U0).
READS_REPORTS = re.compile(r"(SCAN|SEARCH) (gridapp_report|V0)\b"
                           r"|Scan .*on gridapp_report( v0)?  \(")


@pytest.fixture
def a_year_of_a_city(user) -> None:
    """A report every 26 minutes for a year, spread over the city's grids."""
    with freeze_time(NOW):  # the rows' own clocks (joined, updated) read the same moment
        a_year_of_reports(REPORTS, until=datetime.fromisoformat(NOW), reporters=200,
                          name="stats-plan", grids=list(Grid.objects.select_related("community")))


def plans_of_the_overview(user: User, days: int) -> list[str]:
    """The plan of each statement of the overview of the last `days` days that reads the
    window's reports (not the user's roles, nor the first report's time)."""
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with freeze_time(NOW):
        today = timezone.localdate()
        with connection.execute_wrapper(keep):
            stats.overview_for(user, stats.Window(today - timedelta(days=days - 1), today))
    explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
    plans = []
    for sql, params in statements:
        if '"created_at" >=' in sql:
            with connection.cursor() as cursor:
                cursor.execute(f"{explain} {sql}", params)
                plans.append("\n".join(str(row[-1]) for row in cursor.fetchall()))
    return plans


def reads_of_reports(plan: str) -> list[str]:
    return [line.strip(" ->") for line in plan.splitlines() if READS_REPORTS.search(line)]


def test_a_years_statistics_scan_the_reports_once_per_statement(a_year_of_a_city, user):
    plans = plans_of_the_overview(user("dispatcher-city"), days=365)
    assert len(plans) == len(STATEMENTS), plans
    for plan in plans:
        reads = reads_of_reports(plan)
        if connection.vendor == "sqlite":
            # not `SEARCH … USING INDEX report_recent_idx (created_at>? AND created_at<?)`,
            # nor a GROUP BY walking report_queue_idx: the table, row after row
            assert reads in (["SCAN gridapp_report"], ["SCAN V0"]), plan
        else:  # PostgreSQL sizes the range with its statistics and never took that index
            assert reads and not re.search(r"Index Cond: \(+created_at", plan), plan


def test_a_month_of_the_year_is_read_through_the_index_of_submission_times(
        a_year_of_a_city, user):
    plans = plans_of_the_overview(user("dispatcher-city"), days=30)
    assert len(plans) == len(STATEMENTS), plans
    if connection.vendor == "sqlite":  # PostgreSQL weighs it with its statistics
        assert all("created_at>? AND created_at<?" in plan for plan in plans), plans
