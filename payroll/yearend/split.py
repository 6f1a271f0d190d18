"""Sharing a pool to the fen: the largest-remainder method (Hamilton), in integer fen.

Each claim comes with its exact quota of the pool (a `Fraction` of fen; the quotas sum to
the pool exactly). Every claim gets the floor of its quota; the fen left over (fewer than
the number of claims) go one at a time to the claims with the larger remainder, then the
higher score, then the lower term id. So the shares sum exactly to the pool, each is the
floor or the ceiling of its quota, and the result does not depend on the input order.

`equal_weights_split` is the same algorithm in plain integers (quota = pool × w / Σw),
the baseline the benchmark measures `split_fen` against.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Claim:
    term_id: int
    score: Decimal
    quota: Fraction  # in fen


def split_fen(pool_fen: int, claims: Sequence[Claim]) -> dict[int, int]:
    """term id → share in fen. The quotas must sum to the pool exactly.

    The quotas are put over their common denominator D first, so that floors and
    remainders are one integer `divmod` each and remainders compare as integers: the same
    work as `equal_weights_split`, not 100,000 `Fraction` subtractions."""
    if pool_fen < 0:
        raise ValueError("a pool is never negative")
    denominator = 1
    for claim in claims:
        denominator = math.lcm(denominator, claim.quota.denominator)
    numerators = [c.quota.numerator * (denominator // c.quota.denominator) for c in claims]
    if sum(numerators) != pool_fen * denominator:
        raise ValueError("the quotas must sum to the pool")
    if any(n < 0 for n in numerators):
        raise ValueError("a quota is never negative")
    parts = [(c.term_id, c.score, *divmod(n, denominator)) for c, n in zip(claims, numerators)]
    shares = {term: floor for term, _, floor, _ in parts}
    if len(shares) != len(claims):
        raise ValueError("a term has one claim")
    left = pool_fen - sum(shares.values())
    parts.sort(key=lambda p: (-p[3], -p[1], p[0]))
    for term, *_ in parts[:left]:
        shares[term] += 1
    return shares


def proportional_quotas(pool_fen: int, weights: dict[int, Fraction]) -> dict[int, Fraction]:
    """Each term's exact part of the pool in proportion to its weight (all weights 0: none
    can be given, ValueError)."""
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("at least one weight must be positive")
    return {term: Fraction(pool_fen) * weight / total for term, weight in weights.items()}


def equal_weights_split(pool_fen: int, weights: Sequence[tuple[int, int, int]]) -> dict[int, int]:
    """The same method on integers only: (term id, score as an integer, integer weight)
    → shares. quota = pool × w / W, so floor and remainder are one `divmod` and
    remainders compare as integers over the common denominator W."""
    total = sum(w for _, _, w in weights)
    parts = [(term, score, *divmod(pool_fen * w, total)) for term, score, w in weights]
    shares = {term: floor for term, _, floor, _ in parts}
    left = pool_fen - sum(shares.values())
    parts.sort(key=lambda p: (-p[3], -p[1], p[0]))
    for term, *_ in parts[:left]:
        shares[term] += 1
    return shares
