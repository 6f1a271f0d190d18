"""The status machine, maker-checker, concurrent approval and immutability — in the
services, through the API, and in the database itself."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from config.api.errors import InvalidTransition
from payroll import services
from payroll.models import Adjustment, Run, RunEvent, RunExport, RunLine
from tests.conftest import needs_postgres

from .conftest import NOV

RUNS = "/api/v1/payroll/runs/"
S = Run.Status


def act(api, username, run, action, **body):
    return api(username).post(f"{RUNS}{run.pk}/{action}/", body, format="json")


def run_in(status: str, make_run, user) -> Run:
    """A November run of 黄海路社区 brought to `status` by finance1 (maker) and finance2."""
    run = make_run()
    f1, f2 = user("finance1"), user("finance2")
    if status == S.CANCELLED:
        return services.cancel_run(run, actor=f1)
    if status != S.DRAFT:
        services.submit_run(run, actor=f1)
    if status in (S.APPROVED, S.PAID):
        services.approve_run(run, actor=f2)
    if status == S.PAID:
        services.mark_run_paid(run, actor=f2)
    run.refresh_from_db()
    return run


ALLOWED = {("draft", "submit"), ("submitted", "approve"), ("submitted", "reject"),
           ("approved", "mark-paid"), ("draft", "cancel"), ("submitted", "cancel"),
           ("draft", "regenerate")}


@pytest.mark.parametrize("status", [s.value for s in S])
@pytest.mark.parametrize("action", ["submit", "approve", "reject", "mark-paid", "cancel",
                                    "regenerate"])
def test_each_action_is_allowed_only_from_its_statuses(api, make_run, user, finance3, status,
                                                       action):
    run = run_in(status, make_run, user)
    response = act(api, "finance3", run, action, reason="不对")
    if (status, action) in ALLOWED:
        assert response.status_code == 200, response.json()
    else:
        assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
        run.refresh_from_db()
        assert run.status == status


def test_the_happy_path_draft_submitted_approved_paid(api, make_run, user):
    run = make_run()
    assert act(api, "finance1", run, "submit").json()["status"] == "submitted"
    approved = act(api, "finance2", run, "approve").json()
    assert (approved["status"], approved["approved_by"]) == ("approved", user("finance2").pk)
    paid = act(api, "finance2", run, "mark-paid").json()
    assert paid["status"] == "paid" and paid["paid_by"] == user("finance2").pk
    assert [e.action for e in run.events.all()] == ["created", "submitted", "approved", "paid"]


# (preparer, submitter, approver) → status code; None prepares as the scheduled task does.
MAKER_CHECKER = [
    ("finance1", "finance1", "finance1", 403),
    ("finance1", "finance1", "finance2", 200),
    ("finance1", "finance2", "finance1", 403),
    ("finance1", "finance2", "finance2", 403),
    ("finance1", "finance2", "finance3", 200),
    (None, "finance1", "finance1", 403),
    (None, "finance1", "finance2", 200),
    ("admin", "admin", "admin", 403),
    ("admin", "finance1", "finance2", 200),
]


@pytest.mark.parametrize("preparer, submitter, approver, expected", MAKER_CHECKER)
def test_maker_checker_matrix(api, region, user, finance3, preparer, submitter, approver,
                              expected):
    run = services.create_run(period=NOV, region=region("450502001001"),
                              actor=user(preparer) if preparer else None)
    services.submit_run(run, actor=user(submitter))
    response = act(api, approver, run, "approve")
    assert response.status_code == expected, response.json()
    if expected == 403:
        assert response.json()["code"] == "maker_checker"
        run.refresh_from_db()
        assert (run.status, run.approved_by) == (S.SUBMITTED, None)


def test_whoever_regenerated_the_draft_is_its_preparer_and_cannot_approve(api, make_run, user):
    run = make_run(by="finance1")
    services.regenerate_run(run, actor=user("finance2"))
    services.submit_run(run, actor=user("finance1"))
    assert act(api, "finance2", run, "approve").json()["code"] == "maker_checker"


def test_the_preparer_of_an_adjustment_cannot_approve_the_run_carrying_it(api, make_run, user,
                                                                          finance3):
    services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal("10.00"),
                               reason="补发", actor=user("finance3"))
    run = make_run()
    services.submit_run(run, actor=user("finance1"))
    response = act(api, "finance3", run, "approve")
    assert (response.status_code, response.json()["code"]) == (403, "maker_checker")
    assert act(api, "finance2", run, "approve").status_code == 200


def test_maker_checker_is_a_database_constraint_too(make_run, user):
    run = run_in(S.SUBMITTED, make_run, user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.filter(pk=run.pk).update(status=S.APPROVED, approved_by=user("finance1"),
                                             approved_at=run.prepared_at)


def test_a_rejection_needs_a_reason_and_sends_the_run_back_to_draft(api, make_run, user):
    run = run_in(S.SUBMITTED, make_run, user)
    response = act(api, "finance2", run, "reject", reason="  ")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    body = act(api, "finance2", run, "reject", reason="leader9 的天数不对").json()
    assert (body["status"], body["submitted_by"]) == ("draft", None)
    event = run.events.last()
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "rejected", "submitted", "draft", "leader9 的天数不对")


def test_after_a_rejection_a_new_submitter_cannot_approve_but_the_first_can(api, make_run, user):
    run = run_in(S.SUBMITTED, make_run, user)  # finance1 prepared and submitted
    services.reject_run(run, actor=user("finance2"), reason="再看看")
    services.submit_run(run, actor=user("finance2"))
    assert act(api, "finance2", run, "approve").status_code == 403
    assert act(api, "finance1", run, "approve").status_code == 403  # still the preparer


def test_only_finance_staff_of_the_region_act(api, make_run, finance_hpl):
    run = make_run()
    assert act(api, "leader1", run, "submit").status_code == 404  # not theirs to see
    assert act(api, "finance-hpl", run, "submit").status_code == 404


# --- Concurrency ------------------------------------------------------------------------

@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_approving_twice_at_once_exactly_one_succeeds(api, make_run, user, finance3):
    run = run_in(S.SUBMITTED, make_run, user)
    clients = [api("finance2"), api("finance3")]
    barrier, results = threading.Barrier(2), []

    def approve(client) -> None:
        try:
            barrier.wait()
            results.append(client.post(f"{RUNS}{run.pk}/approve/"))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results) == [200, 409]
    assert [r.json()["code"] for r in results if r.status_code == 409] == ["invalid_transition"]
    assert RunEvent.objects.filter(run=run, action="approved").count() == 1


# --- Immutability in the database -------------------------------------------------------

def refused(sql: str, params: list) -> bool:
    """Whether the database refuses a raw statement (in a savepoint, so the test goes on)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError:
        return True
    return False


