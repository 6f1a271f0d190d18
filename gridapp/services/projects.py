"""Governance projects: made by a dispatcher from a suggestion or any set of reports,
moved on by the dispatchers over their region, joined by later reports of their class."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from config.api.errors import Forbidden, InvalidTransition
from gridapp import divisions
from gridapp.errors import OutcomeRequired, ReportInProject, ReportsOutsideProject
from gridapp.models import Category, Department, Project, Region, Report
from gridapp.selectors.projects import may_manage
from gridapp.selectors.reports import visible_reports

S = Project.Status


def _require_dispatcher(actor: User, region: Region) -> None:
    if not may_manage(actor, region):
        raise Forbidden()


@transaction.atomic
def create_project(*, actor: User, title: str, category: Category, region: Region,
                   department: Department, goal: str, report_ids: Sequence[int]) -> Project:
    """The project and its first reports, or nothing: each report visible to the actor,
    under the region, and in no other project."""
    _require_dispatcher(actor, region)
    ids = set(report_ids)
    reports = visible_reports(actor).filter(pk__in=ids, region_code__range=divisions.code_range(
        region.prefix))
    locked = list(Report.objects.select_for_update().filter(pk__in=reports.values("pk")))
    if len(locked) != len(ids):
        raise ReportsOutsideProject()
    if any(report.project_id for report in locked):
        raise ReportInProject()
    project = Project.objects.create(title=title, category=category, region=region,
                                     department=department, goal=goal, created_by=actor)
    Report.objects.filter(pk__in=ids).update(project=project, updated_at=timezone.now())
    return project


def start_project(project: Project, *, actor: User) -> Project:
    return _move(project, actor, frm=(S.OPEN,), to=S.IN_PROGRESS, started_at=timezone.now())


def complete_project(project: Project, *, actor: User, outcome: str) -> Project:
    if not outcome.strip():
        raise OutcomeRequired()
    return _move(project, actor, frm=Project.LIVE, to=S.COMPLETED, outcome=outcome,
                 completed_at=timezone.now(), completed_by=actor)


def _move(project: Project, actor: User, *, frm: Sequence[str], to: str, **fields) -> Project:
    """Conditional on the status it leaves, so two dispatchers never both move it."""
    _require_dispatcher(actor, project.region)
    if not Project.objects.filter(pk=project.pk, status__in=frm).update(status=to, **fields):
        raise InvalidTransition()
    project.refresh_from_db()
    return project


def join_live_project(report: Report) -> None:
    """A new report of a live project's category under its region joins it (the oldest
    such project): the reporter sees it is part of the project."""
    live = (Project.objects.filter(category_id=report.category_id, status__in=Project.LIVE)
            .filter(_containing(report.region_code)).order_by("created_at", "pk").first())
    if live is not None:
        Report.objects.filter(pk=report.pk).update(project=live)
        report.project = live


def _containing(community_code: str) -> Q:
    """Projects whose region contains the community: the community or one of its
    ancestors."""
    return Q(region__code__in=divisions.ancestors(community_code))
