"""The year-end split: largest remainder in integer fen, and scoring with its bounds.
Pure functions, no database."""

import random
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payroll.yearend.scoring import METRICS, Policy, distribute, normalise
from payroll.yearend.split import (Claim, equal_weights_split, proportional_quotas,
                                   split_fen)


def claims(pool_fen: int, scores: dict[int, Decimal]) -> list[Claim]:
    quotas = proportional_quotas(pool_fen, {t: Fraction(s) for t, s in scores.items()})
    return [Claim(t, s, quotas[t]) for t, s in scores.items()]


def test_three_equal_scores_share_1000_with_the_extra_fen_to_the_lowest_term_id():
    shares = split_fen(100000, claims(100000, {12: Decimal(1), 7: Decimal(1), 30: Decimal(1)}))
    assert shares == {7: 33334, 12: 33333, 30: 33333}


def test_five_fen_over_seven_leaders_go_to_the_five_lowest_term_ids():
    shares = split_fen(5, claims(5, {t: Decimal("0.5") for t in range(1, 8)}))
    assert shares == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0}


def test_a_larger_remainder_wins_before_a_higher_score_and_a_higher_score_before_a_lower_id():
    # quotas 1/3 + 2/3 of 2 fen → 0.666…, 1.333…: the larger remainder (0.666) wins the fen
    assert split_fen(2, claims(2, {1: Decimal(1), 2: Decimal(2)})) == {1: 1, 2: 1}
    equal_remainders = [Claim(1, Decimal(1), Fraction(1, 2)), Claim(2, Decimal(2), Fraction(1, 2))]
    assert split_fen(1, equal_remainders) == {1: 0, 2: 1}


def test_shuffled_input_gives_identical_shares():
    rng = random.Random(16)
    scores = {t: Decimal(rng.choice([1, 2, 3])) for t in range(1, 200)}
    expected = split_fen(123457, claims(123457, scores))
    items = list(claims(123457, scores))
    for _ in range(5):
        rng.shuffle(items)
        assert split_fen(123457, items) == expected


def test_quotas_that_do_not_sum_to_the_pool_are_refused():
    with pytest.raises(ValueError):
        split_fen(100, [Claim(1, Decimal(1), Fraction(99))])


@given(pool=st.integers(min_value=0, max_value=10**13 - 1),
       scores=st.lists(st.decimals(min_value=0, max_value=10**6, places=6), min_size=1,
                       max_size=40))
