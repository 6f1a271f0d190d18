from celery import shared_task
from django.utils import timezone

from . import services
from .money import parse_period


@shared_task
def prepare_monthly_runs(period: str | None = None) -> list[int]:
    """Run by beat at 01:30 on the 1st: a draft of the month that has just begun for every
    community with a leader serving or an adjustment waiting (`prepare_monthly_drafts`).
    Safe to run twice (a community already covered is skipped). `period` ("YYYY-MM", not
    in the future) overrides the month, for catching up by hand."""
    month = parse_period(period) if period else timezone.localdate().replace(day=1)
    return [run.pk for run in services.prepare_monthly_drafts(month)]
