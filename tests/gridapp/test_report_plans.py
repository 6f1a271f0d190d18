"""Query plans of who-sees-which-reports on PostgreSQL: found through indexes, so that a
member's list costs the same with ten thousand reports as with ten million (the load
benchmark found a scan of the whole table; docs/performance.md, "Load")."""

import pytest
from django.db import connection

from gridapp.report_selectors import visible_reports
from tests.conftest import needs_postgres

pytestmark = needs_postgres


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The demo's tables are tiny: without this the planner rightly prefers a scan and
        # the test could not tell a good query from a bad one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("username", ["resident1", "leader5"])
def test_a_members_and_a_leaders_reports_are_found_by_index_not_row_by_row(user, username):
    plan = plan_of(visible_reports(user(username)).order_by("-created_at", "-pk"))
    # `IN (subquery)` inside the OR would be a SubPlan tested against every row.
    assert "SubPlan" not in plan, plan
    assert "BitmapOr" in plan, plan


def test_the_count_of_a_members_reports_is_found_by_index_too(user):
    plan = plan_of(visible_reports(user("resident1")).values("pk"))
    assert "SubPlan" not in plan and "Seq Scan on gridapp_report" not in plan, plan
