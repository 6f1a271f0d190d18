"""From leader performance to shares, a pure function (docs/payroll.md "Year-end").

1. Every metric is normalised within the distribution (min-max over its terms): the best
   value is 1, the worst 0; `reopen_rate` is reversed (lower is better). A metric every
   term has equal, or a term has no value for (None, e.g. a rate without reports), is 0.
2. composite = Σ weight × normalised (4 places each); score = composite × days served /
   days in the year, 6 places. The breakdown lists every metric's raw value, normalised
   value and weight, so the figure can be checked by hand.
3. A term that served fewer than `min_days` gets 0.00 (it keeps its breakdown). The others
   share the pool in proportion to their scores (all zero: to their days served), each
   bounded by `floor` and `cap` times its equal share (pool × days / Σ days of the
   eligible terms); what a bound takes or gives is shared among the others in proportion
   again (water-filling, exact fractions).
4. The exact quotas are rounded to the fen by the largest-remainder method (`split`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Protocol

from .split import Claim, equal_weights_split, split_fen

METRICS = ("reports_filed", "resolved_rate", "on_time_rate", "verified_in_window_rate",
           "rating_mean", "reopen_rate", "members_recruited")
LOWER_IS_BETTER = frozenset({"reopen_rate"})
# The documented defaults (docs/payroll.md): volume and outcome first, then timeliness,
# verification, residents' ratings and repeat problems, recruitment last.
DEFAULT_WEIGHTS = {"reports_filed": Decimal("0.25"), "resolved_rate": Decimal("0.20"),
                   "on_time_rate": Decimal("0.20"), "verified_in_window_rate": Decimal("0.10"),
                   "rating_mean": Decimal("0.10"), "reopen_rate": Decimal("0.10"),
                   "members_recruited": Decimal("0.05")}
NORMALISED = Decimal("0.0001")
SCORE = Decimal("0.000001")
ZERO = Decimal(0)


class Performance(Protocol):
    """What `gridapp.selectors.performance.TermPerformance` provides."""

    term_id: int
    days_served: int
    metrics: Mapping[str, int | Decimal | None]


class NothingToShare(ValueError):
    """A pool above 0.00 and no term that may receive it."""


@dataclass(frozen=True)
class Policy:
    """How a region scores: weights per metric, optional bounds as multiples of an equal
    share, and the minimum service for a share."""

    weights: Mapping[str, Decimal]
    floor: Decimal | None = None
    cap: Decimal | None = None
    min_days: int = 0

    def __post_init__(self) -> None:
        if set(self.weights) - set(METRICS) or any(w < 0 for w in self.weights.values()):
            raise ValueError("weights are non-negative and name known metrics")
        if self.floor is not None and not ZERO <= self.floor <= 1:
            raise ValueError("a floor lies between 0 and 1 equal share")
        if self.cap is not None and self.cap < 1:
            raise ValueError("a cap is at least 1 equal share")

    def as_record(self) -> dict:
        """As stored on the distribution (JSON: decimals as strings)."""
        return {"weights": {m: str(w) for m, w in self.weights.items()},
                "floor": _text(self.floor), "cap": _text(self.cap), "min_days": self.min_days}

    @classmethod
    def from_record(cls, record: Mapping) -> "Policy":
        return cls(weights={m: Decimal(w) for m, w in record["weights"].items()},
                   floor=_number(record["floor"]), cap=_number(record["cap"]),
                   min_days=record["min_days"])


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass
class Scored:
    term_id: int
    days_served: int
    score: Decimal
    breakdown: dict
    share_fen: int = 0
    eligible: bool = True
    bound: str | None = None  # "floor" or "cap" when that bound set the quota


def _quantize(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _ranges(performances: Sequence[Performance]) -> dict[str, tuple[Decimal, Decimal]]:
    ranges = {}
    for metric in METRICS:
        values = [Decimal(p.metrics[metric]) for p in performances
                  if p.metrics.get(metric) is not None]
        ranges[metric] = (min(values), max(values)) if values else (ZERO, ZERO)
    return ranges


def normalise(metric: str, raw: int | Decimal | None, low: Decimal, high: Decimal) -> Decimal:
    """0..1 within the distribution, 4 places; 0 when undefined or when all are equal."""
    if raw is None or high == low:
        return _quantize(ZERO, NORMALISED)
    value = Decimal(raw)
    part = (high - value if metric in LOWER_IS_BETTER else value - low) / (high - low)
    return _quantize(part, NORMALISED)


def score_terms(performances: Sequence[Performance], policy: Policy,
                days_in_year: int) -> list[Scored]:
    """Every term's score and breakdown, in the input's order (no shares yet)."""
    ranges = _ranges(performances)
    weights = {metric: Decimal(policy.weights.get(metric, ZERO)) for metric in METRICS}
    # many terms share a value (counts, rounded rates): each is normalised once
    seen: dict[tuple[str, int | Decimal | None], tuple[Decimal, dict]] = {}
    scored = []
    for p in performances:
        metrics, composite = {}, ZERO
        for metric in METRICS:
            raw = p.metrics.get(metric)
            key = (metric, raw)
            if key not in seen:
                normalised = normalise(metric, raw, *ranges[metric])
                seen[key] = (weights[metric] * normalised, {
                    "raw": None if raw is None else str(raw), "normalised": str(normalised),
                    "weight": str(weights[metric])})
            weighted, metrics[metric] = seen[key]
            composite += weighted
        composite = _quantize(composite, NORMALISED)
        score = _quantize(composite * p.days_served / days_in_year, SCORE)
        eligible = p.days_served >= policy.min_days
        scored.append(Scored(
            term_id=p.term_id, days_served=p.days_served, score=score, eligible=eligible,
            breakdown={"metrics": metrics, "composite": str(composite),
                       "days_served": p.days_served, "days_in_year": days_in_year,
                       "eligible": eligible, "min_days": policy.min_days,
                       "bound": None, "quota": "0.0000"}))
    return scored


def bounded_quotas(pool_fen: int, weights: dict[int, Fraction], days: dict[int, int],
                   policy: Policy) -> tuple[dict[int, Fraction], dict[int, str]]:
    """Exact quotas in proportion to `weights` (all zero: to `days`), each within floor
    and cap times its equal share; which bound fixed which term. Water-filling: when the
    excess over the caps outweighs the deficit under the floors, the shares must fall, so
    the capped ones stay capped and are fixed (and the other way round)."""
    total_days = sum(days.values())
    equal = {t: Fraction(pool_fen * d, total_days) for t, d in days.items()}
    low = {t: e * Fraction(policy.floor) if policy.floor is not None else Fraction(0)
           for t, e in equal.items()}
    high = {t: e * Fraction(policy.cap) if policy.cap is not None else None
            for t, e in equal.items()}
    fixed: dict[int, Fraction] = {}
    bounds: dict[int, str] = {}
    while True:
        active = [t for t in weights if t not in fixed]
        rest = Fraction(pool_fen) - sum(fixed.values())
        basis = {t: weights[t] for t in active}
        if not any(basis.values()):
            basis = {t: Fraction(days[t]) for t in active}
        total = sum(basis.values())
        quotas = {t: rest * basis[t] / total for t in active} if total else {}
        over = {t: q - high[t] for t, q in quotas.items() if high[t] is not None and q > high[t]}
        under = {t: low[t] - q for t, q in quotas.items() if q < low[t]}
        if not over and not under:
            return {**fixed, **quotas}, bounds
        excess, deficit = sum(over.values()), sum(under.values())
        if excess >= deficit:
            fixed.update({t: high[t] for t in over})
            bounds.update(dict.fromkeys(over, "cap"))
        if deficit >= excess:
            fixed.update({t: low[t] for t in under})
            bounds.update(dict.fromkeys(under, "floor"))


def distribute(performances: Sequence[Performance], policy: Policy, *, pool_fen: int,
               days_in_year: int) -> list[Scored]:
    """Scores, breakdowns and shares in fen; the shares sum to `pool_fen` exactly. A pool
    above 0 with no eligible term to go to is `NothingToShare`."""
    scored = score_terms(performances, policy, days_in_year)
    share_pool(scored, policy, pool_fen=pool_fen)
    return scored


def share_pool(scored: Sequence[Scored], policy: Policy, *, pool_fen: int) -> None:
    """Set every eligible term's `share_fen` (and its breakdown's bound and quota) from
    the scores alone: what an audit recomputes from the stored shares."""
    eligible = [s for s in scored if s.eligible]
    if pool_fen == 0:
        return
    if not eligible:
        raise NothingToShare("no term served long enough to share the pool")
    if policy.floor is None and policy.cap is None:
        _share_in_proportion(pool_fen, eligible)
        return
    quotas, bounds = bounded_quotas(pool_fen, {s.term_id: Fraction(s.score) for s in eligible},
                                    {s.term_id: s.days_served for s in eligible}, policy)
    shares = split_fen(pool_fen, [Claim(s.term_id, s.score, quotas[s.term_id])
                                  for s in eligible])
    for s in eligible:
        quota = quotas[s.term_id]
        s.bound, s.share_fen = bounds.get(s.term_id), shares[s.term_id]
        s.breakdown["bound"] = s.bound
        s.breakdown["quota"] = _yuan(quota.numerator, quota.denominator)


SCORE_UNITS = 10**6  # a score has 6 places: as an integer weight


def _share_in_proportion(pool_fen: int, eligible: list[Scored]) -> None:
    """Without bounds the quotas are pool × w / W over one integer denominator W, and the
    split is `equal_weights_split`: the same largest remainder, no fractions."""
    weights = {s.term_id: int(s.score * SCORE_UNITS) for s in eligible}
    if not any(weights.values()):
        weights = {s.term_id: s.days_served for s in eligible}
    total = sum(weights.values())
    # ties: the larger remainder, then the higher score, then the lower term id
    shares = equal_weights_split(pool_fen, [(s.term_id, int(s.score * SCORE_UNITS),
                                             weights[s.term_id]) for s in eligible])
    for s in eligible:
        s.share_fen = shares[s.term_id]
        s.breakdown["bound"] = None
        s.breakdown["quota"] = _yuan(pool_fen * weights[s.term_id], total)


def _yuan(fen_numerator: int, denominator: int) -> str:
    """An exact quota in fen, shown in yuan to 4 places (half up)."""
    units = (fen_numerator * 200 + denominator) // (2 * denominator)  # 0.0001 yuan
    return str(Decimal(units).scaleb(-4).quantize(NORMALISED))
