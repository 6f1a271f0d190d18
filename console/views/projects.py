"""Governance projects (治理一类问题): the suggestions a command centre should look at and
the projects the user sees, with their figures and reports. The API's selectors decide
what the user sees (docs/workflow.md "Governance projects")."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from console.access import staff_required
from gridapp.models import Category
from gridapp.selectors import projects as project_selectors
from gridapp.selectors import reports as report_selectors
from gridapp.selectors.roles import roles_of

from .common import page, require_reports


@staff_required
def projects(request: HttpRequest) -> HttpResponse:
    """The suggestions (command centres only) and the projects, each with its counts from
    one aggregate query."""
    require_reports(request)
    roles = roles_of(request.user)
    suggestions = []
    if roles.is_admin or roles.dispatcher_regions:
        suggestions = project_selectors.suggestions(request.user, now=timezone.now())
    names = Category.objects.in_bulk({s.category_id for s in suggestions})
    rows = project_selectors.with_report_counts(
        project_selectors.visible_projects(request.user).select_related("category__parent")
    ).order_by("-created_at", "-pk")
    return page(request, "console/projects.html", {
        "suggestions": [(s, names[s.category_id]) for s in suggestions], "projects": rows,
        "min_reports": settings.PROJECT_SUGGESTION_MIN_REPORTS,
        "days": settings.PROJECT_SUGGESTION_DAYS})


@staff_required
def project(request: HttpRequest, pk: int) -> HttpResponse:
    """One project: its goal, figures and the reports of it the user sees."""
    require_reports(request)
    chosen = get_object_or_404(project_selectors.visible_projects(request.user), pk=pk)
    reports = report_selectors.with_list_details(
        report_selectors.visible_reports(request.user).filter(project=chosen)
    ).order_by("-created_at", "-pk")
    return page(request, "console/project.html", {
        "project": chosen, "figures": project_selectors.figures(chosen), "reports": reports})
