"""Query budgets of every payroll list and detail, with one row and with many.

A finance officer's request costs 1 query for the JWT's user, which brings the user's
roles token along: `roles_of` then answers from the roles this process loaded when the
fixtures made the runs as finance1, current while the token is (a cold load would add 2,
tests/gridapp/test_roles.py). A list adds COUNT and the page; everything a row shows
comes in through select_related or an annotation, so the budget does not grow with the
rows.
"""

import datetime as dt
from decimal import Decimal

import pytest

from payroll import services
from payroll.models import Suspension

from .conftest import HHL, HPL, NOV, TEST_COMMUNITY

AUTH_AND_ROLES = 1  # the JWT's user with the roles token; the roles warm
LIST = 2  # COUNT(*) and the page


@pytest.mark.parametrize("months", [1, 11])
def test_run_list_costs_the_same_for_one_run_or_many(api, make_run, months,
                                                     django_assert_num_queries):
    for month in range(1, months + 1):
        make_run(period=dt.date(2026, month, 1), code=HHL if month % 2 else HPL)
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + LIST):
        body = client.get("/api/v1/payroll/runs/").json()
    assert len(body["results"]) == months


def test_run_detail_is_one_query_after_auth(api, approved_run, django_assert_num_queries):
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + 1):
        assert client.get(f"/api/v1/payroll/runs/{approved_run.pk}/").status_code == 200


@pytest.mark.parametrize("code, count", [(TEST_COMMUNITY, 1), (HHL, 10)])
def test_run_lines_cost_the_same_for_one_line_or_many(api, add_term, make_run, code, count,
                                                      django_assert_num_queries):
    add_term(dt.date(2026, 1, 1))
    run = make_run(code=code)
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + 1 + LIST):  # + the run itself
        body = client.get(f"/api/v1/payroll/runs/{run.pk}/lines/").json()
    assert len(body["results"]) == count


@pytest.mark.parametrize("transitions", [0, 3])
def test_run_events_cost_the_same_for_one_event_or_many(api, make_run, user, transitions,
                                                        django_assert_num_queries):
    run = make_run()
    for _ in range(transitions):
        services.submit_run(run, actor=user("finance1"))
        services.reject_run(run, actor=user("finance2"), reason="r")
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + 1 + LIST):
        body = client.get(f"/api/v1/payroll/runs/{run.pk}/events/").json()
    assert len(body["results"]) == 1 + 2 * transitions


@pytest.mark.parametrize("count", [1, 6])
def test_adjustment_list_and_detail_budgets(api, user, count, django_assert_num_queries):
    for k in range(count):
        adjustment = services.create_adjustment(
            leader=user(f"leader{k + 1}"), period=NOV, amount=Decimal("1.00"), reason="r",
            actor=user("finance1"))
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + LIST):  # the carrying run is a subquery
        assert len(client.get("/api/v1/payroll/adjustments/").json()["results"]) == count
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + 1):
        assert client.get(f"/api/v1/payroll/adjustments/{adjustment.pk}/").status_code == 200


@pytest.mark.parametrize("count", [1, 5])
def test_suspension_list_budget(api, user, count, django_assert_num_queries):
    for k in range(count):
        services.suspend_leader(leader=user(f"leader{k + 1}"), period=NOV, reason="r",
                                actor=user("finance1"))
    client = api("finance1")
    with django_assert_num_queries(AUTH_AND_ROLES + LIST):
        assert len(client.get("/api/v1/payroll/suspensions/").json()["results"]) == count
    client = api("finance1")
    suspension = Suspension.objects.last()
    with django_assert_num_queries(AUTH_AND_ROLES + 1):
        assert client.get(f"/api/v1/payroll/suspensions/{suspension.pk}/").status_code == 200


@pytest.mark.parametrize("months", [1, 4])
def test_my_payroll_costs_the_same_for_one_month_or_many(api, make_run, user, months,
                                                         django_assert_num_queries):
    for month in range(11 - months + 1, 12):
        run = make_run(period=dt.date(2026, month, 1))
        services.submit_run(run, actor=user("finance1"))
        services.approve_run(run, actor=user("finance2"))
    client = api("leader1")
    # the JWT's user, then the lines with run and grid, then the year-end shares
    with django_assert_num_queries(1 + 2):
        body = client.get("/api/v1/payroll/me/").json()
    assert len(body["lines"]) == months
