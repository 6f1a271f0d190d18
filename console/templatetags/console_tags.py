"""Small helpers for the console's templates."""

from django import template

from gridapp.models import Report

register = template.Library()
STATUS_LABELS = dict(Report.Status.choices)


@register.filter
def status_label(value: str) -> str:
    """A report status code as its (translated) label; "—" for none."""
    return STATUS_LABELS.get(value, value) if value else "—"
