"""The monthly task preparing the drafts of the month that has just begun: one per
community, never in the way of a run a person asks for."""

import datetime as dt
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.conf import settings
from freezegun import freeze_time

from payroll import services
from payroll.models import Run
from payroll.tasks import prepare_monthly_runs

from .conftest import CITY, DEC, HHL, HPL


@freeze_time("2026-12-01 01:30:00+08:00")
def test_on_the_first_each_communitys_draft_of_the_new_month_is_prepared(world):
    run_ids = prepare_monthly_runs.delay().get()
    runs = Run.objects.filter(pk__in=run_ids).order_by("region__code")
    assert [(r.period, r.region.code, r.status, r.prepared_by) for r in runs] == [
        (DEC, HHL, "draft", None), (DEC, HPL, "draft", None)]
    assert sum(r.total for r in runs) == Decimal("3300.00")  # 11 leaders × 300.00
    assert all(r.events.get().action == "created" for r in runs)


@freeze_time("2026-12-01 01:30:00+08:00")
def test_running_the_task_twice_creates_nothing_more(world):
    prepare_monthly_runs()
    assert prepare_monthly_runs() == []
    assert Run.objects.count() == 2


@freeze_time("2026-12-01 01:30:00+08:00")
def test_the_task_never_drafts_a_month_that_has_not_begun(world):
    with pytest.raises(services.PeriodInFuture):
        prepare_monthly_runs(period="2027-01")
    assert not Run.objects.exists()


def test_a_community_under_its_own_policy_is_drafted_at_its_amount(region, user):
    services.create_policy(region=region(HPL), effective_from=DEC,
                           monthly_amount=Decimal("400.00"), actor=user("finance1"))
    runs = {r.region.code: r for r in services.prepare_monthly_drafts(DEC)}
    assert runs[HHL].total == Decimal("2700.00")  # 9 × 300.00 in 黄海路
    assert runs[HPL].total == Decimal("800.00")  # 2 × 400.00 in 和平路


def test_a_community_already_covered_by_hand_is_skipped(make_run):
    make_run(period=DEC, code=HHL)
    assert [r.region.code for r in services.prepare_monthly_drafts(DEC)] == [HPL]


def test_a_city_run_by_hand_takes_the_place_of_the_scheduled_drafts(make_run):
    scheduled = services.prepare_monthly_drafts(DEC)
    city = make_run(period=DEC, code=CITY)
    assert city.total == Decimal("3300.00")
    for draft in scheduled:
        draft.refresh_from_db()
        assert draft.status == "cancelled"
        assert draft.events.last().note == f"superseded by {city.number}"


def test_a_run_by_hand_for_a_community_replaces_its_scheduled_draft(make_run):
    services.prepare_monthly_drafts(DEC)
    run = make_run(period=DEC, code=HHL)
    assert run.status == "draft" and run.prepared_by is not None
    assert Run.objects.filter(period=DEC, status="draft").count() == 2


def test_a_month_can_be_caught_up_by_hand(world):
    run_ids = prepare_monthly_runs(period="2026-10")
    assert set(Run.objects.filter(pk__in=run_ids).values_list("period", flat=True)) == {
        dt.date(2026, 10, 1)}


def test_the_task_is_scheduled_on_the_first_of_every_month():
    entry = settings.CELERY_BEAT_SCHEDULE["prepare-payroll-drafts"]
    assert entry["task"] == "payroll.tasks.prepare_monthly_runs"
    assert entry["schedule"] == crontab(minute=30, hour=1, day_of_month=1)
