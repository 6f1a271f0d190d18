"""Bank files: CSV with a BOM, XLSX, formula escaping, masking, byte-stable re-downloads."""

import csv
import hashlib
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from payroll import services
from payroll.exports import escape_cell
from payroll.models import BankAccount, RunEvent, RunExport

from .conftest import DEC

RUNS = "/api/v1/payroll/runs/"
HOSTILE = {"leader1": "=HYPERLINK(\"http://evil\",\"点我\")", "leader2": "+1+cmd|' /C calc'!A0",
           "leader3": "-2+3", "leader4": "@SUM(A1:A2)"}


def download(api, run, fmt: str, username: str = "finance1"):
    return api(username).get(f"{RUNS}{run.pk}/export.{fmt}")


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def hostile_names(world, user):
    for username, name in HOSTILE.items():
        BankAccount.objects.filter(leader=user(username)).update(account_name=name)


@pytest.mark.parametrize("text, shown", [
    ("=1+2", "'=1+2"), ("+86", "'+86"), ("-5", "'-5"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("张三", "张三"), ("a=b", "a=b"), ("", ""),
])
def test_escape_cell_defuses_text_a_spreadsheet_would_evaluate(text, shown):
    assert escape_cell(text) == shown


def test_csv_bank_file_has_every_line_masked_accounts_and_a_totals_row(api, approved_run, user):
    response = download(api, approved_run, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response.content)
    header, lines, totals = rows[0], rows[1:-1], rows[-1]
    assert len(header) == 10 and len(lines) == 10
    leader1 = user("leader1").bank_account
    first = lines[0]
    assert first[:4] == ["1", approved_run.number, "2026-11", leader1.account_name]
    assert first[5] == leader1.masked_number and first[5].startswith("6231") and "*" in first[5]
    assert leader1.account_number not in response.content.decode("utf-8-sig")
    assert sum(Decimal(row[8]) for row in lines) == Decimal("2700.00")
    assert totals[8] == "2700.00" and totals[1] == approved_run.number


def test_hostile_names_are_escaped_in_the_csv(api, approved_run, hostile_names):
    rows = csv_rows(download(api, approved_run, "csv").content)
    names = {row[3] for row in rows[1:-1]}
    assert {f"'{name}" for name in HOSTILE.values()} <= names
    assert not any(row[3].startswith(("=", "+", "-", "@")) for row in rows)


def test_hostile_names_are_text_in_the_xlsx_and_amounts_are_numbers(api, approved_run,
                                                                     hostile_names):
    response = download(api, approved_run, "xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    names = {row[3] for row in rows[1:-1]}
    assert {f"'{name}" for name in HOSTILE.values()} <= names
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)  # no formula anywhere
    assert sum(Decimal(str(row[8])) for row in rows[1:-1]) == Decimal("2700")
    assert rows[-1][8] == 2700 and sheet.cell(row=2, column=9).number_format == "0.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloading_again_returns_the_same_bytes_with_the_recorded_sha256(
        api, approved_run, user, fmt):
    first = download(api, approved_run, fmt)
    BankAccount.objects.filter(leader=user("leader1")).update(account_name="改了名")
    again = download(api, approved_run, fmt, username="finance2")
    assert first.content == again.content
    digest = hashlib.sha256(first.content).hexdigest()
    assert first["X-Content-SHA256"] == again["X-Content-SHA256"] == digest
    export = RunExport.objects.get(run=approved_run, format=fmt)
    assert (export.sha256, export.size, export.created_by) == (
        digest, len(first.content), user("finance1"))
    downloads = RunEvent.objects.filter(run=approved_run, action="exported")
    assert [(e.actor.username, e.note) for e in downloads] == [
        ("finance1", f"{fmt} sha256={digest}"), ("finance2", f"{fmt} sha256={digest}")]


def test_full_account_numbers_only_when_configured(api, approved_run, user, settings):
    settings.PAYROLL_EXPORT_ACCOUNT_NUMBERS = "full"
    rows = csv_rows(download(api, approved_run, "csv").content)
    assert rows[1][5] == user("leader1").bank_account.account_number


def test_a_leader_without_a_bank_account_is_listed_by_name(api, approved_run, user):
    BankAccount.objects.filter(leader=user("leader2")).delete()
    rows = csv_rows(download(api, approved_run, "csv").content)
    assert rows[2][3:6] == ["leader2", "", ""]


def test_suspended_and_adjustment_lines_say_why(api, make_run, user):
    services.suspend_leader(leader=user("leader2"), period=DEC, reason="停职",
                            actor=user("finance1"))
    services.create_adjustment(leader=user("leader1"), period=DEC, amount=Decimal("-5.00"),
                               reason="-多发", actor=user("finance1"))
    run = make_run(period=DEC)
    services.submit_run(run, actor=user("finance1"))
    services.approve_run(run, actor=user("finance2"))
    rows = csv_rows(download(api, run, "csv").content)
    notes = {row[3]: (row[8], row[9]) for row in rows[1:-1] if row[9]}
    assert notes["leader2"][0] == "0.00" and "停职" in notes["leader2"][1]
    assert notes["leader1"][0] == "-5.00"  # an amount is a number, never escaped
    assert rows[-1][8] == "2395.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_only_approved_runs_have_a_bank_file(api, make_run, fmt):
    response = download(api, make_run(), fmt)
    assert (response.status_code, response.json()["code"]) == (409, "run_not_approved")
    assert not RunExport.objects.exists()


def test_a_bank_file_is_404_outside_ones_region(api, approved_run, finance_hpl):
    assert download(api, approved_run, "csv", username="finance-hpl").status_code == 404
    assert download(api, approved_run, "xlsx", username="leader1").status_code == 404


def test_a_client_asking_for_the_file_type_gets_it(api, approved_run):
    response = api("finance1").get(f"{RUNS}{approved_run.pk}/export.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
