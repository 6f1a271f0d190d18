"""Who sees which reports, and the querysets the report endpoints read.

A report carries its community's 12-digit code (`region_code`), so "under this region"
is one range on that indexed column (`gridapp.divisions`).
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (Avg, BooleanField, CharField, Count, F, Func, Prefetch,
                              Q, QuerySet, Subquery, Value)
from django.db.models.functions import Floor

from accounts.models import User
from gridapp import divisions
from gridapp.models import Category, Photo, Region, Report, ReportEvent

from .roles import roles_of


def visible_reports(user: User) -> QuerySet[Report]:
    """A reporter sees their own reports (and the originals they were merged into); a
    leader also their grids'; a dispatcher those under their regions; a handler those
    dispatched to their department; administrators all. Finance staff see nothing but
    what they reported themselves."""
    roles = roles_of(user)
    if roles.is_admin:
        return Report.objects.all()
    # A reporter whose report was merged follows the original (a subquery, not a join).
    followed = Report.objects.filter(reporter=user, duplicate_of__isnull=False).values(
        "duplicate_of")
    q = Q(reporter=user) | _pk_in(followed) | _under_regions(
        {region.prefix for region in roles.dispatcher_regions})
    if roles.led_grid_ids:
        q |= Q(grid_id__in=roles.led_grid_ids)
    if roles.handler_departments:
        q |= Q(department_id__in=[d.pk for d in roles.handler_departments])
    return Report.objects.filter(q)


# A prefix this short is a city or a district: most of the reports there are.
BROAD_PREFIX = len("450502")


def _under_regions(prefixes: set[str]) -> Q:
    """Reports under a dispatcher's regions. On SQLite a broad region (a city or a
    district) is tested in a form no index serves: given an index for it, SQLite gathers
    every report of the region and sorts them all for a page of 20, where walking the
    newest-first index and testing each row stops after a few dozen (a city's first page
    of 200,000 reports: 300 ms against a few; docs/performance.md). A narrow region keeps
    its index range, and PostgreSQL, whose planner weighs both with statistics, always
    does."""
    if settings.IS_POSTGRES:
        return divisions.under_q("region_code", prefixes)
    narrow = {p for p in prefixes if len(p) > BROAD_PREFIX}
    q = divisions.under_q("region_code", narrow)
    for prefix in prefixes - narrow:
        q |= Q(region_code__startswith=prefix)
    return q


class _InArray(Func):
    """`field = ANY(ARRAY(subquery))` (PostgreSQL)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra) -> tuple[str, tuple]:
        (field, field_params), (ids, ids_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return f"{field} = ANY(ARRAY{ids})", (*field_params, *ids_params)


def _pk_in(ids: QuerySet) -> Q:
    """`pk IN (subquery)`, but on PostgreSQL as `pk = ANY(ARRAY(subquery))`: inside an OR,
    IN (subquery) is a SubPlan tested row by row, so a member's list and its count read
    every report (3 ms at 10,000 reports, growing with the table: benchmarks/load.py);
    ARRAY() runs once (an InitPlan) and leaves an indexable id test, so the OR becomes a
    BitmapOr of index scans (0.1 ms, whatever the table's size). Same single query."""
    if settings.IS_POSTGRES:
        return Q(_InArray(F("pk"), Subquery(ids.order_by())))
    return Q(pk__in=ids)


def reportable_categories() -> QuerySet[Category]:
    """What a report may take: active categories without children (a leaf)."""
    return Category.objects.filter(active=True, children__isnull=True).select_related("parent")


def sees_flags(user: User) -> bool:
    """Flags (content check, photo distance) are for the command centre."""
    roles = roles_of(user)
    return roles.is_admin or roles.is_dispatcher


# The columns a page of reports reads: the report's own, and of the rows it joins only
# what the list shows (not a grid's boundary, a reporter's password hash, a category's
# time limits), which Django would otherwise compile into the query and build into each
# row's objects.
LIST_COLUMNS = (*(field.name for field in Report._meta.concrete_fields),
                "category__code", "category__name", "category__parent__name", "grid__code",
                "reporter__display_name", "reporter__phone", "department__name",
                "suggested_department__name")


def with_list_details(reports: QuerySet[Report]) -> QuerySet[Report]:
    """What the list serializer reads, in one query, no column more (the photos' count
    and thumbnail are the report's own)."""
    return (reports.select_related("category__parent", "grid", "reporter", "department",
                                   "suggested_department")
            .only(*LIST_COLUMNS))


DETAIL_RELATED = ("category__parent", "grid", "reporter", "department", "suggested_department",
                  "project")


def with_details(reports: QuerySet[Report]) -> QuerySet[Report]:
    """What a report's page reads: the rows joined whole, its photos and timeline."""
    events = ReportEvent.objects.select_related("actor").order_by("at", "pk")
    return (reports.select_related(*DETAIL_RELATED)
            .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("pk")),
                              Prefetch("events", queryset=events)))


