"""Bank files: one netted payment per payee, bank details as approved, real names, full
account numbers only for whoever may see them, templates as data, byte-stable files."""

import csv
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from payroll import services
from payroll.bank_templates import TEMPLATES, escape_cell
from payroll.models import RunEvent, RunExport

from .conftest import NOV, TEST_COMMUNITY

RUNS = "/api/v1/payroll/runs/"
GOLDEN = Path(__file__).parent / "golden"
HOSTILE = {"leader1": "=HYPERLINK(\"http://evil\",\"点我\")", "leader2": "+1+cmd|' /C calc'!A0",
           "leader3": "-2+3", "leader4": "@SUM(A1:A2)"}


def download(api, run, fmt: str, username: str = "finance2", template: str | None = None):
    query = {"template": template} if template else {}
    return api(username).get(f"{RUNS}{run.pk}/export.{fmt}", query)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def approve(run, user):
    services.submit_run(run, actor=user("finance1"))
    return services.approve_run(run, actor=user("finance2"))


@pytest.mark.parametrize("text, shown", [
    ("=1+2", "'=1+2"), ("+86", "'+86"), ("-5", "'-5"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("张三", "张三"), ("a=b", "a=b"), ("", ""),
])
def test_escape_cell_defuses_text_a_spreadsheet_would_evaluate(text, shown):
    assert escape_cell(text) == shown


def test_the_standard_file_lists_every_payee_by_real_name_masked_with_a_totals_row(
        api, approved_run, user):
    response = download(api, approved_run, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response.content)
    header, payments, totals = rows[0], rows[1:-1], rows[-1]
    assert len(header) == 10 and len(payments) == 10
    leader1 = user("leader1").bank_account
    assert payments[0][:4] == ["1", approved_run.number, "2026-11", "陈海燕"]
    assert payments[0][5] == leader1.masked_number and "*" in payments[0][5]
    assert leader1.account_number not in response.content.decode("utf-8-sig")
    assert sum(Decimal(row[8]) for row in payments) == Decimal("2700.00")
    assert totals[8] == "2700.00" and "10" in totals[9]


def test_finance_allowed_to_see_account_numbers_gets_them_whole_as_text(api, approved_run, user):
    number = user("leader1").bank_account.account_number
    assert len(number) == 19
    rows = csv_rows(download(api, approved_run, "csv", username="finance1").content)
    assert rows[1][5] == number
    sheet = load_workbook(io.BytesIO(download(api, approved_run, "xlsx",
                                              username="finance1").content)).active
    cell = sheet.cell(row=2, column=6)
    assert (cell.value, cell.data_type, cell.number_format) == (number, "s", "@")


def test_everyone_sees_full_numbers_when_the_site_is_configured_so(api, approved_run, user,
                                                                   settings):
    settings.PAYROLL_EXPORT_ACCOUNT_NUMBERS = "full"
    rows = csv_rows(download(api, approved_run, "csv").content)
    assert rows[1][5] == user("leader1").bank_account.account_number


def test_the_bank_details_are_those_approved_with_the_run(api, approved_run, set_bank_account):
    set_bank_account("leader1", "陈海燕", "6222020000000000099", bank="工商银行北海分行")
    rows = csv_rows(download(api, approved_run, "csv", username="finance1").content)
    assert rows[1][4] == "北部湾银行北海分行" and rows[1][5] != "6222020000000000099"


def test_one_payment_per_payee_and_a_debit_is_never_exported(api, make_run, user):
    for amount in ("-400.00", "-50.00"):
        services.create_adjustment(leader=user("leader1"), period=NOV, amount=Decimal(amount),
                                   reason="多发", actor=user("finance1"))
    run = approve(make_run(), user)
    rows = csv_rows(download(api, run, "csv").content)
    payments = rows[1:-1]
    assert [row[3] for row in payments].count("陈海燕") == 1
    assert all(Decimal(row[8]) >= 0 for row in payments)
    leader1 = next(row for row in payments if row[3] == "陈海燕")
    assert leader1[8] == "0.00" and "150.00" in leader1[9]  # 300 − 450: 150 carried
    assert sum(Decimal(row[8]) for row in payments) == run.total == Decimal("2400.00")


def test_hostile_names_are_escaped_in_the_csv_and_text_in_the_xlsx(api, make_run, user,
                                                                    set_bank_account):
    for k, (username, name) in enumerate(HOSTILE.items()):
        set_bank_account(username, name, f"62314500000000000{k:02d}")
    run = approve(make_run(), user)
    rows = csv_rows(download(api, run, "csv").content)
    assert {f"'{name}" for name in HOSTILE.values()} <= {row[3] for row in rows[1:-1]}
    assert not any(row[3].startswith(("=", "+", "-", "@")) for row in rows)
    sheet = load_workbook(io.BytesIO(download(api, run, "xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert {f"'{name}" for name in HOSTILE.values()} <= {row[3] for row in rows[1:-1]}
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert rows[-1][8] == 2700 and sheet.cell(row=2, column=9).number_format == "0.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloading_again_returns_the_same_bytes_with_the_recorded_sha256(
        api, approved_run, user, set_bank_account, fmt):
    first = download(api, approved_run, fmt)
    set_bank_account("leader1", "改了名", "6222020000000000099")
    again = download(api, approved_run, fmt)
    assert first.content == again.content
    digest = hashlib.sha256(first.content).hexdigest()
    assert first["X-Content-SHA256"] == again["X-Content-SHA256"] == digest
    export = RunExport.objects.get(run=approved_run, format=fmt)
    assert (export.sha256, export.size, export.template) == (digest, len(first.content),
                                                            "standard")
    downloads = RunEvent.objects.filter(run=approved_run, action="exported")
    assert [e.note for e in downloads] == [f"{fmt} sha256={digest} template=standard"] * 2


def test_the_agency_csv_is_gbk_without_zero_payments_or_totals(api, make_run, user):
    services.suspend_leader(leader=user("leader2"), period=NOV, reason="停职",
                            actor=user("finance1"))
    run = approve(make_run(), user)
    response = download(api, run, "csv", template="agency-csv-gbk")
    assert response["Content-Type"] == "text/csv; charset=gbk"
    assert response["Content-Disposition"].endswith(f'{run.number}-agency-csv-gbk.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("gbk"))))
    assert rows[0] == ["账号", "户名", "金额", "用途"]
    assert len(rows) == 1 + 9 and "黄志强" not in {row[1] for row in rows}
    assert sum(Decimal(row[2]) for row in rows[1:]) == run.total == Decimal("2400.00")
    assert rows[1][3] == "网格员补贴 2026-11"


def test_the_agency_xlsx_starts_with_the_batch_summary(api, approved_run):
    sheet = load_workbook(io.BytesIO(download(api, approved_run, "xlsx",
                                              template="agency-xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[:4] == [("批次号", approved_run.number, None, None, None),
                        ("总笔数", 10, None, None, None), ("总金额", 2700, None, None, None),
                        ("序号", "收款账号", "收款户名", "金额", "用途")]
    assert len(rows) == 4 + 10


@pytest.mark.parametrize(("fmt", "template", "code"), [
    ("csv", "agency-xlsx", "template_format"), ("xlsx", "agency-csv-gbk", "template_format"),
    ("csv", "swift", "invalid"),
])
def test_a_template_that_cannot_make_the_file_is_400(api, approved_run, fmt, template, code):
    response = download(api, approved_run, fmt, template=template)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert not RunExport.objects.exists()


def test_a_name_the_encoding_cannot_write_is_409_naming_it(api, make_run, user,
                                                            set_bank_account):
    set_bank_account("leader3", "李𠮷", "6231450000000000003")
    run = approve(make_run(), user)
    response = download(api, run, "csv", template="agency-csv-gbk")
    assert (response.status_code, response.json()["code"]) == (409, "not_encodable")
    assert "𠮷" in response.json()["detail"]


def test_a_payee_without_a_bank_account_stops_the_approval(add_term, user):
    term = add_term(NOV)
    run = services.create_run(period=NOV, region=term.grid.community, actor=user("finance1"))
    services.submit_run(run, actor=user("finance1"))
    with pytest.raises(services.BankAccountMissing, match=term.user.username):
        services.approve_run(run, actor=user("finance2"))
    run.refresh_from_db()
    assert run.status == "submitted" and run.region.code == TEST_COMMUNITY


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


# --- every shipped template, byte for byte ----------------------------------------------

GOLDEN_FILES = [(code, fmt) for code, template in TEMPLATES.items() for fmt in template.formats]


@pytest.mark.parametrize(("code", "fmt"), GOLDEN_FILES)
@freeze_time("2026-12-01 10:00:00+08:00")
def test_each_shipped_template_makes_exactly_its_golden_file(api, make_run, user,
                                                             set_bank_account, code, fmt):
    """November with a suspension and a shortfall, fixed accounts, approved at a fixed
    time: tests/payroll/golden/ holds the expected bytes (docs/payroll.md shows them)."""
    leaders = ["leader1", "leader2", "leader3", "leader4", "leader5", "leader6", "leader7",
               "leader8", "leader9old", "leader9"]
    for k, username in enumerate(leaders, start=1):
        set_bank_account(username, user(username).bank_account.account_name,
                         f"62314500000000000{k:02d}")
    services.suspend_leader(leader=user("leader2"), period=NOV, reason="停职检查",
                            actor=user("finance1"))
    services.create_adjustment(leader=user("leader3"), period=NOV, amount=Decimal("-350.00"),
                               reason="十月多发", actor=user("finance1"))
    run = approve(make_run(), user)
    content = download(api, run, fmt, username="finance1", template=code).content
    assert content == (GOLDEN / f"{code}.{fmt}").read_bytes()


@pytest.mark.parametrize("path", ["export.csv?format=csv", "export.xlsx?format=xlsx"])
def test_an_error_of_a_bank_file_is_json_even_when_the_file_type_was_asked_for(api, path):
    """Found by schema fuzzing: the error body came labelled text/csv."""
    response = api().get(f"/api/v1/payroll/runs/0/{path}")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_authenticated"