def test_a_draft_run_and_its_lines_can_still_be_changed(make_run):
    run = make_run()
    assert not refused("UPDATE payroll_runline SET note = 'x' WHERE run_id = %s", [run.pk])
    assert not refused("UPDATE payroll_run SET line_count = 10 WHERE id = %s", [run.pk])


def test_a_submitted_runs_lines_are_what_the_approver_gets(make_run, user):
    run = run_in(S.SUBMITTED, make_run, user)
    assert refused("UPDATE payroll_runline SET net = 0 WHERE run_id = %s", [run.pk])
    services.cancel_run(run, actor=user("finance1"))
    assert not run.lines.filter(live=True).exists()


def test_a_raw_update_of_an_approved_runs_lines_fails(approved_run):
    assert refused("UPDATE payroll_runline SET net = 0 WHERE run_id = %s", [approved_run.pk])
    assert refused("DELETE FROM payroll_runline WHERE run_id = %s", [approved_run.pk])
    line = approved_run.lines.first()
    assert refused(
        "INSERT INTO payroll_runline (run_id, kind, period, live, leader_id, leader_term_id, "
        "grid_id, policy_id, days_served, days_in_month, monthly_amount, withholding_percent, "
        "base, withheld, adjustments, net, suspended, note) SELECT run_id, kind, '2026-10-01', "
        "live, leader_id, leader_term_id, grid_id, policy_id, days_served, days_in_month, "
        "monthly_amount, withholding_percent, base, withheld, adjustments, net, suspended, note "
        "FROM payroll_runline WHERE id = %s", [line.pk])
    assert approved_run.lines.count() == 10


def test_a_raw_update_of_an_approved_run_fails_except_marking_it_paid(approved_run, user):
    assert refused("UPDATE payroll_run SET total = 1 WHERE id = %s", [approved_run.pk])
    assert refused("UPDATE payroll_run SET status = 'draft' WHERE id = %s", [approved_run.pk])
    assert refused("DELETE FROM payroll_run WHERE id = %s", [approved_run.pk])
    paid = services.mark_run_paid(approved_run, actor=user("finance2"))
    assert paid.status == S.PAID
    assert refused("UPDATE payroll_run SET paid_at = NULL WHERE id = %s", [paid.pk])


def test_events_exports_and_approved_adjustments_are_append_only(api, approved_run, user):
    assert refused("UPDATE payroll_runevent SET note = 'x' WHERE run_id = %s", [approved_run.pk])
    assert refused("DELETE FROM payroll_runevent WHERE run_id = %s", [approved_run.pk])
    api("finance1").get(f"{RUNS}{approved_run.pk}/export.csv")
    export = RunExport.objects.get()
    assert refused("UPDATE payroll_runexport SET sha256 = 'x' WHERE id = %s", [export.pk])
    adjustment = services.create_adjustment(leader=user("leader1"), period=NOV,
                                            amount=Decimal("5.00"), reason="r",
                                            actor=user("finance1"))
    assert not refused("UPDATE payroll_adjustment SET reason = 'typo' WHERE id = %s",
                       [adjustment.pk])
    Adjustment.objects.filter(pk=adjustment.pk).update(approved_by=user("finance2"))
    assert refused("UPDATE payroll_adjustment SET amount = 500 WHERE id = %s", [adjustment.pk])


def test_services_refuse_to_change_an_approved_run(approved_run, user):
    for call in (lambda: services.cancel_run(approved_run, actor=user("finance1")),
                 lambda: services.reject_run(approved_run, actor=user("finance2"), reason="x"),
                 lambda: services.regenerate_run(approved_run, actor=user("finance1"))):
        with pytest.raises(InvalidTransition):
            call()
    assert approved_run.lines.filter(live=True).count() == RunLine.objects.count() == 10