def filed_with_details(report: Report, *, photos: list[Photo],
                       submission: ReportEvent) -> Report:
    """A report this request filed, ready for the detail's serializer as `with_details`
    would read it back, from the rows in hand instead of reading again what was just
    written (a third of a new report's time): its related rows are the objects it was
    filed with (`DETAIL_RELATED`: the category with its parent, the grid, the reporter,
    the project or none), `photos` are all it has and `submission` is its timeline.
    tests/gridapp/test_reports.py holds the answer equal to the detail's."""
    _prefetched(report, "photos", sorted(photos, key=lambda photo: photo.pk))
    _prefetched(report, "events", [submission])
    return report


def _prefetched(report: Report, relation: str, rows: list) -> None:
    """`report.<relation>.all()` answered from `rows`, the way `prefetch_related` fills
    Django's cache (a queryset whose results are already there)."""
    queryset = getattr(report, relation).all()
    queryset._result_cache, queryset._prefetch_done = rows, True
    report.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset


@dataclass(frozen=True)
class ReportFilter:
    """The filters of `GET /reports/` and the map, already parsed and validated."""

    statuses: tuple[str, ...] = ()
    category: Category | None = None
    grid_id: int | None = None
    region: Region | None = None
    mine: bool = False
    bbox: tuple[float, float, float, float] | None = None  # min lng, min lat, max lng, max lat
    level: str | None = None
    urgent: bool | None = None
    flagged: bool | None = None


def filter_reports(reports: QuerySet[Report], f: ReportFilter, *, user: User) -> QuerySet[Report]:
    if f.statuses:
        reports = reports.filter(status__in=f.statuses)
    if f.category is not None:  # a first-level category means all of its children
        reports = reports.filter(Q(category=f.category) | Q(category__parent=f.category))
    if f.grid_id is not None:
        reports = reports.filter(grid_id=f.grid_id)
    if f.region is not None:
        reports = reports.filter(region_code__range=divisions.code_range(f.region.prefix))
    if f.mine:
        reports = reports.filter(reporter=user)
    if f.bbox is not None:
        min_lng, min_lat, max_lng, max_lat = f.bbox
        reports = reports.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
    if f.level:
        reports = reports.filter(level=f.level)
    if f.urgent is not None:
        reports = reports.filter(urgent=f.urgent)
    if f.flagged is not None:
        flagged = Q(location_suspect=True) | Q(content_check__in=[
            Report.ContentCheck.REVIEW, Report.ContentCheck.RISKY])
        reports = reports.filter(flagged if f.flagged else ~flagged)
    return reports


def traffic_lights(reports: QuerySet[Report], now: dt.datetime) -> Counter:
    """How many of `reports` stand at each (status, traffic light) at `now`, the light
    (None: no clock runs) computed by the database as `Report.traffic_light` computes it:
    one GROUP BY, where loading a city's open reports to ask each took seconds."""
    rows = (reports.annotate(light=_TrafficLight(now)).values("status", "light")
            .annotate(n=Count("*")).order_by().values_list("status", "light", "n"))
    return Counter({(status, light): n for status, light, n in rows})


def by_light(counts: Counter) -> Counter:
    """`traffic_lights`' counts summed over the statuses: light → how many."""
    lights = Counter()
    for (_status, light), n in counts.items():
        lights[light] += n
    return lights


