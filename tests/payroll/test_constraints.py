"""The uniqueness rules as database constraints, not only as checks in the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payroll import services
from payroll.models import Run, RunLine

from .conftest import HHL, NOV


def test_a_second_live_run_for_a_period_and_region_is_refused_by_the_database(make_run):
    run = make_run()
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(number="PR-twin", period=NOV, region=run.region,
                           prepared_at=timezone.now())


def test_a_cancelled_run_does_not_count_as_live(make_run, user):
    run = services.cancel_run(make_run(), actor=user("finance1"))
    Run.objects.create(number="PR-new", period=NOV, region=run.region, prepared_at=timezone.now())


def test_a_leader_term_is_paid_at_most_once_a_month_across_all_runs(approved_run, region):
    """Even a run slipped past the overlap check cannot claim a term already paid."""
    city_run = Run.objects.create(number="PR-city", period=NOV, region=region("450500000000"),
                                  prepared_at=timezone.now())
    paid = approved_run.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        RunLine.objects.create(run=city_run, kind="stipend", period=NOV, leader=paid.leader,
                               leader_term=paid.leader_term, grid=paid.grid, policy=paid.policy,
                               days_served=30, days_in_month=30, base=paid.base, net=paid.net)
    RunLine.objects.create(run=city_run, kind="stipend", period=dt.date(2026, 12, 1),
                           leader=paid.leader, leader_term=paid.leader_term, grid=paid.grid,
                           policy=paid.policy, days_served=31, days_in_month=31)


def test_lines_of_a_concurrent_overlapping_run_are_refused_as_run_overlaps(make_run, user,
                                                                           region, monkeypatch):
    make_run(code=HHL)
    # As if a concurrent request had passed the overlap check before our run existed.
    monkeypatch.setattr(services, "_runs_overlapping", lambda *a, **k: Run.objects.none())
    with pytest.raises(services.RunOverlaps):
        services.create_run(period=NOV, region=region("450500000000"), actor=user("finance1"))
    assert Run.objects.count() == 1


def test_stipend_lines_cannot_be_negative_in_the_database(approved_run, make_run):
    draft = make_run(period=dt.date(2026, 12, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        draft.lines.filter(pk=draft.lines.first().pk).update(base=-1)
