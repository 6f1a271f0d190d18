"""Corrections after approval: adjustments, carried by the next run as their own lines."""

import datetime as dt
from decimal import Decimal

import pytest

from config.api.errors import DomainError
from payroll import services
from payroll.models import RunLine

from .conftest import DEC, NOV

ADJUSTMENTS = "/api/v1/payroll/adjustments/"


def post(client, **body):
    return client.post(ADJUSTMENTS, body, format="json")


def test_an_adjustment_flows_into_the_next_run_as_its_own_line(api, approved_run, make_run, user):
    response = post(api("finance1"), leader=user("leader9").pk, period="2026-11",
                    amount="20.00", reason="11月16日至30日应为16天")
    assert response.status_code == 201, response.json()
    adjustment = response.json()
    assert (adjustment["status"], adjustment["amount"], adjustment["run"]) == (
        "pending", "20.00", None)

    december = make_run(period=DEC)
    line = december.lines.get(kind=RunLine.Kind.ADJUSTMENT)
    assert (line.leader, line.base, line.adjustments, line.net, line.note) == (
        user("leader9"), Decimal("0.00"), Decimal("20.00"), Decimal("20.00"),
        "11月16日至30日应为16天")
    assert (december.line_count, december.total) == (10, Decimal("2720.00"))
    assert api("finance1").get(f"{ADJUSTMENTS}{adjustment['id']}/").json()["status"] == "in_run"

    services.submit_run(december, actor=user("finance1"))
    services.approve_run(december, actor=user("finance2"))
    body = api("finance1").get(f"{ADJUSTMENTS}{adjustment['id']}/").json()
    assert (body["status"], body["run"], body["approved_by"]) == (
        "approved", december.pk, user("finance2").pk)


def test_a_negative_adjustment_can_make_a_line_negative(make_run, user):
    services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal("-300.00"),
                               reason="重复发放", actor=user("finance1"))
    run = make_run(period=DEC)
    assert run.lines.get(kind="adjustment").net == Decimal("-300.00")
    assert run.total == Decimal("2400.00")


def test_an_adjustment_in_a_cancelled_draft_goes_to_the_next_run(make_run, user):
    services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal("15.00"),
                               reason="r", actor=user("finance1"))
    services.cancel_run(make_run(period=DEC), actor=user("finance1"))
    again = make_run(period=DEC)
    assert again.lines.filter(kind="adjustment").count() == 1


def test_an_adjustment_waits_for_a_run_of_its_month_or_later(make_run, user):
    services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal("15.00"),
                               reason="r", actor=user("finance1"))
    assert not make_run(period=dt.date(2026, 10, 1)).lines.filter(kind="adjustment").exists()
    assert make_run(period=DEC).lines.filter(kind="adjustment").exists()


def test_an_adjustment_for_someone_who_led_no_grid_that_month_is_refused(api, user):
    response = post(api("finance1"), leader=user("leader9").pk, period="2026-10",
                    amount="10.00", reason="r")
    assert (response.status_code, response.json()["code"]) == (400, "not_a_leader")
    response = post(api("finance1"), leader=user("resident1").pk, period="2026-11",
                    amount="10.00", reason="r")
    assert response.json()["code"] == "not_a_leader"


def test_a_leader_of_two_grids_must_say_which(api, add_term, user):
    term = add_term(dt.date(2026, 1, 1))
    add_term(dt.date(2026, 1, 1), leader=term.user)
    body = {"leader": term.user.pk, "period": "2026-11", "amount": "10.00", "reason": "r"}
    response = post(api("finance1"), **body)
    assert (response.status_code, response.json()["code"]) == (400, "grid_required")
    assert post(api("finance1"), **body, grid=term.grid.pk).status_code == 201


@pytest.mark.parametrize("amount, code", [("0.00", "amount_zero"), ("1.005", "amount_invalid"),
                                          ("1e3000", "invalid"), ("NaN", "invalid")])
def test_an_adjustment_needs_a_real_amount(api, user, amount, code):
    response = post(api("finance1"), leader=user("leader1").pk, period="2026-11",
                    amount=amount, reason="r")
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_the_service_refuses_an_amount_finer_than_a_fen(user, in_english):
    with pytest.raises(DomainError, match="two decimal places"):
        services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal("0.001"),
                                   reason="r", actor=user("finance1"))


def test_only_finance_staff_over_the_grid_adjust(api, user, finance_hpl):
    body = {"leader": user("leader1").pk, "period": "2026-11", "amount": "1.00", "reason": "r"}
    # finance of another region: as if leader1 led nothing (who leads there is not theirs)
    assert post(api("finance-hpl"), **body).json()["code"] == "not_a_leader"
    assert post(api("leader1"), **body).status_code == 403


def test_adjustments_are_listed_within_the_requesters_regions(api, user, finance_hpl):
    services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal("1.00"),
                               reason="r", actor=user("finance1"))
    assert len(api("finance1").get(ADJUSTMENTS).json()["results"]) == 1
    assert api("finance-hpl").get(ADJUSTMENTS).json()["results"] == []
    assert api("leader1").get(ADJUSTMENTS).json()["results"] == []


def test_retrying_an_adjustment_with_its_idempotency_key_creates_one(api, user):
    client = api("finance1")
    body = {"leader": user("leader1").pk, "period": "2026-11", "amount": "1.00", "reason": "r"}
    first = client.post(ADJUSTMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    again = client.post(ADJUSTMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert first.json()["id"] == again.json()["id"]
    assert len(client.get(ADJUSTMENTS).json()["results"]) == 1


@pytest.fixture
def leader_in_another_city(world):
    """A grid leader of a second city, where the demo's finance staff have no role."""
    from gridapp.demo import demo_user
    from gridapp.models import Grid, LeaderTerm, Region

    city = Region.objects.create(code="450600000000", name="防城港市", level="city")
    community = Region.objects.create(code="450602001001", name="港口社区", level="community",
                                      parent=city)
    source = Grid.objects.get(code="HHL-01")
    grid = Grid.objects.create(code="FCG-01", name="港口一网格", community=community,
                               boundary=source.boundary)
    leader = demo_user("leader-fcg")
    LeaderTerm.objects.create(user=leader, grid=grid, start_date=dt.date(2026, 1, 1))
    return leader


@pytest.mark.parametrize("path,body", [
    ("/api/v1/payroll/adjustments/", {"period": "2026-11", "amount": "1.00", "reason": "r"}),
    ("/api/v1/payroll/suspensions/", {"period": "2026-11", "reason": "r"}),
    ("/api/v1/payroll/bank-account-changes/", {"account_name": "某人", "bank_name": "某银行",
                                               "account_number": "6222020200112233", "reason": "r"}),
])
def test_finance_staff_get_one_answer_for_a_non_leader_and_a_leader_elsewhere(
        api, user, leader_in_another_city, path, body):
    """Issue 11: 400 for a non-leader and 403 for a leader elsewhere told finance staff who
    leads grids in other regions. Both are 400 not_a_leader with the same message now."""
    client = api("finance1")
    elsewhere = client.post(path, {**body, "leader": leader_in_another_city.pk}, format="json")
    nobody = client.post(path, {**body, "leader": user("resident1").pk}, format="json")
    assert (elsewhere.status_code, elsewhere.json()) == (nobody.status_code, nobody.json())
    assert elsewhere.status_code == 400 and elsewhere.json()["code"] == "not_a_leader"
