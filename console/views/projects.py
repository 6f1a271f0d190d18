"""Governance projects (治理一类问题): the suggestions a command centre should look at, each
made into a project with one form; the projects the user sees, with their figures and
reports, started and completed by the command centres over them. The API's selectors
decide what the user sees and its services act (docs/workflow.md "Governance projects")."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from console.access import staff_required
from gridapp import divisions
from gridapp.api.serializers.projects import OutcomeSerializer, ProjectCreateSerializer
from gridapp.models import Category, Department, Project
from gridapp.selectors import projects as project_selectors
from gridapp.selectors import reports as report_selectors
from gridapp.selectors.roles import roles_of
from gridapp.selectors.routing import suggest_department
from gridapp.services import projects as services

from .common import page, report_error, require_reports

MOVES = {"start": pgettext_lazy("console action", "Start the project"),
         "complete": pgettext_lazy("console action", "Complete the project")}


@staff_required
def projects(request: HttpRequest) -> HttpResponse:
    """The suggestions (command centres only), each with a form that makes it a project,
    and the projects, each with its counts from one aggregate query. POST makes one."""
    require_reports(request)
    if request.method == "POST":
        return _create(request)
    roles = roles_of(request.user)
    suggestions = []
    if roles.is_admin or roles.dispatcher_regions:
        suggestions = project_selectors.suggestions(request.user, now=timezone.now())
    names = Category.objects.in_bulk({s.category_id for s in suggestions})
    departments = list(Department.objects.select_related("region").order_by("name")) \
        if suggestions else []
    rows = project_selectors.with_report_counts(
        project_selectors.visible_projects(request.user).select_related("category__parent")
    ).order_by("-created_at", "-pk")
    return page(request, "console/projects.html", {
        "suggestions": [_offer(s, names[s.category_id], departments) for s in suggestions],
        "projects": rows, "min_reports": settings.PROJECT_SUGGESTION_MIN_REPORTS,
        "days": settings.PROJECT_SUGGESTION_DAYS})


def _offer(suggestion, category: Category, departments: list[Department]) -> dict:
    """A suggestion with what its form offers: the departments that reach its region, the
    responsibility table's one chosen."""
    region = suggestion.region
    reach = [d for d in departments if divisions.is_under(region.code, d.region.prefix)]
    table = suggest_department(category, region.code, region.level) if reach else None
    return {"suggestion": suggestion, "category": category, "departments": reach,
            "chosen": table.pk if table else None,
            "title": _("%(category)s in %(region)s") % {"category": category.name,
                                                        "region": region.name}}


def _create(request: HttpRequest) -> HttpResponse:
    body = ProjectCreateSerializer(data=request.POST)
    try:
        body.is_valid(raise_exception=True)
        project = services.create_project(actor=request.user, **body.validated_data)
    except APIException as exc:
        report_error(request, exc)
        return redirect("console:projects")
    messages.success(request, _("The project is made."))
    return redirect("console:project", pk=project.pk)


@staff_required
def project(request: HttpRequest, pk: int) -> HttpResponse:
    """One project: its goal, figures, the reports of it the user sees and, for the
    command centres over it, the button that moves it on."""
    require_reports(request)
    chosen = get_object_or_404(project_selectors.visible_projects(request.user), pk=pk)
    reports = report_selectors.with_list_details(
        report_selectors.visible_reports(request.user).filter(project=chosen)
    ).order_by("-created_at", "-pk")
    move = {Project.Status.OPEN: "start", Project.Status.IN_PROGRESS: "complete"}.get(
        chosen.status) if project_selectors.may_manage(request.user, chosen.region) else None
    return page(request, "console/project.html", {
        "project": chosen, "figures": project_selectors.figures(chosen), "reports": reports,
        "move": move, "move_label": MOVES.get(move)})


@staff_required
@require_POST
def move(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """start / complete (with `outcome`), as POST /api/v1/projects/{id}/{action}/."""
    require_reports(request)
    chosen = get_object_or_404(project_selectors.visible_projects(request.user), pk=pk)
    body = OutcomeSerializer(data=request.POST)
    try:
        body.is_valid(raise_exception=True)
        if action == "start":
            services.start_project(chosen, actor=request.user)
        else:
            services.complete_project(chosen, actor=request.user,
                                      outcome=body.validated_data["outcome"])
    except APIException as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": MOVES[action]})
    return redirect("console:project", pk=pk)