class _TrafficLight(Func):
    """`Report.traffic_light(now)` as one SQL expression over the clock columns. Written
    out rather than built of Case and When: those cost 3 ms of Python to put together,
    more than counting a dispatcher's queue. 80 % is decided in whole microseconds
    (5 × used < 4 × total): PostgreSQL's intervals; SQLite's text (UTC, `YYYY-MM-DD
    HH:MM:SS[.ffffff]`, as Django stores it) read as seconds and six digits of fraction."""

    output_field = CharField()
    COLUMNS = ("status", "due_at", "accept_due_at", "created_at", "sla_started_at")

    def __init__(self, now: dt.datetime) -> None:
        super().__init__(*(F(column) for column in self.COLUMNS), Value(now))

    def as_sql(self, compiler, connection, **extra) -> tuple[str, tuple]:
        *columns, (now_sql, now_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        column = dict(zip(self.COLUMNS, (sql for sql, _no_params in columns), strict=True))
        status, due_at = column["status"], column["due_at"]
        # `now` is the one parameter, written more than once (twice in each _micro): a
        # marker here, counted and replaced by its SQL at the end, one `now` per use
        now = "\x00now\x00"
        # before the first accept, the receiving clock (Report.traffic_light)
        receiving = f"{due_at} IS NULL AND {status} = '{Report.Status.SUBMITTED}'"
        due = f"(CASE WHEN {receiving} THEN {column['accept_due_at']} ELSE {due_at} END)"
        start = (f"(CASE WHEN {receiving} THEN {column['created_at']}"
                 f" ELSE {column['sla_started_at']} END)")
        if connection.vendor == "postgresql":
            green = f"5 * ({now} - {start}) < 4 * ({due} - {start})"
        else:
            green = f"5 * ({_micro(now)} - {_micro(start)}) < 4 * ({_micro(due)} - {_micro(start)})"
        open_ = ", ".join(f"'{value}'" for value in Report.OPEN_STATUSES)
        sql = (f"CASE WHEN {status} IN ({open_}) AND {due} IS NOT NULL AND {start} IS NOT NULL"
               f" THEN CASE WHEN {now} > {due} THEN 'red' WHEN {green} THEN 'green'"
               " ELSE 'yellow' END END")
        return sql.replace(now, now_sql), tuple(now_params) * sql.count(now)


def _micro(sql: str) -> str:
    """The whole microseconds since 1970 of a moment as Django writes it to SQLite (`YYYY-
    MM-DD HH:MM:SS` and six digits of fraction if any; not SQLite's own three, which no
    clock column holds). The seconds from the text cut before its fraction: SQLite's own
    reading keeps milliseconds, rounded (59.999999 s would count as a minute)."""
    return (f"(CAST(strftime('%%s', substr({sql}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({sql} || '.000000', 21, 6) AS INTEGER))")


MAP_FIELDS = ("pk", "number", "status", "level", "urgent", "lat", "lng", "created_at",
              "category__code", "category__name")


def map_rows(reports: QuerySet[Report], limit: int) -> list[dict]:
    """The newest `limit` reports as plain rows for GeoJSON (no model instances)."""
    return list(reports.order_by("-created_at", "-pk").values(*MAP_FIELDS)[:limit])


CELLS_PER_TILE = 4  # a cluster per quarter of a 256-pixel tile: about 64 pixels across


def clusters_geojson(reports: QuerySet[Report], zoom: int) -> dict:
    """`clusters` as the GeoJSON FeatureCollection the API and the console's map serve."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [round(c["lng"], 6), round(c["lat"], 6)]},
         "properties": {"count": c["count"], "by_status": c["by_status"]}}
        for c in clusters(reports, zoom)]}


def clusters(reports: QuerySet[Report], zoom: int) -> list[dict]:
    """Reports grouped in SQL into square cells sized for the zoom level: each cell's
    count, centre of mass and counts by status. Cells are snapped to a grid of degrees
    (not the Web Mercator tiles exactly), which is what a cluster on a wall map needs."""
    cell = 360 / 2 ** zoom / CELLS_PER_TILE
    by_status = {f"n_{status}": Count("pk", filter=Q(status=status))
                 for status in Report.Status.values}
    rows = (reports.annotate(cell_lat=Floor(F("lat") / cell), cell_lng=Floor(F("lng") / cell))
            .values("cell_lat", "cell_lng")
            .annotate(count=Count("pk"), centre_lat=Avg("lat"), centre_lng=Avg("lng"),
                      **by_status)
            .order_by("-count", "cell_lat", "cell_lng"))
    return [{"count": row["count"], "lat": row["centre_lat"], "lng": row["centre_lng"],
             "by_status": {status: row[f"n_{status}"] for status in Report.Status.values
                           if row[f"n_{status}"]}} for row in rows]
