"""Reads that need more than a plain filter: scoping by role and locating points."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from gridapp import divisions
from gridapp.models import Department, Grid, GridMembership, LeaderTerm, Region, current_terms_q

from . import grid_index
from .roles import roles_of


def visible_grids(user: User) -> QuerySet[Grid]:
    """Staff see the grids under their regions; leaders and members the grids of their
    own communities (neighbours report what they see); administrators all."""
    roles = roles_of(user)
    grids = Grid.objects.all()
    if not roles.is_admin:
        grids = grids.filter(divisions.under_q("community__code", roles.visible_prefixes())
                             | Q(pk__in=roles.led_grid_ids | roles.member_grid_ids))
    return grids


def regions(*, parent: Region | None = None, level: str | None = None) -> QuerySet[Region]:
    """Reference data: every signed-in user may read it."""
    found = Region.objects.all()
    if parent is not None:
        found = found.filter(parent=parent)
    return found.filter(level=level) if level else found


def departments(*, region: Region | None = None) -> QuerySet[Department]:
    found = Department.objects.all()
    return found.filter(region=region) if region is not None else found


def visible_grids_under(user: User, region: Region | None) -> QuerySet[Grid]:
    grids = visible_grids(user)
    if region is None:
        return grids
    return grids.filter(divisions.under_q("community__code", (region.prefix,)))


def grids_for(user: User, *, region: Region | None = None, mine: bool = False) -> QuerySet[Grid]:
    """The grid list: what `user` may see, under `region`, or only their own."""
    grids = visible_grids_under(user, region)
    if mine:
        roles = roles_of(user)
        grids = grids.filter(pk__in=roles.led_grid_ids | roles.member_grid_ids)
    return with_details(grids).order_by("code")


def grid_members(grid: Grid, *, status: str | None = None,
                 member_type: str | None = None) -> QuerySet[GridMembership]:
    members = grid.memberships.select_related("user").order_by("created_at")
    if status:
        members = members.filter(status=status)
    return members.filter(member_type=member_type) if member_type else members


def with_details(grids: QuerySet[Grid]) -> QuerySet[Grid]:
    """What the grid serializer reads, in a constant number of queries."""
    today = timezone.localdate()
    current = LeaderTerm.objects.filter(current_terms_q(today)).select_related("user")
    return (grids.select_related("community")
            .prefetch_related(Prefetch("leader_terms", queryset=current, to_attr="current_terms"))
            .annotate(member_count=Count("memberships", distinct=True,
                                         filter=Q(memberships__status=GridMembership.Status.ACTIVE))))


def visible_memberships(user: User) -> QuerySet[GridMembership]:
    """One's own memberships, and those of grids one leads or dispatches for."""
    roles = roles_of(user)
    memberships = GridMembership.objects.select_related("grid__community", "user")
    if roles.is_admin:
        return memberships
    dispatched = tuple(r.prefix for r in roles.dispatcher_regions)
    return memberships.filter(Q(user=user) | Q(grid_id__in=roles.led_grid_ids)
                              | divisions.under_q("grid__community__code", dispatched))


def locate_grid(lat: float, lng: float) -> Grid | None:
    """The grid containing a GCJ-02 point, from the in-process index (`grid_index`).

    A point on an edge shared by two grids is covered by both; it goes to the grid with
    the smallest code, so every point resolves to exactly one grid.
    """
    return grid_index.locate(lat, lng, Grid.objects.db)
