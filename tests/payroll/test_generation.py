"""What a run pays: proration by calendar days, one line per term, suspensions, the nearest
policy up the region tree, regeneration, and the SQL checked against `payroll.money`."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.api.errors import InvalidTransition
from payroll import services
from payroll.models import Adjustment, RunEvent, RunLine, Suspension
from payroll.money import days_in_month, days_served, from_fen, prorate, withhold

from .conftest import CITY, DEC, HPL, NOV, TEST_COMMUNITY

JAN, FEB, MAR = (dt.date(2026, m, 1) for m in (1, 2, 3))


def by_leader(run) -> dict[str, RunLine]:
    return {line.leader.username: line for line in run.lines.select_related("leader")}


def test_february_prorates_by_its_28_days(add_term, make_run):
    add_term(dt.date(2026, 2, 15))
    line = make_run(period=FEB, code=TEST_COMMUNITY).lines.get()
    assert (line.days_served, line.days_in_month, line.base, line.net) == (
        14, 28, Decimal("150.00"), Decimal("150.00"))


def test_a_31_day_month_splits_between_a_leader_and_their_successor(add_term, make_run):
    add_term(JAN, dt.date(2026, 1, 16))
    add_term(dt.date(2026, 1, 17))
    run = make_run(period=JAN, code=TEST_COMMUNITY)
    assert sorted((line.days_served, line.net) for line in run.lines.all()) == [
        (15, Decimal("145.16")), (16, Decimal("154.84"))]
    assert run.total == Decimal("300.00")


def test_a_term_starting_and_ending_inside_one_month_pays_its_days(add_term, make_run):
    add_term(dt.date(2026, 3, 10), dt.date(2026, 3, 20))
    add_term(JAN, dt.date(2026, 2, 28))  # over before March: no line
    add_term(dt.date(2026, 4, 1))  # not yet started: no line
    line = make_run(period=MAR, code=TEST_COMMUNITY).lines.get()
    assert (line.days_served, line.days_in_month, line.net) == (11, 31, Decimal("106.45"))


def test_a_leader_of_two_grids_gets_a_line_for_each(add_term, make_run, user):
    first = add_term(JAN)
    add_term(JAN, leader=first.user)
    run = make_run(period=NOV, code=TEST_COMMUNITY)
    assert [line.leader_id for line in run.lines.all()] == [first.user_id] * 2
    assert run.total == Decimal("600.00")


def test_a_suspended_leader_is_shown_with_the_base_and_paid_nothing(api, make_run, user):
    response = api("finance1").post("/api/v1/payroll/suspensions/", {
        "leader": user("leader1").pk, "period": "2026-11", "reason": "长期未履职",
    }, format="json")
    assert response.status_code == 201, response.json()
    run = make_run()
    line = by_leader(run)["leader1"]
    assert (line.suspended, line.days_served, line.base, line.withheld, line.net, line.note) == (
        True, 30, Decimal("300.00"), Decimal("0.00"), Decimal("0.00"), "长期未履职")
    assert run.total == Decimal("2400.00")


def test_a_leader_is_suspended_once_for_a_month(api, user):
    body = {"leader": user("leader1").pk, "period": "2026-11", "reason": "长期未履职"}
    url = "/api/v1/payroll/suspensions/"
    assert api("finance1").post(url, body, format="json").status_code == 201
    again = api("finance2").post(url, body, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_suspended")
    assert Suspension.objects.filter(leader=user("leader1"), period=NOV).count() == 1


def test_a_suspension_reaches_a_draft_when_it_is_regenerated(make_run, user):
    run = make_run()
    services.suspend_leader(leader=user("leader2"), period=NOV, reason="停职",
                            actor=user("finance1"))
    assert run.lines.filter(suspended=True).count() == 0
    run = services.regenerate_run(run, actor=user("finance2"))
    assert by_leader(run)["leader2"].net == Decimal("0.00")
    assert (run.total, run.prepared_by) == (Decimal("2400.00"), user("finance2"))


def test_a_month_already_submitted_cannot_be_suspended_nor_lifted(api, make_run, user):
    suspension = services.suspend_leader(leader=user("leader3"), period=NOV, reason="停职",
                                         actor=user("finance1"))
    services.submit_run(make_run(), actor=user("finance1"))
    response = api("finance1").post("/api/v1/payroll/suspensions/", {
        "leader": user("leader2").pk, "period": "2026-11", "reason": "迟了"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "month_closed")
    response = api("finance1").delete(f"/api/v1/payroll/suspensions/{suspension.pk}/")
    assert (response.status_code, response.json()["code"]) == (409, "month_closed")


def test_a_suspension_can_be_lifted_before_the_month_is_submitted(api, make_run, user):
    suspension = services.suspend_leader(leader=user("leader3"), period=NOV, reason="误操作",
                                         actor=user("finance1"))
    response = api("finance1").delete(f"/api/v1/payroll/suspensions/{suspension.pk}/")
    assert response.status_code == 204
    lifted = api("finance1").get(f"/api/v1/payroll/suspensions/{suspension.pk}/").json()
    assert (lifted["active"], lifted["lifted_by"]) == (False, user("finance1").pk)
    assert not make_run().lines.filter(suspended=True).exists()


def test_lifting_records_who_and_why_and_the_month_can_be_suspended_again(api, user):
    suspension = services.suspend_leader(leader=user("leader3"), period=NOV, reason="停职",
                                         actor=user("finance1"))
    client = api("finance2")
    response = client.post(f"/api/v1/payroll/suspensions/{suspension.pk}/lift/",
                           {"reason": "复职"}, format="json")
    assert (response.json()["lift_reason"], response.json()["lifted_by"]) == (
        "复职", user("finance2").pk)
    again = client.post(f"/api/v1/payroll/suspensions/{suspension.pk}/lift/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    services.suspend_leader(leader=user("leader3"), period=NOV, reason="再次停职",
                            actor=user("finance1"))
    assert Suspension.objects.filter(leader=user("leader3"), period=NOV).count() == 2


def test_a_suspension_row_can_be_neither_deleted_nor_rewritten(user):
    suspension = services.suspend_leader(leader=user("leader3"), period=NOV, reason="停职",
                                         actor=user("finance1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Suspension.objects.filter(pk=suspension.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Suspension.objects.filter(pk=suspension.pk).update(reason="改写")


def test_only_finance_staff_over_the_leader_suspend(api, user, finance_hpl):
    body = {"leader": user("leader1").pk, "period": "2026-11", "reason": "x"}
    assert api("finance-hpl").post("/api/v1/payroll/suspensions/", body,
                                   format="json").json()["code"] == "not_a_leader"
    assert api("leader2").post("/api/v1/payroll/suspensions/", body,
                               format="json").status_code == 403


def test_the_nearest_policy_up_the_region_tree_applies(make_run, region, user):
    services.create_policy(region=region(HPL), effective_from=dt.date(2026, 6, 1),
                           monthly_amount=Decimal("400.00"), withholding_percent=Decimal("20.00"),
                           actor=user("finance1"))
    november = by_leader(make_run(code=CITY))
    assert (november["leader10"].base, november["leader10"].withheld, november["leader10"].net) == (
        Decimal("400.00"), Decimal("80.00"), Decimal("320.00"))
    assert (november["leader1"].base, november["leader1"].net) == (Decimal("300.00"),) * 2
    may = by_leader(make_run(period=dt.date(2026, 5, 1), code=CITY))
    assert may["leader10"].net == Decimal("300.00")  # the 和平路 policy starts in June


def test_withholding_twenty_percent_keeps_60_a_month_for_the_pool(make_run, region, user):
    services.create_policy(region=region(CITY), effective_from=DEC,
                           monthly_amount=Decimal("300.00"), withholding_percent=Decimal("20.00"),
                           actor=user("finance1"))
    run = make_run(period=DEC)
    assert {(line.withheld, line.net) for line in run.lines.all()} == {
        (Decimal("60.00"), Decimal("240.00"))}
    assert (run.total_base, run.total_withheld, run.total) == (
        Decimal("2700.00"), Decimal("540.00"), Decimal("2160.00"))


def test_a_policy_change_never_reaches_back_into_an_approved_month(approved_run, region, user):
    with pytest.raises(services.PolicyRetroactive):
        services.create_policy(region=region(CITY), effective_from=NOV,
                               monthly_amount=Decimal("500.00"), actor=user("finance1"))
    services.create_policy(region=region(CITY), effective_from=DEC,
                           monthly_amount=Decimal("500.00"), actor=user("finance1"))
    assert approved_run.lines.filter(net=Decimal("300.00")).count() == 8


def test_a_policy_starts_on_the_first_of_a_month(region, user):
    with pytest.raises(ValidationError):
        services.create_policy(region=region(CITY), effective_from=dt.date(2026, 12, 15),
                               monthly_amount=Decimal("500.00"), actor=user("finance1"))


def test_regenerating_a_draft_picks_up_todays_terms_and_records_it(add_term, make_run, user):
    run = make_run(period=NOV, code=TEST_COMMUNITY)
    add_term(dt.date(2026, 11, 1))
    run = services.regenerate_run(run, actor=user("finance2"))
    assert (run.line_count, run.total) == (1, Decimal("300.00"))
    event = run.events.last()
    assert (event.action, event.actor, event.total, event.line_count) == (
        RunEvent.Action.REGENERATED, user("finance2"), Decimal("300.00"), 1)


def test_only_a_draft_can_be_regenerated(approved_run, user):
    with pytest.raises(InvalidTransition):
        services.regenerate_run(approved_run, actor=user("finance1"))


# --- The SQL against the Python reference -----------------------------------------------

PERIODS = [dt.date(2026, month, 1) for month in range(1, 12)]  # months that have begun
term_spec = st.tuples(st.integers(min_value=-40, max_value=31),  # start: days from the 1st
                      st.one_of(st.none(), st.integers(min_value=0, max_value=60)))  # length


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(period=st.sampled_from(PERIODS),
       monthly_fen=st.integers(min_value=0, max_value=10**9),
       percent_bp=st.integers(min_value=0, max_value=10_000),
       specs=st.lists(term_spec, min_size=1, max_size=5),
       suspend=st.lists(st.booleans(), max_size=5),
       adjustment_fen=st.lists(st.integers(min_value=-90_000, max_value=90_000).filter(bool),
                               max_size=3))
def test_generated_lines_agree_with_the_python_reference(
        add_term, community, region, user, period, monthly_fen, percent_bp, specs, suspend,
        adjustment_fen):
    with transaction.atomic():
        services.create_policy(region=community, effective_from=JAN,
                               monthly_amount=from_fen(monthly_fen),
                               withholding_percent=from_fen(percent_bp), actor=None)
        terms = [add_term(period + dt.timedelta(days=start),
                          None if length is None else period + dt.timedelta(days=start + length))
                 for start, length in specs]
        for term, suspended in zip(terms, suspend):
            if suspended:
                Suspension.objects.create(leader=term.user, period=period, reason="r",
                                          created_by=user("finance1"))
        for fen in adjustment_fen:
            Adjustment.objects.create(leader=terms[0].user, period=period, grid=terms[0].grid,
                                      amount=from_fen(fen), reason="r",
                                      prepared_by=user("finance1"))
        # The street's run: demo leaders fall back to the city policy, ours take a CASE branch.
        run = services.create_run(period=period, region=region("450502001000"),
                                  actor=user("finance1"))
        _assert_lines_match_reference(run, community)
        transaction.set_rollback(True)


def assert_payments_net_the_lines(run) -> None:
    """One payment per payee: the sum of their lines, or 0.00 with the shortfall kept."""
    owed: dict[int, Decimal] = {}
    for leader, net in run.lines.values_list("leader_id", "net"):
        owed[leader] = owed.get(leader, Decimal("0.00")) + net
    payments = {p.leader_id: p for p in run.payments.all()}
    assert payments.keys() == owed.keys()
    for leader, payment in payments.items():
        assert payment.amount >= 0 and payment.shortfall >= 0
        assert payment.amount - payment.shortfall == owed[leader]
    assert sum((p.amount for p in payments.values()), Decimal("0.00")) == run.total


def _assert_lines_match_reference(run, community) -> None:
    """Every line as `payroll.money` computes it, under the policy that should apply."""
    lines = list(run.lines.select_related("leader_term", "policy", "grid", "adjustment"))
    assert sum((line.net for line in lines), Decimal("0.00")) + run.total_carried == run.total
    assert len(lines) == run.line_count
    assert_payments_net_the_lines(run)
    suspended = set(Suspension.objects.filter(period=run.period).values_list("leader", flat=True))
    for line in lines:
        if line.kind == RunLine.Kind.ADJUSTMENT:
            assert line.net == line.adjustments == line.adjustment.amount
            continue
        term, policy = line.leader_term, line.policy
        ours = line.grid.community_id == community.pk
        assert policy.region.code == (TEST_COMMUNITY if ours else CITY)
        days = days_served(term.start_date, term.end_date, run.period)
        base = prorate(policy.monthly_amount, days, days_in_month(run.period))
        withheld = withhold(base, policy.withholding_percent)
        net = base - withheld
        if term.user_id in suspended:
            withheld = net = Decimal("0.00")
        assert (line.days_served, line.base, line.withheld, line.net) == (days, base, withheld, net)
        assert Decimal("0.00") <= line.net <= line.base <= policy.monthly_amount


def test_only_terms_overlapping_the_month_get_lines(add_term, make_run):
    for start, end in [(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                       (dt.date(2026, 12, 1), None), (dt.date(2026, 11, 30), None),
                       (dt.date(2026, 10, 1), dt.date(2026, 11, 1))]:
        add_term(start, end)
    run = make_run(period=NOV, code=TEST_COMMUNITY)
    assert sorted(line.days_served for line in run.lines.all()) == [1, 1]
    assert run.total == Decimal("20.00")
