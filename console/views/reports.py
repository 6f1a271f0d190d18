"""The dispatcher's queue and a report's page: the API's selectors decide what the user
sees, the API's body serializers read the forms, and the lifecycle's services act."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException, ValidationError

from accounts.models import User
from config.api.errors import Forbidden
from console.access import staff_required
from config.api.fields import parse_id
from gridapp import geo, lifecycle
from gridapp.api.serializers.reports import ReportFilterSerializer
from gridapp.api.views.workflow import ACTION_BODIES
from gridapp.models import Category, Department, Photo, Report
from gridapp.selectors import grids as grid_selectors
from gridapp.selectors import reports as report_selectors
from gridapp.selectors.roles import roles_of
from gridapp.selectors import routing
from gridapp.selectors.routing import in_reach
from gridapp.services import transitions
from gridapp.services.intake import possible_duplicates

from .common import page, report_error, require_reports

PAGE_SIZE = 50
# The queue counts, and pages through, this many reports at most; past it the page asks
# for narrower filters. Counting a city's 400,000 open reports for every page cost 0.2 to
# 0.4 s at a million reports (docs/performance.md), for a figure no one pages through.
COUNT_AT_MOST = 1000
OPEN = ",".join(Report.OPEN_STATUSES)

# The buttons of docs/api.md "The web console": name → label. Resolving needs an "after"
# photo taken on the spot, so it stays in the mini-program.
ACTION_LABELS = {
    "accept": pgettext_lazy("console action", "Accept"),
    "dispatch": pgettext_lazy("console action", "Dispatch"),
    "start": pgettext_lazy("console action", "Start work"),
    "verify": pgettext_lazy("console action", "Verify"),
    "reopen": pgettext_lazy("console action", "Reopen"),
    "escalate": pgettext_lazy("console action", "Escalate"),
    "return": pgettext_lazy("console action", "Return"),
    "reject": pgettext_lazy("console action", "Refuse"),
    "merge": pgettext_lazy("console action", "Merge"),
    lifecycle.REQUEST_EXTENSION: pgettext_lazy("console action", "Ask for more time"),
    lifecycle.APPROVE_EXTENSION: pgettext_lazy("console action", "Approve the extension"),
    lifecycle.DENY_EXTENSION: pgettext_lazy("console action", "Deny the extension"),
}
# Actions that close a report ask first (a dialog).
CONFIRMS = {
    "verify": pgettext_lazy("console confirm", "Close this report as verified?"),
    "reject": pgettext_lazy("console confirm", "Close this report as not accepted?"),
    "merge": pgettext_lazy("console confirm", "Close this report as a duplicate of the other?"),
}
NOTE_REQUIRED = {"escalate", "return", "reject", "reopen", lifecycle.REQUEST_EXTENSION,
                 lifecycle.DENY_EXTENSION}
# The queue's orders: newest first (as the API), or the nearest deadline first, which puts
# the overdue (red) reports on top; reports with no clock yet (not accepted) come last.
ORDERS = {"new": ("-created_at", "-pk"),
          "due": (F("due_at").asc(nulls_last=True), "created_at", "pk")}


def _query(request: HttpRequest) -> QueryDict:
    """The queue shows open reports unless another status is chosen (`status=all`: any)."""
    query = request.GET.copy()
    status = query.get("status", "open")
    if status == "open":
        query["status"] = OPEN
    elif status == "all":
        query.pop("status")
    for name in [key for key, value in query.items() if value == ""]:
        query.pop(name)
    return query


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """GET /reports/'s filters and scope, as a table of 50 a page."""
    require_reports(request)
    form = ReportFilterSerializer(data=_query(request))
    order = ORDERS.get(request.GET.get("sort") or "new")
    rows, status, errors = None, 200, {}
    if form.is_valid() and order is not None:
        reports = report_selectors.filter_reports(
            report_selectors.visible_reports(request.user), form.to_filter(), user=request.user)
        reports = report_selectors.with_list_details(reports).order_by(*order)
        rows = CappedPaginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
        for report in rows:  # accept right from the queue (reads only what is loaded)
            report.accept_url = reverse("console:report-accept", kwargs={"pk": report.pk}) \
                if "accept" in lifecycle.allowed_actions(report, request.user) else ""
    else:
        status, errors = 400, {**form.errors, **({} if order else {"sort": [_("Unknown order.")]})}
    params = request.GET.copy()
    params.pop("page", None)
    return page(request, "console/reports.html", {
        "rows": rows, "errors": errors, "params": params.urlencode(),
        "chosen": request.GET,
        "statuses": Report.Status.choices, "levels": Report.Level.choices,
        "categories": Category.objects.filter(active=True).select_related("parent"),
        "grid_options": _grid_options(request.user, request.GET.get("grid")),
    }, status=status)


