"""Year-end reads, scoped as monthly runs are: finance staff see the distributions of
regions under theirs (administrators all); a leader sees only their own shares, and only
once published."""

from django.db.models import Q, QuerySet

from accounts.models import User
from gridapp.selectors.roles import roles_of

from ..selectors import _scoped
from .models import Appeal, Distribution, DistributionEvent, Share, YearEndPayment

USERS = ("prepared_by", "published_by", "submitted_by", "approved_by", "paid_by")


def visible_distributions(user: User) -> QuerySet[Distribution]:
    return _scoped(Distribution.objects.select_related("region", *USERS), user, "region__code")


def appealable_distributions(user: User) -> QuerySet[Distribution]:
    """The distributions whose appeals the user may read or file: those finance sees, and
    the published ones the user has a share in. To anyone else a distribution does not
    exist (a 404, as for every object out of scope)."""
    mine = Share.objects.filter(leader=user, distribution__status__in=Distribution.SHOWN)
    return Distribution.objects.filter(
        Q(pk__in=visible_distributions(user).values("pk"))
        | Q(pk__in=mine.values("distribution"))).select_related("region")


def distributions_for(user: User, *, year: int | None = None,
                      status: str | None = None) -> QuerySet[Distribution]:
    """The list: newest year first, narrowed by the filters given."""
    distributions = visible_distributions(user)
    if year is not None:
        distributions = distributions.filter(year=year)
    if status is not None:
        distributions = distributions.filter(status=status)
    return distributions.order_by("-year", "region__code", "-id")


def distribution_shares(distribution: Distribution) -> QuerySet[Share]:
    return distribution.shares.select_related("leader", "grid").order_by("leader_term_id")


def distribution_payments(distribution: Distribution) -> QuerySet[YearEndPayment]:
    return distribution.payments.select_related("leader", "grid").order_by("position")


def distribution_events(distribution: Distribution) -> QuerySet[DistributionEvent]:
    return distribution.events.select_related("actor").order_by("id")


def visible_appeals(user: User) -> QuerySet[Appeal]:
    """Appeals of the distributions the user handles, oldest first."""
    appeals = Appeal.objects.select_related("distribution__region", "leader", "decided_by")
    return _scoped(appeals, user, "distribution__region__code").order_by("id")


def appeals_of(distribution: Distribution, user: User) -> QuerySet[Appeal]:
    """Finance over it reads every appeal of a distribution; a leader only their own."""
    appeals = Appeal.objects.filter(distribution=distribution)
    if not roles_of(user).finances(distribution.region.code):
        appeals = appeals.filter(leader=user)
    return appeals.select_related("distribution__region", "leader", "decided_by").order_by("id")


def my_shares(user: User, *, year: int | None = None) -> QuerySet[Share]:
    """A leader's shares in published (and later) distributions: drafts still change,
    cancelled ones never happened."""
    shares = Share.objects.filter(leader=user, distribution__status__in=Distribution.SHOWN)
    if year is not None:
        shares = shares.filter(distribution__year=year)
    return shares.select_related("distribution", "grid").order_by("-distribution__year",
                                                                   "leader_term_id")
