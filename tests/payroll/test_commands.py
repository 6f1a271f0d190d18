"""`check_payroll` and `generate_payroll_run`."""

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from payroll.models import Run

from .conftest import HHL


@contextmanager
def triggers_off(table: str) -> Iterator[None]:
    """Tamper as someone with the database password could: without our triggers (inside
    the test's transaction, which rolls it all back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: ALTER may run
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            return
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                       "AND tbl_name = %s", [table])
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        yield
        for _name, sql in triggers:
            cursor.execute(sql)


def check() -> str:
    out = io.StringIO()
    call_command("check_payroll", stdout=out)
    return out.getvalue()


def check_fails(what: str = "approved runs") -> str:
    """The command's output, when it fails on exactly one of one `what`."""
    out = io.StringIO()
    with pytest.raises(CommandError, match=f"1 of 1 {what} do not reconcile"):
        call_command("check_payroll", stdout=out)
    return out.getvalue()


def test_check_payroll_reconciles_approved_and_paid_runs(api, approved_run, make_run):
    make_run(period=approved_run.period.replace(month=12))  # drafts are not checked
    api("finance1").get(f"/api/v1/payroll/runs/{approved_run.pk}/export.xlsx")
    assert "1 approved runs reconcile" in check()


def test_check_payroll_reports_a_line_changed_behind_our_back(approved_run):
    line = approved_run.lines.order_by("id").first()
    with triggers_off("payroll_runline"), connection.cursor() as cursor:
        cursor.execute("UPDATE payroll_runline SET net = 299, base = 299 WHERE id = %s", [line.pk])
    report = check_fails()
    assert f"line {line.pk}: base is 299.00, recomputed 300.00" in report
    assert "lines sum net to 2699.00, the run says 2700.00" in report


def test_check_payroll_reports_a_run_total_that_disagrees_with_its_events(approved_run):
    with triggers_off("payroll_run"), connection.cursor() as cursor:
        cursor.execute("UPDATE payroll_run SET total = 2800 WHERE id = %s", [approved_run.pk])
    report = check_fails()
    assert "approved with total 2700.00, the run says 2800.00" in report


def test_check_payroll_reports_a_bank_file_that_no_longer_matches(api, approved_run):
    api("finance1").get(f"/api/v1/payroll/runs/{approved_run.pk}/export.csv")
    with triggers_off("payroll_runexport"), connection.cursor() as cursor:
        cursor.execute("UPDATE payroll_runexport SET content = %s", [b"forged"])
    assert "csv bank file does not match its sha256" in check_fails()


def test_check_payroll_reports_a_leader_term_rewritten_after_payment(approved_run, user):
    term = user("leader9old").leader_terms.get()
    term.end_date = term.end_date.replace(day=20)
    term.save()
    assert "days served is 15, recomputed 20" in check_fails()


def test_generate_payroll_run_shows_a_progress_bar(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_payroll_run", period="2026-11", region=HHL, actor="finance1",
                 stdout=out, stderr=err)
    assert "10 lines, total 2700.00" in out.getvalue()
    assert err.getvalue() == f"\r黄海路社区 2026-11 [{'#' * 30}] 1/1 chunks\n"
    run = Run.objects.get()
    assert run.prepared_by.username == "finance1"
    call_command("generate_payroll_run", period="2026-11", region=HHL, regenerate=True,
                 stdout=out, stderr=err)
    run.refresh_from_db()
    assert (run.prepared_by, run.events.last().action) == (None, "regenerated")


def test_generate_payroll_run_explains_what_is_wrong(world, in_english):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("generate_payroll_run", period="11/2026", region=HHL)
    with pytest.raises(CommandError, match="No region"):
        call_command("generate_payroll_run", period="2026-11", region="999999999999")
    call_command("generate_payroll_run", period="2026-11", region=HHL, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("generate_payroll_run", period="2026-11", region=HHL, stdout=io.StringIO())
