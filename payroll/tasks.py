from celery import shared_task
from django.utils import timezone

from . import services
from .money import next_month, parse_period


@shared_task
def prepare_next_month_runs(period: str | None = None) -> list[int]:
    """Run by beat on the 1st: next month's draft for every top region with a policy.
    Safe to run twice (a region already covered is skipped). `period` ("YYYY-MM")
    overrides the month, for catching up by hand."""
    month = parse_period(period) if period else next_month(timezone.localdate())
    return [run.pk for run in services.prepare_monthly_drafts(month)]
