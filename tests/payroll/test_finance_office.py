"""What a finance office signs: no future months, netted payments with shortfalls carried,
bank details through maker-checker, bounded and withdrawable adjustments, runs made whole
or not at all."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payroll import bank_templates, services
from payroll.models import Adjustment, BankAccount, Run

from .conftest import DEC, HHL, NOV

RUNS = "/api/v1/payroll/runs/"
ADJUSTMENTS = "/api/v1/payroll/adjustments/"
CHANGES = "/api/v1/payroll/bank-account-changes/"
OCT = dt.date(2026, 10, 1)


def approve(run, user):
    services.submit_run(run, actor=user("finance1"))
    return services.approve_run(run, actor=user("finance2"))


# --- 1. no future months ----------------------------------------------------------------

@freeze_time("2026-11-30 23:59:00+08:00")
def test_a_run_for_a_month_that_has_not_begun_is_400_period_in_future(api, region):
    response = api("finance1").post(RUNS, {"period": "2026-12", "region": region(HHL).pk},
                                    format="json")
    assert (response.status_code, response.json()["code"]) == (400, "period_in_future")
    assert not Run.objects.exists()


@freeze_time("2026-12-01 00:01:00+08:00")
def test_the_month_may_be_drafted_from_its_first_minute_in_beijing(api, region):
    response = api("finance1").post(RUNS, {"period": "2026-12", "region": region(HHL).pk},
                                    format="json")
    assert response.status_code == 201


@freeze_time("2026-11-30 12:00:00+08:00")
def test_an_adjustment_for_a_future_month_is_refused_too(api, user):
    response = api("finance1").post(ADJUSTMENTS, {
        "leader": user("leader1").pk, "period": "2027-10", "amount": "10.00", "reason": "r"},
        format="json")
    assert (response.status_code, response.json()["code"]) == (400, "period_in_future")


# --- 2. netted payments, shortfalls carried ---------------------------------------------

def test_a_shortfall_is_deducted_in_the_payees_next_run(api, make_run, user):
    services.create_adjustment(leader=user("leader1"), period=OCT, amount=Decimal("-400.00"),
                               reason="十月多发", actor=user("finance1"))
    november = approve(make_run(period=NOV), user)
    payment = november.payments.get(leader=user("leader1"))
    assert (payment.amount, payment.shortfall) == (Decimal("0.00"), Decimal("100.00"))
    december = make_run(period=DEC)
    carried = december.lines.get(leader=user("leader1"), kind="carried")
    assert (carried.net, carried.carried_from, carried.note) == (
        Decimal("-100.00"), payment, november.number)
    assert december.payments.get(leader=user("leader1")).amount == Decimal("200.00")
    lines = api("finance1").get(f"{RUNS}{december.pk}/payments/").json()["results"]
    assert [p["amount"] for p in lines if p["leader"] == user("leader1").pk] == ["200.00"]


def test_a_carried_shortfall_is_deducted_once_even_if_the_next_run_is_cancelled(make_run,
                                                                                user):
    services.create_adjustment(leader=user("leader1"), period=OCT, amount=Decimal("-400.00"),
                               reason="r", actor=user("finance1"))
    approve(make_run(period=NOV), user)
    services.cancel_run(make_run(period=DEC), actor=user("finance1"))
    again = make_run(period=DEC)
    assert again.lines.filter(kind="carried").count() == 1
    assert again.total == Decimal("2700.00") - Decimal("100.00")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(adjustments=st.lists(st.tuples(st.sampled_from(["leader1", "leader2", "leader9old"]),
                                      st.sampled_from([OCT, NOV]),
                                      st.integers(min_value=-300_000, max_value=300_000)
                                      .filter(bool)), max_size=6),
       suspended=st.lists(st.sampled_from(["leader1", "leader2", "leader3"]), max_size=2,
                          unique=True))
def test_every_exported_payment_is_not_negative_and_the_file_adds_up_to_the_run(
        make_run, user, adjustments, suspended):
    with transaction.atomic():
        for username, period, fen in adjustments:
            services.create_adjustment(leader=user(username), period=period,
                                       amount=Decimal(fen) / 100, reason="r",
                                       actor=user("finance1"))
        for username in suspended:
            services.suspend_leader(leader=user(username), period=DEC, reason="r",
                                    actor=user("finance1"))
        for period in (NOV, DEC):
            run = approve(make_run(period=period), user)
            for template in bank_templates.TEMPLATES.values():
                amounts = [row[[c.field for c in template.columns].index("amount")]
                           for row in _payment_rows(run, template)]
                assert all(amount >= 0 for amount in amounts)
                assert sum(amounts, Decimal("0.00")) == run.total
            owed = sum(run.lines.values_list("net", flat=True), Decimal("0.00"))
            assert run.total == owed + run.total_carried
        transaction.set_rollback(True)


def _payment_rows(run, template):
    rows = list(bank_templates.rows(run, template, full_numbers=False))
    start = len(template.header_rows) + 1
    return rows[start:len(rows) - (1 if template.totals_row else 0)]


# --- 3. bank details through maker-checker ----------------------------------------------

def change_body(user, **fields):
    return {"leader": user("leader1").pk, "account_name": "陈海燕", "bank_name": "工商银行北海分行",
            "account_number": "6222 0200 0000 0000 099", "reason": "换卡", **fields}


def test_a_bank_account_change_is_requested_by_one_and_approved_by_another(api, user):
    before = user("leader1").bank_account.account_number
    response = api("finance1").post(CHANGES, change_body(user), format="json")
    assert response.status_code == 201
    change = response.json()
    assert (change["status"], change["account_number"]) == ("pending", "6222***********0099")
    assert BankAccount.objects.get(leader=user("leader1")).account_number == before
    refused = api("finance1").post(f"{CHANGES}{change['id']}/approve/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "maker_checker")
    approved = api("finance2").post(f"{CHANGES}{change['id']}/approve/", {}, format="json")
    assert approved.json()["status"] == "approved"
    assert approved.json()["previous_account_number"].endswith(before[-4:])
    account = BankAccount.objects.get(leader=user("leader1"))
    assert (account.account_number, account.bank_name) == ("6222020000000000099", "工商银行北海分行")


def test_the_history_says_who_asked_who_decided_and_why(api, user):
    first = api("finance1").post(CHANGES, change_body(user), format="json").json()
    api("finance2").post(f"{CHANGES}{first['id']}/reject/", {"reason": "卡号不符"}, format="json")
    second = api("finance2").post(CHANGES, change_body(user, reason="再次换卡"),
                                  format="json").json()
    api("finance1").post(f"{CHANGES}{second['id']}/approve/", {}, format="json")
    history = api("finance1").get(CHANGES, {"leader": user("leader1").pk}).json()["results"]
    mine = [(c["status"], c["requested_by"], c["decided_by"], c["decision_note"])
            for c in history if c["leader"] == user("leader1").pk]
    assert mine[:2] == [("approved", user("finance2").pk, user("finance1").pk, ""),
                        ("rejected", user("finance1").pk, user("finance2").pk, "卡号不符")]


def test_one_change_waits_at_a_time_and_a_bad_number_is_refused(api, user):
    assert api("finance1").post(CHANGES, change_body(user), format="json").status_code == 201
    again = api("finance2").post(CHANGES, change_body(user), format="json")
    assert (again.status_code, again.json()["code"]) == (409, "change_pending")
    bad = api("finance1").post(CHANGES, change_body(user, leader=user("leader2").pk,
                                                    account_number="62-22"), format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "account_number_invalid")


def test_bank_details_cannot_be_written_around_the_change(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccount.objects.filter(leader=user("leader1")).update(account_number="6222999999999")
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccount.objects.filter(leader=user("leader1")).delete()


def test_only_finance_over_the_leader_sees_and_requests_changes(api, user, finance_hpl):
    elsewhere = api("finance-hpl").post(CHANGES, change_body(user), format="json")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (400, "not_a_leader")
    assert api("leader1").post(CHANGES, change_body(user), format="json").status_code == 403
    api("finance1").post(CHANGES, change_body(user), format="json")
    seen = {c["leader"] for c in api("finance-hpl").get(CHANGES).json()["results"]}
    assert seen == {user("leader10").pk, user("leader11").pk}  # 和平路's leaders only
    assert api("leader1").get(CHANGES).json()["results"] == []


# --- 4. bounded and withdrawable adjustments, whole runs --------------------------------

@pytest.mark.parametrize("amount", ["3000.01", "-3000.01", "99999999999.99"])
def test_an_adjustment_beyond_the_limit_is_400(api, user, amount):
    response = api("finance1").post(ADJUSTMENTS, {
        "leader": user("leader1").pk, "period": "2026-11", "amount": amount, "reason": "r"},
        format="json")
    assert (response.status_code, response.json()["code"]) == (400, "amount_over_limit")
    assert not Adjustment.objects.exists()


def test_the_limit_is_a_setting(api, user, settings):
    settings.PAYROLL_ADJUSTMENT_LIMIT = Decimal("5000.00")
    response = api("finance1").post(ADJUSTMENTS, {
        "leader": user("leader1").pk, "period": "2026-11", "amount": "4000.00", "reason": "r"},
        format="json")
    assert response.status_code == 201


def test_a_pending_adjustment_is_withdrawn_and_kept(api, make_run, user):
    adjustment = services.create_adjustment(leader=user("leader1"), period=NOV,
                                            amount=Decimal("20.00"), reason="r",
                                            actor=user("finance1"))
    response = api("finance2").post(f"{ADJUSTMENTS}{adjustment.pk}/withdraw/",
                                    {"reason": "录错了"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["withdrawal_reason"]) == (
        "withdrawn", "录错了")
    assert not make_run().lines.filter(kind="adjustment").exists()
    again = api("finance2").post(f"{ADJUSTMENTS}{adjustment.pk}/withdraw/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_withdrawing_an_adjustment_in_a_draft_recomputes_the_draft(api, make_run, user):
    adjustment = services.create_adjustment(leader=user("leader1"), period=NOV,
                                            amount=Decimal("20.00"), reason="r",
                                            actor=user("finance1"))
    run = make_run()
    assert run.total == Decimal("2720.00")
    api("finance1").post(f"{ADJUSTMENTS}{adjustment.pk}/withdraw/", {}, format="json")
    run.refresh_from_db()
    assert (run.total, run.payments.get(leader=user("leader1")).amount) == (
        Decimal("2700.00"), Decimal("300.00"))
    assert run.events.last().action == "withdrawal"


def test_an_applied_adjustment_cannot_be_withdrawn(api, make_run, user):
    adjustment = services.create_adjustment(leader=user("leader1"), period=OCT,
                                            amount=Decimal("20.00"), reason="r",
                                            actor=user("finance1"))
    approve(make_run(), user)
    response = api("finance1").post(f"{ADJUSTMENTS}{adjustment.pk}/withdraw/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_an_adjustment_in_a_submitted_run_cannot_be_withdrawn(api, make_run, user):
    adjustment = services.create_adjustment(leader=user("leader1"), period=OCT,
                                            amount=Decimal("20.00"), reason="r",
                                            actor=user("finance1"))
    run = make_run()
    services.submit_run(run, actor=user("finance1"))  # it left draft, not yet approved
    response = api("finance1").post(f"{ADJUSTMENTS}{adjustment.pk}/withdraw/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "adjustment_applied")
    adjustment.refresh_from_db()
    assert adjustment.withdrawn_at is None


def test_a_bank_account_change_needs_the_holders_name_and_the_bank(api, user):
    response = api("finance1").post(CHANGES, {
        "leader": user("leader1").pk, "account_name": " ", "bank_name": "北海银行",
        "account_number": "6222021234567890123", "reason": "换卡"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "bank_details_required")


def test_a_run_too_large_for_its_totals_is_not_stored_at_all(api, region, user):
    """Rows from before the limit (written here around the service) cannot break a
    region's payroll: the run is refused whole, and every list still answers."""
    for username in ("leader1", "leader2"):
        Adjustment.objects.create(leader=user(username), period=NOV, amount=Decimal(
            "99999999999.99"), grid=user(username).leader_terms.get().grid, reason="r",
            prepared_by=user("finance1"))
    response = api("finance1").post(RUNS, {"period": "2026-11", "region": region(HHL).pk},
                                    format="json")
    assert (response.status_code, response.json()["code"]) == (400, "run_too_large")
    assert not Run.objects.exists()
    assert api("finance1").get(RUNS).status_code == 200
