"""Two dispatchers clicking at once: one wins, the other gets 409 and nothing of theirs is
written. Real threads and real commits (`transaction=True`); on PostgreSQL the loser's
UPDATE waits on the winner's row lock and then matches nothing, on SQLite the writers take
turns on the database lock — the same outcome either way."""

import threading

import pytest
from django.db import connection

from accounts.models import User
from config.api.errors import InvalidTransition
from gridapp.services import transitions
from gridapp.models import Notification, Region, Report, ReportEvent, StaffRole
from tests.conftest import needs_postgres

from .workflow_support import enforcement, lighting, report_in


pytestmark = pytest.mark.django_db(transaction=True)


def race(*jobs) -> list[object]:
    """Run the jobs in threads released together; each result or exception, in order."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = jobs[index]()
        except Exception as exc:  # the loser's 409, collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def one_winner(results: list[object]) -> tuple[object, Exception]:
    losers = [r for r in results if isinstance(r, Exception)]
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    return winners[0], losers[0]


def test_two_dispatchers_dispatching_at_once_one_wins_and_the_other_gets_409(world, user):
    report = report_in("accepted", reporter=user("resident1"))
    # Both read the report before either writes: each passes every check on what it read.
    community_copy, street_copy = Report.objects.get(pk=report.pk), Report.objects.get(pk=report.pk)
    community, street = user("dispatcher-community"), user("dispatcher-street")
    results = race(
        lambda: transitions.dispatch_report(community_copy, actor=community, department=lighting()),
        lambda: transitions.dispatch_report(street_copy, actor=street, department=enforcement()))
    winner, loser = one_winner(results)
    assert isinstance(loser, InvalidTransition)
    stored = Report.objects.get(pk=report.pk)
    assert (stored.status, stored.department) == ("dispatched", winner.department)
    assert ReportEvent.objects.filter(report=report, action="dispatch").count() == 1
    assert Notification.objects.filter(report=report).count() == 1  # the winner's handler


def test_two_clicks_on_accept_through_the_api_give_one_200_and_one_409(world, api, user):
    """Two dispatchers of the same centre (of different levels, the loser could get 403
    instead: a higher level's accept takes the report over)."""
    colleague = User.objects.create(username="dispatcher-community-2")
    StaffRole.objects.create(user=colleague, role=StaffRole.Role.DISPATCHER,
                             region=Region.objects.get(code="450502001001"))
    report = report_in("submitted", reporter=user("resident1"))
    clients = [api("dispatcher-community"), api(colleague.username)]
    results = race(*(lambda c=c: c.post(f"/api/v1/reports/{report.pk}/accept/", {},
                                        format="json") for c in clients))
    assert sorted(r.status_code for r in results) == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["code"] == "invalid_transition"
    assert ReportEvent.objects.filter(report=report, action="accept").count() == 1


@needs_postgres
def test_on_postgresql_the_loser_waits_for_the_winners_commit_then_sees_it(world, user):
    """Escalate and dispatch racing: whichever commits first, the other re-checks the row
    after the lock and changes nothing (READ COMMITTED re-evaluates the WHERE clause)."""
    report = report_in("accepted", reporter=user("resident1"))
    copies = [Report.objects.select_related("category").get(pk=report.pk) for _i in range(2)]
    dispatcher = user("dispatcher-community")
    results = race(
        lambda: transitions.escalate_report(copies[0], actor=dispatcher, note="up"),
        lambda: transitions.dispatch_report(copies[1], actor=dispatcher, department=lighting()))
    winner, loser = one_winner(results)
    assert isinstance(loser, InvalidTransition)
    stored = Report.objects.get(pk=report.pk)
    assert stored.status == winner.status
    assert ReportEvent.objects.filter(report=report).exclude(action="submit").count() == 1