def _grid_options(user: User, chosen: str | None) -> str:
    """The grid filter's <option>s, written here: a city's 2,000 grids through the
    template's loop and `if` took 100 ms of every queue page."""
    grids = grid_selectors.visible_grids(user).order_by("code").values_list("pk", "code", "name")
    return format_html_join("", '<option value="{}"{}>{} {}</option>', (
        (pk, " selected" if str(pk) == chosen else "", code, name) for pk, code, name in grids))


class CappedPaginator(Paginator):
    """Django's paginator counting no further than COUNT_AT_MOST reports: the count reads
    that many ids at most (and none of the page's joins); `capped` says more match."""

    @cached_property
    def _counted(self) -> int:
        return self.object_list.values("pk").order_by()[:COUNT_AT_MOST + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_AT_MOST)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_AT_MOST


def _visible(request: HttpRequest, pk: int):
    reports = report_selectors.visible_reports(request.user).select_related(
        "category__parent", "grid", "department__region", "suggested_department__region")
    return get_object_or_404(reports, pk=pk)


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The report, its photos before and after, its timeline and the buttons of what the
    user may do now."""
    require_reports(request)
    report = get_object_or_404(report_selectors.with_details(
        report_selectors.visible_reports(request.user)), pk=pk)
    allowed = [a for a in lifecycle.allowed_actions(report, request.user) if a in ACTION_LABELS]
    actions = [{"name": a, "label": ACTION_LABELS[a], "confirm": CONFIRMS.get(a, ""),
                "note_required": a in NOTE_REQUIRED,
                "url": reverse(f"console:report-{a}", kwargs={"pk": report.pk})} for a in allowed]
    departments = []
    if "dispatch" in allowed:
        level = lifecycle.acting_level(roles_of(request.user), report)
        departments = [d for d in Department.objects.select_related("region").order_by("name")
                       if in_reach(d, report.region_code, level)]
    return page(request, "console/report.html", {
        "report": report, "actions": actions, "departments": departments,
        "evidence": routing.explained(report.suggestion_evidence),
        **_photos(report), "events": report.events.all(), "light": report.traffic_light(),
        "show_flags": report_selectors.sees_flags(request.user),
        **(_merging(request, report) if "merge" in allowed else {}),
    })


def _photos(report: Report) -> dict[str, list[Photo]]:
    photos = list(report.photos.all())
    return {"before": [p for p in photos if p.kind == Photo.Kind.BEFORE],
            "after": [p for p in photos if p.kind == Photo.Kind.AFTER]}


def _merging(request: HttpRequest, report: Report) -> dict:
    """The open reports nearby that may be the same problem (those the user sees), and
    the one chosen with `?compare=` side by side with this one."""
    visible = report_selectors.visible_reports(request.user)
    near = possible_duplicates(report)
    seen = set(visible.filter(pk__in=[d.report_id for d in near]).values_list("pk", flat=True))
    duplicates = [d for d in near if d.report_id in seen]
    wanted = parse_id(request.GET.get("compare"))
    other = report_selectors.with_details(visible).filter(pk=wanted).exclude(
        pk=report.pk).first() if wanted is not None else None
    distance = None if other is None else round(
        geo.distance_m(report.lat, report.lng, other.lat, other.lng))
    pair = [(report, _photos(report)), (other, _photos(other))] if other else []
    return {"duplicates": duplicates, "other": other, "distance": distance, "pair": pair}


@staff_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One button: the same role check, body and service as POST /reports/{id}/{action}/;
    what went wrong is a message on the report's page."""
    require_reports(request)
    report = _visible(request, pk)
    try:
        if not lifecycle.may(request.user, action, report):  # role first, as the API
            raise Forbidden()
        body = ACTION_BODIES[action](data=request.POST)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if action == "merge":
            data["duplicate_of"] = _original(request, data["duplicate_of"])
        transitions.ACTIONS[action](report, actor=request.user, **data)
    except APIException as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": ACTION_LABELS[action]})
    return redirect("console:report", pk=report.pk)


def _original(request: HttpRequest, pk: int) -> Report:
    original = report_selectors.visible_reports(request.user).filter(pk=pk).first()
    if original is None:
        raise ValidationError({"duplicate_of": [_("There is no such report.")]})
    return original
