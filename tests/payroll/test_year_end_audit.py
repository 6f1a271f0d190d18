"""`check_payroll` on year-end distributions: an approved one is recomputed from what it
stored (the pool from the monthly lines it took, each score from its breakdown, each
share from the scores, each payment from the shares, the events, the files), and a change
made behind the services' back is named."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from freezegun import freeze_time

from payroll import services as runs
from payroll.models import StipendPolicy
from payroll.yearend.models import Distribution, Share

from .conftest import HHL, HPL
from .test_commands import check, check_fails, triggers_off

YE = "/api/v1/payroll/year-end/"
NOTICE_OVER = "2027-01-12 10:00:01+08:00"


def approve_monthly_run(month: int, region, user) -> None:
    run = runs.create_run(period=dt.date(2026, month, 1), region=region(HHL),
                          actor=user("finance1"))
    runs.submit_run(run, actor=user("finance1"))
    runs.approve_run(run, actor=user("finance2"))


@pytest.fixture(params=["proportional", "floor and cap"])
def approved(request, api, performance, region, user, settings) -> Distribution:
    """2026 for 黄海路社区 with October's withholding in its pool and uneven work results,
    published, submitted after the notice and approved by finance2."""
    if request.param == "floor and cap":
        settings.PAYROLL_YEAR_END_FLOOR, settings.PAYROLL_YEAR_END_CAP = (Decimal("0.5"),
                                                                          Decimal("2"))
    StipendPolicy.objects.create(region=region(HHL), effective_from=dt.date(2026, 10, 1),
                                 monthly_amount=Decimal("300.00"),
                                 withholding_percent=Decimal("20.00"))
    for rank, leader in enumerate(["leader1", "leader2", "leader3", "leader4"]):
        performance[leader] = {"reports_filed": 40 - 10 * rank,
                               "resolved_rate": Decimal("0.9") - Decimal("0.2") * rank}
    with freeze_time("2027-01-05 10:00:00+08:00") as clock:
        approve_monthly_run(10, region, user)
        body = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "1000.01"},
                                    format="json").json()
        base = f"{YE}{body['id']}"
        api("finance1").post(f"{base}/publish/", {"publish_days": 7}, format="json")
        clock.move_to(NOTICE_OVER)
        api("finance1").post(f"{base}/submit/")
        assert api("finance2").post(f"{base}/approve/").json()["status"] == "approved"
        api("finance1").get(f"{base}/export.csv")
        approve_monthly_run(11, region, user)  # after the distribution: not in its pool
    distribution = Distribution.objects.get(pk=body["id"])
    assert distribution.withheld_pool == Decimal("540.00")
    return distribution


def tamper(table: str, sql: str, params: list) -> None:
    with triggers_off(table), connection.cursor() as cursor:
        cursor.execute(sql, params)


def shares_by_amount(distribution: Distribution) -> list[Share]:
    return list(distribution.shares.order_by("-amount", "leader_term_id"))


def test_an_approved_distribution_reconciles_and_a_draft_is_not_checked(approved, api,
                                                                       finance_hpl):
    with freeze_time(NOTICE_OVER):  # a draft of another region
        response = api("finance-hpl").post(YE, {"year": 2026, "region": HPL,
                                                "extra_pool": "10.00"}, format="json")
    assert response.status_code == 201, response.json()
    out = check()
    assert "1 approved year-end distributions reconcile" in out
    assert "approved runs reconcile" in out  # the monthly runs are checked as before


def test_two_shares_swapped_behind_our_back_are_named(approved):
    richest, poorest = shares_by_amount(approved)[0], shares_by_amount(approved)[-1]
    assert richest.amount != poorest.amount
    for share, amount in ((richest, poorest.amount), (poorest, richest.amount)):
        tamper("payroll_share", "UPDATE payroll_share SET amount = %s WHERE id = %s",
               [amount, share.pk])
    report = check_fails("approved year-end distributions")
    assert (f"share {richest.pk}: {poorest.amount}, its score and the policy give "
            f"{richest.amount}") in report
    assert "payment " in report  # the payments no longer match the shares either


def test_a_score_that_its_breakdown_does_not_make_is_named(approved):
    share = shares_by_amount(approved)[0]
    tamper("payroll_share", "UPDATE payroll_share SET score = score + 0.1 WHERE id = %s",
           [share.pk])
    report = check_fails("approved year-end distributions")
    assert f"share {share.pk}: score is {share.score + Decimal('0.1')}" in report


def test_a_pool_the_monthly_lines_do_not_make_is_named(approved):
    tamper("payroll_distribution", "UPDATE payroll_distribution SET withheld_pool = 0, "
           "pool = extra_pool WHERE id = %s", [approved.pk])
    report = check_fails("approved year-end distributions")
    assert "the monthly lines it took withheld 540.00, the distribution says 0.00" in report
    assert "shares sum to 1540.01, the pool is 1000.01" in report


def test_a_payment_and_a_history_changed_behind_our_back_are_named(approved):
    tamper("payroll_yearendpayment", "UPDATE payroll_yearendpayment SET amount = amount + 1 "
           "WHERE distribution_id = %s AND position = 1", [approved.pk])
    tamper("payroll_distributionevent", "DELETE FROM payroll_distributionevent "
           "WHERE distribution_id = %s AND action = 'published'", [approved.pk])
    report = check_fails("approved year-end distributions")
    assert "payment 1: " in report
    assert "(submitted) moves 'published' → 'submitted' after 'draft'" in report


def test_an_approver_changed_behind_our_back_is_named(approved, user):
    other = user("leader1")
    tamper("payroll_distribution", "UPDATE payroll_distribution SET approved_by_id = %s "
           "WHERE id = %s", [other.pk, approved.pk])
    report = check_fails("approved year-end distributions")
    assert (f"approved with approver {approved.approved_by_id}, the distribution says "
            f"{other.pk}") in report


def test_a_notice_file_that_no_longer_matches_is_named(approved):
    tamper("payroll_distributionexport", "UPDATE payroll_distributionexport SET content = %s",
           [b"forged"])
    assert "csv file does not match its sha256" in check_fails("approved year-end distributions")
