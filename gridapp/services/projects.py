"""Governance projects: made by a dispatcher from a suggestion or any set of reports,
moved on by the dispatchers over their region, joined by later reports of their class;
and the daily announcement of new suggestions to the dispatchers who govern them."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from config.api.errors import Forbidden, InvalidTransition
from gridapp import divisions
from gridapp.errors import OutcomeRequired, ReportInProject, ReportsOutsideProject
from gridapp.models import (Category, Department, Notification, Project, Region, Report,
                            StaffRole)
from gridapp.selectors.projects import Suggestion, find_suggestions, may_manage
from gridapp.selectors.reports import visible_reports

from . import notifications

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


# --- announcing suggestions ---------------------------------------------------------------

ANNOUNCE_LOOKBACK = timedelta(days=2)  # the task runs daily; a missed run is caught up


@transaction.atomic
def announce_suggestions(*, now: datetime | None = None) -> int:
    """Tell the dispatchers governing each suggestion that reached its size recently (the
    reports of one class crossed PROJECT_SUGGESTION_MIN_REPORTS): an outbox and inbox
    message about the report that made it a suggestion. Idempotent: a dispatcher is told
    of one such report once, however often this runs. The number of messages written.
    The reports, the messages already written and the dispatchers are read once each."""
    now = now or timezone.now()
    new = [(suggestion, suggestion.report_ids[settings.PROJECT_SUGGESTION_MIN_REPORTS - 1])
           for suggestion in find_suggestions(None, now=now, limit=None)
           if suggestion.reached_at >= now - ANNOUNCE_LOOKBACK]
    reports = Report.objects.select_related("category").in_bulk([pk for _s, pk in new])
    told = set(Notification.objects.filter(kind=Notification.Kind.SUGGESTION,
                                           report__in=reports)
               .values_list("report_id", "recipient_id"))
    dispatchers = _dispatchers_by_region()
    written = 0
    for suggestion, pk in new:
        data = _suggestion_data(suggestion, reports[pk])
        written += len(notifications.write(reports[pk], [
            (user_id, Notification.Kind.SUGGESTION, data)
            for user_id in governing_dispatcher_ids(suggestion.region.code, dispatchers)
            if (pk, user_id) not in told], at=now))
    return written


def governing_dispatcher_ids(region_code: str, dispatchers: dict[str, list[int]]) -> list[int]:
    """The dispatchers of the nearest region at street level or above that has any: a
    class of problems is governed by a street or higher, not by a community."""
    street_and_up = divisions.LEVELS_TOP_DOWN[divisions.LEVELS_TOP_DOWN.index("street")::-1]
    for code in dict.fromkeys(divisions.code_at(region_code, level) for level in street_and_up):
        if dispatchers.get(code):
            return dispatchers[code]
    return []


def _dispatchers_by_region() -> dict[str, list[int]]:
    """Region code → its dispatchers' user ids."""
    found: dict[str, list[int]] = {}
    for code, user_id in (StaffRole.objects.filter(role=StaffRole.Role.DISPATCHER)
                          .order_by("region__code", "user_id")
                          .values_list("region__code", "user_id")):
        found.setdefault(code, []).append(user_id)
    return found


def _suggestion_data(suggestion: Suggestion, report: Report) -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(count)s similar reports in %(days)s days: %(region)s") % {
            "count": len(suggestion.report_ids), "days": settings.PROJECT_SUGGESTION_DAYS,
            "region": suggestion.region.name}
        return {"number": report.number, "category": report.category.full_name,
                "address": suggestion.region.name, "note": note,
                "time": suggestion.reached_at.isoformat(), "result": str(_("suggestion"))}
