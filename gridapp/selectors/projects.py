"""Reads of governance projects: who sees which, what each one's figures are, and the
suggestions — classes of problems worth a project, computed in SQL from the reports as
they are at the time of the request."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Window
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


def report_counts(path: str = "") -> dict[str, Count]:
    """Reports, open and resolved, counted over the reports at `path` ("" from a report,
    "reports__" from a project)."""
    pk, status = f"{path}pk", f"{path}status__in"
    return {"reports": Count(pk), "open": Count(pk, filter=Q(**{status: Report.OPEN_STATUSES})),
            "resolved": Count(pk, filter=Q(**{status: DONE}))}


def with_report_counts(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Each project with `n_reports`, `n_open` and `n_resolved`, in the same query."""
    return projects.annotate(**{f"n_{name}": count
                                for name, count in report_counts("reports__").items()})


def figures(project: Project) -> dict:
    """The project's reports counted by where they stand, in one query."""
    return project.reports.aggregate(
        **report_counts(), joined_later=Count("pk", filter=Q(created_at__gt=project.created_at)))


# --- suggestions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    kind: str  # "region": one street (or a larger region); "nearby": within the radius
    category_id: int
    region: Region
    report_ids: list[int]
    centroid: tuple[float, float]
    radius_m: float
    reached_at: dt.datetime  # when the group reached the size of a suggestion


class Member(NamedTuple):
    """A report of a group, as fetched."""
    pk: int
    category_id: int
    region_code: str
    lat: float
    lng: float
    created_at: dt.datetime


def suggestions(user: User, *, now: dt.datetime) -> list[Suggestion]:
    """The suggestions in the user's regions (all of them for an administrator)."""
    roles = roles_of(user)
    return find_suggestions(
        None if roles.is_admin else {r.prefix for r in roles.dispatcher_regions}, now=now)


def find_suggestions(prefixes: set[str] | None, *, now: dt.datetime,
                     limit: int | None = MAX_SUGGESTIONS) -> list[Suggestion]:
    """At least PROJECT_SUGGESTION_MIN_REPORTS reports of one category, from the last
    PROJECT_SUGGESTION_DAYS days and in none of the projects, either in one street or in
    one cell of PROJECT_SUGGESTION_RADIUS_M around (cells snapped to a grid), under
    `prefixes` (None: everywhere). Largest first, at most `limit`; each one's reports
    oldest first.

    One query: window counts over (category, street) and (category, cell) keep exactly
    the reports of a large enough group, which are then put in their groups by key."""
    candidates = Report.objects.filter(
        created_at__gte=now - dt.timedelta(days=settings.PROJECT_SUGGESTION_DAYS),
        project__isnull=True).exclude(status__in=NOT_A_PROBLEM)
    if prefixes is not None:
        candidates = candidates.filter(divisions.under_q("region_code", prefixes))
    least = settings.PROJECT_SUGGESTION_MIN_REPORTS
    cell = settings.PROJECT_SUGGESTION_RADIUS_M * 2 / METRES_PER_DEGREE
    street = Substr("region_code", 1, divisions.PREFIX_LENGTH["street"])
    cell_lat, cell_lng = Floor(F("lat") / cell), Floor(F("lng") / cell)
    rows = (candidates
            .annotate(street=street, cell_lat=cell_lat, cell_lng=cell_lng,
                      in_street=Window(Count("pk"), partition_by=[F("category_id"), street]),
                      in_cell=Window(Count("pk"),
                                     partition_by=[F("category_id"), cell_lat, cell_lng]))
            .filter(Q(in_street__gte=least) | Q(in_cell__gte=least))
            .values_list(*Member._fields, "street", "in_street", "cell_lat", "cell_lng",
                         "in_cell")
            .order_by("created_at", "pk"))
    groups: dict[tuple, list[Member]] = defaultdict(list)
    for *fields, street_code, in_street, y, x, in_cell in rows:
        member = Member(*fields)
        if in_street >= least:
            groups["region", member.category_id, street_code].append(member)
        if in_cell >= least:
            groups["nearby", member.category_id, int(y), int(x)].append(member)
    return _suggestions(groups, limit)


def _suggestions(groups: dict[tuple, list[Member]], limit: int | None) -> list[Suggestion]:
    """The largest groups; a nearby group that is exactly a street's is said once."""
    largest = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0][0] == "nearby",
                                                       item[0]))
    chosen, seen = [], set()
    for (kind, *_key), members in largest:
        if limit is not None and len(chosen) == limit:
            break
        ids = frozenset(member.pk for member in members)
        if ids not in seen:
            seen.add(ids)
            chosen.append((kind, members, _common_region([m.region_code for m in members])))
    regions = Region.objects.in_bulk([code for _k, _m, code in chosen], field_name="code")
    found = [_suggestion(kind, members, regions[code])
             for kind, members, code in chosen if code in regions]
    return sorted(found, key=lambda s: (-len(s.report_ids), s.kind, s.region.code))


def _suggestion(kind: str, members: list[Member], region: Region) -> Suggestion:
    lat = sum(m.lat for m in members) / len(members)
    lng = sum(m.lng for m in members) / len(members)
    radius = max(geo.distance_m(lat, lng, m.lat, m.lng) for m in members)
    return Suggestion(kind, members[0].category_id, region, [m.pk for m in members],
                      (round(lat, 6), round(lng, 6)), round(radius, 1),
                      reached_at=members[settings.PROJECT_SUGGESTION_MIN_REPORTS - 1].created_at)


def _common_region(codes: list[str]) -> str:
    """The code of the smallest region containing every community in `codes`."""
    for level in reversed(divisions.LEVELS_TOP_DOWN):
        if len({divisions.prefix(code, level) for code in codes}) == 1:
            return divisions.code_at(codes[0], level)
    return codes[0]
