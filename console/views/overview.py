"""The home page (queues and counts for the signed-in role) and the one map (一张图)."""

from collections import Counter

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication

from console.access import staff_required
from gridapp.api.views import maps
from gridapp.models import Report
from gridapp.selectors import grids as grid_selectors
from gridapp.selectors import reports as report_selectors
from gridapp.selectors.roles import roles_of
from payroll import selectors as payroll_selectors
from payroll.models import Run

from .common import page, require_reports, sees_payroll, sees_reports

OPEN = tuple(Report.OPEN_STATUSES)
LIGHTS = ("red", "yellow", "green")
MAP_MAX_PINS = 5000  # as the API's map; beyond it the page says it shows the newest
# Zoomed out below this the map shows the server's clusters instead of the pins (a city on
# a wall screen); from it on, every pin.
CLUSTER_BELOW_ZOOM = 14
ATTENTION_ROWS = 10
WAITING_TITLES = {Report.Status.SUBMITTED: _("Waiting to be accepted"),
                  Report.Status.DISPATCHED: _("Dispatched to you, not started yet")}


def open_reports(user):
    return report_selectors.filter_reports(
        report_selectors.visible_reports(user), report_selectors.ReportFilter(statuses=OPEN),
        user=user)


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """Reports: the open ones the user sees, by status and by traffic light, and the
    ones that most need someone; payroll: the runs by status."""
    context: dict = {}
    if sees_reports(request.user):
        reports = open_reports(request.user)
        counts = report_selectors.traffic_lights(reports, timezone.now())
        by_status, lights = Counter(), report_selectors.by_light(counts)
        for (status, _light), n in counts.items():
            by_status[status] += n
        context["by_status"] = [(value, label, by_status[value])
                                for value, label in Report.Status.choices if value in OPEN]
        context["lights"] = [(light, lights[light]) for light in LIGHTS]
        context["open_total"] = by_status.total()
        # A command centre's next work is what waits to be accepted; a department's, what
        # was dispatched to it and not yet started.
        roles = roles_of(request.user)
        waiting = (Report.Status.SUBMITTED if roles.is_admin or roles.is_dispatcher
                   else Report.Status.DISPATCHED)
        context["waiting_title"] = WAITING_TITLES[waiting]
        context["attention"] = report_selectors.with_list_details(
            reports.filter(status=waiting)).order_by("-urgent", "created_at")[:ATTENTION_ROWS]
    if sees_payroll(request.user):
        runs = payroll_selectors.runs_for(request.user)
        counts = dict(runs.values_list("status").annotate(n=Count("pk")).order_by())
        context["runs_by_status"] = [(value, label, counts[value])
                                     for value, label in Run.Status.choices if value in counts]
        context["recent_runs"] = runs[:ATTENTION_ROWS]
    return page(request, "console/home.html", context)


@staff_required
def one_map(request: HttpRequest) -> HttpResponse:
    """The grids the user sees and the open reports' pins, coloured by status and ringed
    by traffic light; a click opens the report. Drawn from data in the page (json_script),
    on tiles only when MAP_TILE_URL is set."""
    require_reports(request)
    grids = grid_selectors.visible_grids(request.user).order_by("code").values(
        "pk", "code", "name", "boundary", "community__name")
    rows = list(open_reports(request.user).select_related("category").only(
        "pk", "number", "level", "urgent", "lat", "lng", *Report.CLOCK_FIELDS,
        "category__name").order_by("-created_at", "-pk")[:MAP_MAX_PINS + 1])
    detail = reverse("console:report", kwargs={"pk": 0}).replace("/0/", "/{id}/")
    data = {
        "grids": [{"type": "Feature", "geometry": g["boundary"],
                   "properties": {"id": g["pk"], "code": g["code"], "name": g["name"],
                                  "community": g["community__name"]}} for g in grids],
        "reports": [{"id": r.pk, "number": r.number, "status": r.status,
                     "status_label": r.get_status_display(), "light": r.traffic_light(),
                     "urgent": r.urgent, "lat": r.lat, "lng": r.lng,
                     "category": r.category.name} for r in rows[:MAP_MAX_PINS]],
        "report_url": detail,
        "clusters_url": reverse("console:map-clusters"),
        "cluster_below_zoom": CLUSTER_BELOW_ZOOM,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return page(request, "console/map.html", {
        "map_data": data, "truncated": len(rows) > MAP_MAX_PINS,
        "statuses": [(v, label) for v, label in Report.Status.choices if v in OPEN]})



class MapClusters(maps.MapClusters):
    """GET /api/v1/map/clusters.geojson for the signed-in console (its session, not a
    token): the same query, scope, clusters and error bodies."""

    authentication_classes = [SessionAuthentication]

    @extend_schema(exclude=True)  # a console path, not part of /api/schema/
    def get(self, request, *args, **kwargs):
        require_reports(request)
        return super().get(request, *args, **kwargs)
