"""Reads of governance projects: who sees which, what each one's figures are, and the
suggestions — classes of problems worth a project, computed in SQL from the reports as
they are at the time of the request."""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Floor, Substr

from accounts.models import User
from gridapp import divisions, geo
from gridapp.models import Project, Region, Report

from .reports import visible_reports
from .roles import roles_of

NOT_A_PROBLEM = (Report.Status.REJECTED, Report.Status.DUPLICATE)
DONE = (Report.Status.RESOLVED, Report.Status.CLOSED)
METRES_PER_DEGREE = 111_320.0
MAX_SUGGESTIONS = 100


def visible_projects(user: User) -> QuerySet[Project]:
    """Scoped like reports: the dispatchers over its region, its department's staff,
    whoever sees one of its reports, administrators all."""
    roles = roles_of(user)
    projects = Project.objects.select_related("category", "region", "department")
    if roles.is_admin:
        return projects
    q = divisions.under_q("region__code", {r.prefix for r in roles.dispatcher_regions})
    q |= Q(department__in=[d.pk for d in roles.handler_departments])
    q |= Q(pk__in=visible_reports(user).filter(project__isnull=False).values("project"))
    return projects.filter(q)


def may_manage(user: User, project_region: Region) -> bool:
    """Dispatchers over the region (and administrators) make and move projects."""
    return roles_of(user).dispatches(project_region.code)


def figures(project: Project) -> dict:
    """The project's reports counted by where they stand, in one query."""
    return project.reports.aggregate(
        reports=Count("pk"), open=Count("pk", filter=Q(status__in=Report.OPEN_STATUSES)),
        resolved=Count("pk", filter=Q(status__in=DONE)),
        joined_later=Count("pk", filter=Q(created_at__gt=project.created_at)))


# --- suggestions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    kind: str  # "region": one street (or a larger region); "nearby": within the radius
    category_id: int
    region: Region
    report_ids: list[int]
    centroid: tuple[float, float]
    radius_m: float


def suggestions(user: User, *, now: dt.datetime) -> list[Suggestion]:
    """At least PROJECT_SUGGESTION_MIN_REPORTS reports of one category, from the last
    PROJECT_SUGGESTION_DAYS days and in none of the projects, either in one street or in
    one cell of PROJECT_SUGGESTION_RADIUS_M around (cells snapped to a grid, in SQL), in
    the user's regions. Largest first."""
    roles = roles_of(user)
    candidates = Report.objects.filter(
        created_at__gte=now - dt.timedelta(days=settings.PROJECT_SUGGESTION_DAYS),
        project__isnull=True).exclude(status__in=NOT_A_PROBLEM)
    if not roles.is_admin:
        candidates = candidates.filter(divisions.under_q(
            "region_code", {r.prefix for r in roles.dispatcher_regions}))
    groups = [*_street_groups(candidates), *_nearby_groups(candidates)]
    return _suggestions(candidates, groups)


@dataclass(frozen=True)
class Group:
    """A group found by the GROUP BY: the condition that fetches its reports, and the same
    condition on a fetched row (pk, category, community code, lat, lng)."""
    kind: str
    q: Q
    holds: Callable[[tuple], bool]


def _street_groups(reports: QuerySet[Report]) -> list[Group]:
    street = divisions.PREFIX_LENGTH["street"]
    rows = (reports.annotate(street=Substr("region_code", 1, street))
            .values("category_id", "street").annotate(n=Count("pk"))
            .filter(n__gte=settings.PROJECT_SUGGESTION_MIN_REPORTS).order_by())
    return [Group("region", Q(category_id=row["category_id"],
                              region_code__range=divisions.code_range(row["street"])),
                  lambda r, c=row["category_id"], p=row["street"]: r[1] == c
                  and divisions.is_under(r[2], p))
            for row in rows]


def _nearby_groups(reports: QuerySet[Report]) -> list[Group]:
    cell = settings.PROJECT_SUGGESTION_RADIUS_M * 2 / METRES_PER_DEGREE
    rows = (reports.annotate(cell_lat=Floor(F("lat") / cell), cell_lng=Floor(F("lng") / cell))
            .values("category_id", "cell_lat", "cell_lng").annotate(n=Count("pk"))
            .filter(n__gte=settings.PROJECT_SUGGESTION_MIN_REPORTS).order_by())
    return [Group("nearby", Q(category_id=row["category_id"],
                              lat__gte=row["cell_lat"] * cell, lat__lt=(row["cell_lat"] + 1) * cell,
                              lng__gte=row["cell_lng"] * cell, lng__lt=(row["cell_lng"] + 1) * cell),
                  lambda r, c=row["category_id"], y=row["cell_lat"], x=row["cell_lng"]: r[1] == c
                  and math.floor(r[3] / cell) == y and math.floor(r[4] / cell) == x)
            for row in rows]


def _suggestions(reports: QuerySet[Report], groups: list[Group]) -> list[Suggestion]:
    """Each group's reports in one query for all groups; a nearby group that is exactly a
    street's is said once."""
    if not groups:
        return []
    groups = groups[:MAX_SUGGESTIONS]
    union = Q()
    for group in groups:
        union |= group.q
    rows = list(reports.filter(union).values_list("pk", "category_id", "region_code", "lat",
                                                  "lng").order_by("created_at", "pk"))
    chosen, seen = [], set()
    for group in groups:
        members = [row for row in rows if group.holds(row)]
        ids = frozenset(row[0] for row in members)
        if len(ids) >= settings.PROJECT_SUGGESTION_MIN_REPORTS and ids not in seen:
            seen.add(ids)
            chosen.append((group.kind, members, _common_region([row[2] for row in members])))
    regions = Region.objects.in_bulk([code for _k, _m, code in chosen], field_name="code")
    found = [_suggestion(kind, members, regions[code])
             for kind, members, code in chosen if code in regions]
    return sorted(found, key=lambda s: (-len(s.report_ids), s.kind, s.region.code))


def _suggestion(kind: str, rows: list[tuple], region: Region) -> Suggestion:
    lat = sum(row[3] for row in rows) / len(rows)
    lng = sum(row[4] for row in rows) / len(rows)
    radius = max(geo.distance_m(lat, lng, row[3], row[4]) for row in rows)
    return Suggestion(kind, rows[0][1], region, [row[0] for row in rows],
                      (round(lat, 6), round(lng, 6)), round(radius, 1))


def _common_region(codes: list[str]) -> str:
    """The code of the smallest region containing every community in `codes`."""
    for level in reversed(divisions.LEVELS_TOP_DOWN):
        if len({divisions.prefix(code, level) for code in codes}) == 1:
            return divisions.code_at(codes[0], level)
    return codes[0]
