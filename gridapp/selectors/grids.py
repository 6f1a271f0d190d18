"""Reads that need more than a plain filter: scoping by role and locating points."""

import functools
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.db.models.expressions import Col
from django.db.models.sql import Query
from django.utils import timezone
from shapely.geometry import Point, Polygon, shape

from accounts.models import User
from gridapp import divisions
from gridapp.models import (GRID_SPAN_CACHE_KEY, Department, Grid, GridMembership, LeaderTerm,
                            Region, current_terms_q)

from .roles import roles_of

GRID_SPAN_TTL = 300  # seconds; grid saves also clear it at once
SPAN_EPSILON = 1e-9  # degrees (~0.1 mm): absorbs float rounding of the SQL subtraction
POLYGON_CACHE_SIZE = 10_000  # parsed boundaries kept per process (a rectangle: < 1 KB)


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
    box = {"min_lat__gte": lat - height, "min_lat__lte": lat, "max_lat__gte": lat,
           "min_lng__gte": lng - width, "min_lng__lte": lng, "max_lng__gte": lng}
    point = Point(lng, lat)
    if grids is None:
        return _locate_among_all_grids(box, point)
    for grid in grids.filter(**box).order_by("code"):
        if shape(grid.boundary).covers(point):
            return grid
    return None


def _locate_among_all_grids(box: dict[str, float], point: Point) -> Grid | None:
    """The API's case: what the loop above does over `Grid.objects.all()`, in a third of
    the time (docs/performance.md). The SQL is compiled once, each boundary is parsed
    once, and only the grid found becomes a model instance."""
    alias = Grid.objects.db
    prefilter = _all_grids_prefilter(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(prefilter.sql, [box[lookup] for lookup in prefilter.lookups])
        rows = cursor.fetchall()
    for row in rows:
        if _polygon(row[prefilter.boundary_index]).covers(point):
            return prefilter.grid(row, connection)
    return None


@dataclass(frozen=True)
class _Prefilter:
    """`Grid.objects.filter(**box).order_by("code")` as the ORM compiled it."""

    query: Query
    sql: str
    lookups: tuple[str, ...]  # the box lookup that each %s of `sql` takes
    columns: tuple[Col, ...]  # what `sql` selects, in order
    attnames: tuple[str, ...]  # their model attributes
    boundary_index: int

    def grid(self, row: tuple, connection: BaseDatabaseWrapper) -> Grid:
        """A row as a Grid, through the converters the ORM itself applies."""
        compiler = self.query.get_compiler(connection=connection)
        values = next(compiler.apply_converters([row], compiler.get_converters(self.columns)))
        return Grid.from_db(connection.alias, self.attnames, values)


@functools.cache
def _all_grids_prefilter(alias: str) -> _Prefilter:
    """Compiled once per process and database: building and compiling the queryset took
    250 of a lookup's 400 µs on SQLite. Distinct sentinel values, found again in the
    compiled parameters, tell which lookup each placeholder takes."""
    sentinels = {"min_lat__gte": 1.0, "min_lat__lte": 2.0, "max_lat__gte": 3.0,
                 "min_lng__gte": 4.0, "min_lng__lte": 5.0, "max_lng__gte": 6.0}
    query = Grid.objects.filter(**sentinels).order_by("code").query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    lookup_of = {value: lookup for lookup, value in sentinels.items()}
    columns = tuple(column for column, _sql, _alias in compiler.select)
    attnames = tuple(column.target.attname for column in columns)
    return _Prefilter(query=query, sql=sql, lookups=tuple(lookup_of[p] for p in params),
                      columns=columns, attnames=attnames,
                      boundary_index=attnames.index("boundary"))


@functools.lru_cache(maxsize=POLYGON_CACHE_SIZE)
def _polygon(boundary_json: str) -> Polygon:
    """A boundary as read from the database (JSON text on SQLite and PostgreSQL alike,
    as Django sets them up), parsed once per process. Keyed by the text itself, so an
    edited boundary is a new entry, never a stale hit; the old one ages out."""
    return shape(json.loads(boundary_json))
