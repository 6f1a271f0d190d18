"""Reads that need more than a plain filter: scoping by role and locating points."""

from django.core.cache import cache
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone
from shapely.geometry import Point, shape

from accounts.models import User
from accounts.roles import prefix_q, roles_of

from .models import GRID_SPAN_CACHE_KEY, Grid, GridMembership, LeaderTerm, current_terms_q

GRID_SPAN_TTL = 300  # seconds; grid saves also clear it at once
SPAN_EPSILON = 1e-9  # degrees (~0.1 mm): absorbs float rounding of the SQL subtraction


def visible_grids(user: User) -> QuerySet[Grid]:
    """Staff see the grids under their regions; leaders and members the grids of their
    own communities (neighbours report what they see); administrators all."""
    roles = roles_of(user)
    grids = Grid.objects.all()
    if not roles.is_admin:
        grids = grids.filter(prefix_q("community__code", roles.visible_prefixes())
                             | Q(pk__in=roles.led_grid_ids | roles.member_grid_ids))
    return grids


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
                              | prefix_q("grid__community__code", dispatched))


def grid_max_span() -> tuple[float, float]:
    """The largest height and width of any grid, in degrees (cached).

    `locate` bounds its index range scan with it: a grid containing (lat, lng) has
    min_lat in [lat − height, lat], so only one band of grids is read, not half the city.
    """
    span = cache.get(GRID_SPAN_CACHE_KEY)
    if span is None:
        agg = Grid.objects.aggregate(h=Max(F("max_lat") - F("min_lat")),
                                     w=Max(F("max_lng") - F("min_lng")))
        span = (agg["h"] or 0.0, agg["w"] or 0.0)
        cache.set(GRID_SPAN_CACHE_KEY, span, GRID_SPAN_TTL)
    return span


def locate_grid(lat: float, lng: float, grids: QuerySet[Grid] | None = None) -> Grid | None:
    """The grid containing a GCJ-02 point: bounding boxes in SQL, then the exact test.

    A point on an edge shared by two grids is covered by both; it goes to the grid with
    the smallest code, so every point resolves to exactly one grid.
    """
    height, width = (extent + SPAN_EPSILON for extent in grid_max_span())
    candidates = (grids if grids is not None else Grid.objects.all()).filter(
        min_lat__gte=lat - height, min_lat__lte=lat, max_lat__gte=lat,
        min_lng__gte=lng - width, min_lng__lte=lng, max_lng__gte=lng,
    ).order_by("code")
    point = Point(lng, lat)
    for grid in candidates:
        if shape(grid.boundary).covers(point):
            return grid
    return None
