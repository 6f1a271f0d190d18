"""Routing (分哨): the department a report should go to, and the ones it may go to."""

from gridapp import divisions
from gridapp.models import Category, Department, Responsibility


def suggest_department(category: Category, community_code: str, level: str) -> Department | None:
    """The nearest responsible department walking up from the report's region at `level`
    (its community for a new report) to the top: one a dispatcher at that level may
    choose. A row for the category itself wins over one for its parent at the same region."""
    codes = divisions.ancestors(divisions.code_at(community_code, level))
    rows = (Responsibility.objects.filter(region__code__in=codes,
                                          category_id__in=[category.pk, category.parent_id])
            .select_related("department__region", "region"))
    ranked = sorted(rows, key=lambda r: (codes.index(r.region.code), r.category_id != category.pk))
    return ranked[0].department if ranked else None


def in_reach(department: Department, community_code: str, level: str) -> bool:
    """The department belongs to the report's region at `level` or to one above it."""
    return divisions.is_under(divisions.code_at(community_code, level), department.region.prefix)
