"""Recomputing an approved year-end distribution from what it stored, for
`manage.py check_payroll`: the pool from the monthly lines it took, every score from its
breakdown, every share from the scores (the same largest remainder), every payment from
the shares, the history from its events, the files from their hashes."""

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from ..audit import approval_problems, move_problems
from ..money import ZERO, from_fen, to_fen
from . import scoring
from .models import Appeal, Distribution, DistributionEvent, Share
from .services import TRANSITIONS, withheld_pool

S = Distribution.Status
A = DistributionEvent.Action
# the events that move the status: action → (the statuses it may start from, where it ends)
EVENT_MOVES = {A.CREATED: (("",), S.DRAFT),
               **{event: (starts, after) for starts, after, event in TRANSITIONS.values()}}


def audit_distribution(distribution: Distribution) -> list[str]:
    """Every way the distribution disagrees with itself; empty when it is sound."""
    shares = list(distribution.shares.order_by("leader_term_id"))
    return [*_pool_problems(distribution), *_share_problems(distribution, shares),
            *_payment_problems(distribution, shares), *_event_problems(distribution),
            *_appeal_problems(distribution), *_export_problems(distribution)]


def distributions_to_check() -> Iterator[Distribution]:
    return (Distribution.objects.filter(status__in=Distribution.FROZEN)
            .select_related("region").order_by("id").iterator())


def _pool_problems(distribution: Distribution) -> list[str]:
    withheld = withheld_pool(distribution.year, distribution.region,
                             approved_by=distribution.prepared_at)
    problems = []
    if withheld != distribution.withheld_pool:
        problems.append(f"the monthly lines it took withheld {withheld}, the distribution "
                        f"says {distribution.withheld_pool}")
    if distribution.withheld_pool + distribution.extra_pool != distribution.pool:
        problems.append(f"withheld {distribution.withheld_pool} and extra "
                        f"{distribution.extra_pool} do not make the pool {distribution.pool}")
    return problems


def _share_problems(distribution: Distribution, shares: list[Share]) -> Iterator[str]:
    total = sum((share.amount for share in shares), ZERO)
    if total != distribution.pool:
        yield f"shares sum to {total}, the pool is {distribution.pool}"
    if len(shares) != distribution.share_count:
        yield f"{len(shares)} shares, the distribution says {distribution.share_count}"
    for share in shares:
        if (score := _score(share)) != share.score:
            yield f"share {share.pk}: score is {share.score}, its breakdown makes {score}"
    rescored = [scoring.Scored(term_id=share.leader_term_id, days_served=share.days_served,
                               score=share.score, breakdown={},
                               eligible=share.breakdown["eligible"])
                for share in shares]
    try:
        scoring.share_pool(rescored, scoring.Policy.from_record(distribution.policy),
                           pool_fen=to_fen(distribution.pool))
    except scoring.NothingToShare:
        yield "no share may receive the pool"
        return
    for share, again in zip(shares, rescored):
        if from_fen(again.share_fen) != share.amount:
            yield (f"share {share.pk}: {share.amount}, its score and the policy give "
                   f"{from_fen(again.share_fen)}")
        for name in ("quota", "bound"):
            if again.breakdown and again.breakdown[name] != share.breakdown[name]:
                yield (f"share {share.pk}: its breakdown's {name} is {share.breakdown[name]}, "
                       f"recomputed {again.breakdown[name]}")


def _score(share: Share) -> Decimal:
    breakdown = share.breakdown
    composite = sum((Decimal(m["weight"]) * Decimal(m["normalised"])
                     for m in breakdown["metrics"].values()), ZERO)
    composite = composite.quantize(scoring.NORMALISED)
    score = composite * breakdown["days_served"] / breakdown["days_in_year"]
    return score.quantize(scoring.SCORE)


def _payment_problems(distribution: Distribution, shares: list[Share]) -> Iterator[str]:
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for share in shares:
        owed[share.leader_id] += share.amount
    payments = list(distribution.payments.all())
    for payment in payments:
        if payment.amount != owed.pop(payment.leader_id, None):
            yield (f"payment {payment.position}: {payment.amount} to leader "
                   f"{payment.leader_id}, whose shares make {owed.get(payment.leader_id)}")
    for leader, amount in owed.items():
        yield f"leader {leader} has shares of {amount} and no payment"
    if len(payments) != distribution.payment_count:
        yield f"{len(payments)} payments, the distribution says {distribution.payment_count}"


def _event_problems(distribution: Distribution) -> list[str]:
    moves = [e for e in distribution.events.order_by("id") if e.action in EVENT_MOVES]
    return (move_problems(moves, EVENT_MOVES, distribution.status, "distribution")
            + approval_problems(moves, A.APPROVED, distribution, ("pool",), "distribution"))


def _appeal_problems(distribution: Distribution) -> list[str]:
    return [f"appeal {appeal.pk} is still {appeal.status}"
            for appeal in distribution.appeals.exclude(status=Appeal.Status.DISMISSED)]


def _export_problems(distribution: Distribution) -> list[str]:
    return [f"{export.format} file does not match its sha256"
            for export in distribution.exports.all()
            if hashlib.sha256(bytes(export.content)).hexdigest() != export.sha256]
