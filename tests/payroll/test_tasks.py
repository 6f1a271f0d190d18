"""The monthly task preparing next month's drafts."""

import datetime as dt
from decimal import Decimal

from celery.schedules import crontab
from django.conf import settings
from freezegun import freeze_time

from payroll import services
from payroll.models import Run
from payroll.tasks import prepare_next_month_runs

from .conftest import CITY, DEC, HHL, HPL


@freeze_time("2026-11-01 01:30:00+08:00")
def test_on_the_first_next_months_draft_is_prepared_for_the_policy_region(world):
    [run_id] = prepare_next_month_runs.delay().get()
    run = Run.objects.get(pk=run_id)
    assert (run.period, run.region.code, run.status, run.prepared_by) == (DEC, CITY, "draft", None)
    assert (run.line_count, run.total) == (11, Decimal("3300.00"))
    assert run.events.get().action == "created"


@freeze_time("2026-11-01 01:30:00+08:00")
def test_running_the_task_twice_creates_nothing_more(world):
    prepare_next_month_runs()
    assert prepare_next_month_runs() == []
    assert Run.objects.count() == 1


def test_a_region_under_another_policy_region_gets_no_run_of_its_own(region, user):
    services.create_policy(region=region(HPL), effective_from=DEC,
                           monthly_amount=Decimal("400.00"), actor=user("finance1"))
    runs = services.prepare_monthly_drafts(DEC)
    assert [r.region.code for r in runs] == [CITY]
    assert runs[0].total == Decimal("3500.00")  # 9 × 300.00 in 黄海路, 2 × 400.00 in 和平路


def test_a_region_already_covered_by_hand_is_skipped(make_run):
    make_run(period=DEC, code=HHL)
    assert services.prepare_monthly_drafts(DEC) == []


def test_a_month_can_be_caught_up_by_hand(world):
    [run_id] = prepare_next_month_runs(period="2026-10")
    assert Run.objects.get(pk=run_id).period == dt.date(2026, 10, 1)


def test_the_task_is_scheduled_on_the_first_of_every_month():
    entry = settings.CELERY_BEAT_SCHEDULE["prepare-payroll-drafts"]
    assert entry["task"] == "payroll.tasks.prepare_next_month_runs"
    assert entry["schedule"] == crontab(minute=30, hour=1, day_of_month=1)
