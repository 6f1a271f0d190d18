"""Routing (分哨): the department a report should go to, and the ones it may go to.

The responsibility table says who should handle a category in a region. It learns from
the timeline (智能分哨): where the table's department keeps returning a category × region's
reports and another department ends up finishing them, the suggestion is the one that
finishes them, with the evidence shown to the dispatcher ("8 of the last 10 went to X").
A suggestion is only a default: an explicit choice on dispatch always wins.
"""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from gridapp import divisions
from gridapp.models import Category, Department, ReportEvent, Responsibility


@dataclass(frozen=True)
class Suggestion:
    department: Department | None
    # What a learned suggestion rests on (docs/workflow.md "Learned routing"); None when
    # the suggestion is the table's.
    evidence: dict | None = None


def explained(evidence: dict | None) -> dict | None:
    """A learned suggestion's evidence with its sentence for the dispatcher ("8 of the
    last 10 went to X"); None for the table's own suggestion."""
    if not evidence:
        return None
    return {**evidence, "text": _("%(finished)d of the last %(of)d went to %(name)s") % {
        "finished": evidence["finished"], "of": evidence["of"],
        "name": evidence["department_name"]}}


def suggest(category: Category, community_code: str, level: str, *,
            exclude: Collection[int] = ()) -> Suggestion:
    """The learned department where the history says so, else the table's; never one of
    `exclude` (the departments that returned the report)."""
    table = suggest_department(category, community_code, level)
    learned = _learned(category, community_code, level, table, exclude) if table else None
    if learned is not None:
        return learned
    if table is None or table.pk not in exclude:
        return Suggestion(table)
    return Suggestion(suggest_department(category, community_code, level, exclude=exclude))


def suggest_department(category: Category, community_code: str, level: str, *,
                       exclude: Collection[int] = ()) -> Department | None:
    """The nearest responsible department walking up from the report's region at `level`
    (its community for a new report) to the top: one a dispatcher at that level may
    choose. A row for the category itself wins over one for its parent at the same region."""
    codes = divisions.ancestors(divisions.code_at(community_code, level))
    rows = (Responsibility.objects.filter(region__code__in=codes,
                                          category_id__in=[category.pk, category.parent_id])
            .exclude(department_id__in=exclude)
            .select_related("department__region", "region"))
    ranked = sorted(rows, key=lambda r: (codes.index(r.region.code), r.category_id != category.pk))
    return ranked[0].department if ranked else None


def in_reach(department: Department, community_code: str, level: str) -> bool:
    """The department belongs to the report's region at `level` or to one above it."""
    return divisions.is_under(divisions.code_at(community_code, level), department.region.prefix)


def finished_recently(category: Category, community_code: str, level: str) -> list[tuple[int, int]]:
    """(report, department that finished it) for the last ROUTING_LEARN_WINDOW reports of
    the category in the report's region at `level` that were resolved at that level,
    newest first. A report resolved twice (reopened) counts once, by its last resolve."""
    window = settings.ROUTING_LEARN_WINDOW
    region_prefix = divisions.prefix(community_code, level)
    rows = (ReportEvent.objects
            .filter(divisions.under_q("report__region_code", (region_prefix,)),
                    action=ReportEvent.Action.RESOLVE, level=level, report__category=category,
                    department__isnull=False)
            .order_by("-at", "-id").values_list("report_id", "department_id"))
    finished: dict[int, int] = {}
    # A few resolves per report at most: three times the window is plenty to find it.
    for report_id, department_id in rows[:window * 3]:
        finished.setdefault(report_id, department_id)
        if len(finished) == window:
            break
    return list(finished.items())


def _learned(category: Category, community_code: str, level: str, table: Department,
             exclude: Collection[int]) -> Suggestion | None:
    finished = finished_recently(category, community_code, level)
    if len(finished) < settings.ROUTING_LEARN_MIN_REPORTS:
        return None
    returned = set(ReportEvent.objects.filter(
        report_id__in=[report for report, _d in finished], action=ReportEvent.Action.RETURN,
        department=table).values_list("report_id", flat=True))
    # Who finished the reports the table's department had sent back (ties: the most recent).
    finishers = Counter(department for report, department in finished
                        if report in returned and department != table.pk
                        and department not in exclude)
    if not finishers:
        return None
    department_id, returned_then_finished = finishers.most_common(1)[0]
    if returned_then_finished < settings.ROUTING_LEARN_SHARE * len(finished):
        return None
    department = Department.objects.select_related("region").get(pk=department_id)
    if not in_reach(department, community_code, level):
        return None
    return Suggestion(department, {
        "department": department.pk, "department_name": department.name,
        "finished": sum(1 for _r, d in finished if d == department_id), "of": len(finished),
        "returned": returned_then_finished, "instead_of": table.pk,
        "instead_of_name": table.name})