def test_any_pool_over_any_non_negative_scores_sums_to_the_pool_each_floor_or_ceiling(
        pool, scores):
    by_term = {t: s for t, s in enumerate(scores, start=1)}
    if not any(by_term.values()):
        by_term = dict.fromkeys(by_term, Decimal(1))  # all zero: equal (the caller's rule)
    given_claims = claims(pool, by_term)
    shares = split_fen(pool, given_claims)
    assert sum(shares.values()) == pool
    for claim in given_claims:
        assert shares[claim.term_id] in (int(claim.quota), -(-claim.quota.numerator
                                                             // claim.quota.denominator))


@given(pool=st.integers(min_value=0, max_value=10**9),
       weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30))
def test_the_integer_baseline_agrees_with_the_fraction_split(pool, weights):
    if not any(weights):
        weights = [1] * len(weights)
    rows = [(t, w, w) for t, w in enumerate(weights, start=1)]
    by_term = {t: Decimal(w) for t, w, _ in rows}
    assert equal_weights_split(pool, rows) == split_fen(pool, claims(pool, by_term))


# --- scoring ------------------------------------------------------------------------------

WEIGHTS = {"reports_filed": Decimal("0.5"), "resolved_rate": Decimal("0.5")}


@dataclass(frozen=True)
class Perf:
    term_id: int
    days_served: int
    metrics: dict = field(default_factory=dict)


def perf(term_id: int, days: int = 365, **metrics) -> Perf:
    return Perf(term_id, days, {m: metrics.get(m) for m in METRICS})


def shares(performances, policy=Policy(WEIGHTS), pool="1000.00") -> dict[int, int]:
    pool_fen = int(Decimal(pool) * 100)
    return {s.term_id: s.share_fen for s in distribute(performances, policy, pool_fen=pool_fen,
                                                       days_in_year=365)}


def test_metrics_are_normalised_within_the_distribution_and_reopen_rate_is_reversed():
    assert normalise("reports_filed", 15, Decimal(10), Decimal(20)) == Decimal("0.5000")
    assert normalise("reopen_rate", Decimal("0.1"), Decimal("0.1"), Decimal("0.3")) == 1
    assert normalise("resolved_rate", None, Decimal(0), Decimal(1)) == 0
    assert normalise("reports_filed", 7, Decimal(7), Decimal(7)) == 0


def test_the_breakdown_lists_every_metric_with_raw_normalised_and_weight():
    scored = distribute([perf(1, reports_filed=10), perf(2, reports_filed=20)], Policy(WEIGHTS),
                        pool_fen=100000, days_in_year=365)
    best = scored[1].breakdown
    assert set(best["metrics"]) == set(METRICS)
    assert best["metrics"]["reports_filed"] == {"raw": "20", "normalised": "1.0000",
                                                "weight": "0.5"}
    assert best["metrics"]["rating_mean"] == {"raw": None, "normalised": "0.0000", "weight": "0"}
    assert (scored[1].score, best["composite"]) == (Decimal("0.5"), "0.5000")
    assert [s.share_fen for s in scored] == [0, 100000]


def test_all_zero_scores_split_equally_by_days_served():
    assert shares([perf(1, 300), perf(2, 300), perf(3, 150)], pool="500.00") == {
        1: 20000, 2: 20000, 3: 10000}


def test_a_leader_who_served_half_the_year_scores_half_as_much():
    result = shares([perf(1, reports_filed=20), perf(2, 182, reports_filed=20),
                     perf(3, reports_filed=0)], pool="300.00")
    # scores 0.5 and 0.5 × 182/365 = 0.249315: quotas 300 × 0.5 / 0.749315 = 200.18…
    # and 99.81…
    assert [s.score for s in distribute(
        [perf(1, reports_filed=20), perf(2, 182, reports_filed=20), perf(3, reports_filed=0)],
        Policy(WEIGHTS), pool_fen=30000, days_in_year=365)] == [
        Decimal("0.5"), Decimal("0.249315"), Decimal(0)]
    assert result == {1: 20018, 2: 9982, 3: 0}
    assert sum(result.values()) == 30000


def test_pool_zero_gives_everyone_zero():
    assert shares([perf(1, reports_filed=3), perf(2, reports_filed=5)], pool="0.00") == {
        1: 0, 2: 0}


def test_below_the_minimum_service_the_share_is_zero_and_the_rest_share_the_pool():
    policy = Policy(WEIGHTS, min_days=90)
    result = shares([perf(1, reports_filed=5), perf(2, 46, reports_filed=50),
                     perf(3, reports_filed=5)], policy, pool="100.00")
    assert result == {1: 5000, 2: 0, 3: 5000}


def test_floor_and_cap_bound_each_share_and_the_excess_is_redistributed():
    policy = Policy(WEIGHTS, floor=Decimal("0.5"), cap=Decimal("2"))
    # equal share 100.00: term 1 would take nearly everything, capped at 200.00; the
    # zero scorers are lifted to 50.00 each; the rest is shared by score
    performances = [perf(1, reports_filed=100), perf(2, reports_filed=10), perf(3),
                    perf(4, reports_filed=0), perf(5, reports_filed=0)]
    result = shares(performances, policy, pool="500.00")
    assert result[1] == 20000
    assert result[4] == result[5] == 5000
    assert sum(result.values()) == 50000
    assert all(5000 <= v <= 20000 for v in result.values())


def test_a_pool_with_no_eligible_term_is_refused():
    with pytest.raises(ValueError):
        shares([perf(1, 10)], Policy(WEIGHTS, min_days=90))


@given(pool=st.integers(min_value=0, max_value=10**10),
       rows=st.lists(st.tuples(st.integers(min_value=1, max_value=366),
                               st.integers(min_value=0, max_value=100)), min_size=1, max_size=25),
       bounds=st.sampled_from([(None, None), (Decimal("0.5"), Decimal("2")),
                               (Decimal(1), None), (None, Decimal(1))]))
def test_scored_shares_always_sum_to_the_pool_within_their_bounds(pool, rows, bounds):
    policy = Policy(WEIGHTS, floor=bounds[0], cap=bounds[1])
    performances = [perf(t, days, reports_filed=n) for t, (days, n) in enumerate(rows, start=1)]
    scored = distribute(performances, policy, pool_fen=pool, days_in_year=366)
    assert sum(s.share_fen for s in scored) == pool
    total_days = sum(days for days, _ in rows)
    for s in scored:
        equal = Fraction(pool * s.days_served, total_days)
        if bounds[0] is not None:
            assert s.share_fen >= int(equal * Fraction(bounds[0]))
        if bounds[1] is not None:
            assert s.share_fen <= -(-equal * Fraction(bounds[1]) // 1)


@given(pool=st.integers(min_value=0, max_value=10**10),
       rows=st.lists(st.tuples(st.integers(min_value=1, max_value=366),
                               st.integers(min_value=0, max_value=100)), min_size=1, max_size=25))
def test_without_bounds_the_integer_path_gives_the_fraction_path_shares(pool, rows):
    """`distribute` takes the integer split when no bound applies; a floor of 0 forces
    the exact-fraction path, which must agree."""
    performances = [perf(t, days, reports_filed=n) for t, (days, n) in enumerate(rows, start=1)]
    fast = distribute(performances, Policy(WEIGHTS), pool_fen=pool, days_in_year=366)
    exact = distribute(performances, Policy(WEIGHTS, floor=Decimal(0)), pool_fen=pool,
                       days_in_year=366)
    assert [s.share_fen for s in fast] == [s.share_fen for s in exact]
    assert [s.breakdown["quota"] for s in fast] == [s.breakdown["quota"] for s in exact]
