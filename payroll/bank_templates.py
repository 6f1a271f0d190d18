"""Bank files as data: a template is its columns, header rows, totals row, formats and
encodings. `build` turns an approved run's payments (one per payee, netted, never below
0.00, bank details as copied at approval) into the bytes of one template.

Shipped templates (docs/payroll.md shows each layout):
- `standard`: the office's payment list, CSV (UTF-8 with BOM, so Excel shows Chinese) or
  XLSX, every payee (0.00 ones too, with the reason), a totals row; headers in the
  site's language.
- `agency-csv-gbk`: a bank 代发 import in CSV, GBK: 账号, 户名, 金额, 用途; payments above
  0.00 only, no header block, no totals row.
- `agency-xlsx`: a bank 代发 import in XLSX: a header block (批次号, 总笔数, 总金额), then
  序号, 收款账号, 收款户名, 金额, 用途; payments above 0.00 only.

The bank templates' column names are the banks' own, fixed by their import specs, so
they are data and not translated. Text a spreadsheet would evaluate (starting with
= + - @, or a tab or carriage return hiding one) is prefixed with an apostrophe (OWASP,
CSV injection); amounts are numbers we format ourselves. Account numbers are text (in
XLSX text cells with the "@" format: a number cell would keep only 15 digits), masked
unless the file is built with `full_numbers`. The same run and template always give the
same bytes: XLSX documents carry the run's approval time and fixed zip timestamps,
never the clock.

A file is built from a `Batch`: a monthly run (`run_batch`) or a year-end distribution
(`payroll.yearend.exports.distribution_batch`), both netted into one payment per payee
with the bank details copied at approval.
"""

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from .models import Payment, Run, RunLine, mask_account_number
from .money import format_period

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry: no clock in the file


def escape_cell(text: str) -> str:
    """Text a spreadsheet must show, never evaluate."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Column:
    header: str  # the text, or a gettext_lazy message for the site's language
    field: str  # a key of `PaymentRow.values()`
    total: str = ""  # a key of the totals row's values, or "" for an empty cell


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    formats: dict[str, str | None]  # format → encoding (None for XLSX)
    columns: tuple[Column, ...]
    header_rows: tuple[tuple[str, ...], ...] = ()  # literal text or {run}, {count}, {total}
    totals_row: bool = False
    include_zero: bool = True  # whether payees paid 0.00 are listed
    purpose: str = "网格员补贴"  # 用途 written on each transfer (bank templates)


STANDARD = Template(
    code="standard", name=gettext_lazy("Payment list (CSV or XLSX)"),
    formats={"csv": "utf-8-sig", "xlsx": None},
    columns=(
        Column(gettext_lazy("No."), "seq"),
        Column(gettext_lazy("Run number"), "run", total="run"),
        Column(gettext_lazy("Period"), "period", total="period"),
        Column(gettext_lazy("Account holder"), "account_name", total="label"),
        Column(gettext_lazy("Bank"), "bank_name"),
        Column(gettext_lazy("Account number"), "account_number"),
        Column(gettext_lazy("Grid"), "grid"),
        Column(gettext_lazy("Days served"), "days_served"),
        Column(gettext_lazy("Amount"), "amount", total="total"),
        Column(gettext_lazy("Note"), "note", total="count"),
    ),
    totals_row=True)

AGENCY_CSV_GBK = Template(
    code="agency-csv-gbk", name=gettext_lazy("Bank payroll import, CSV in GBK"),
    formats={"csv": "gbk"},
    columns=(Column("账号", "account_number"), Column("户名", "account_name"),
             Column("金额", "amount"), Column("用途", "purpose")),
    include_zero=False)

AGENCY_XLSX = Template(
    code="agency-xlsx", name=gettext_lazy("Bank payroll import, XLSX with a summary block"),
    formats={"xlsx": None},
    header_rows=(("批次号", "{run}"), ("总笔数", "{count}"), ("总金额", "{total}")),
    columns=(Column("序号", "seq"), Column("收款账号", "account_number"),
             Column("收款户名", "account_name"), Column("金额", "amount"),
             Column("用途", "purpose")),
    include_zero=False)

TEMPLATES = {t.code: t for t in (STANDARD, AGENCY_CSV_GBK, AGENCY_XLSX)}


class NotEncodable(ValueError):
    """A payee's text has characters the template's encoding lacks."""


@dataclass(frozen=True)
class Batch:
    """What a bank file lists: payments with `PAYMENT_FIELDS`, in bank-file order."""

    number: str
    period: str  # "2026-11" for a month, "2026" for a year-end distribution
    total: Decimal
    payments: QuerySet
    stamp: dt.datetime  # the time an XLSX document carries
    notes: Callable[[], dict[int, list[str]]]  # leader id → why the payment is what it is
    purpose: str | None = None  # 用途, instead of the template's


def run_batch(run: Run) -> Batch:
    return Batch(number=run.number, period=format_period(run.period), total=run.total,
                 payments=run.payments.all(), stamp=run.approved_at or run.prepared_at,
                 notes=lambda: _notes(run))


# --- rows -------------------------------------------------------------------------------

def _notes(run: Run) -> dict[int, list[str]]:
    """Why a payee's payment is not just their stipend, by leader id: suspensions,
    adjustments and shortfalls carried in (few lines: the rest are plain stipends)."""
    notes: dict[int, list[str]] = defaultdict(list)
    lines = run.lines.filter(Q(suspended=True) | ~Q(kind=RunLine.Kind.STIPEND)).order_by("id")
    for leader, kind, suspended, note, amount in lines.values_list(
            "leader_id", "kind", "suspended", "note", "net"):
        if suspended:
            notes[leader].append(_("Suspended: %(reason)s") % {"reason": note})
        elif kind == RunLine.Kind.ADJUSTMENT:
            notes[leader].append(_("Adjustment %(amount)s: %(reason)s") % {
                "amount": f"{amount:.2f}", "reason": note})
        else:
            notes[leader].append(_("Carried from %(run)s: %(amount)s") % {
                "run": note, "amount": f"{amount:.2f}"})
    return notes


PAYMENT_FIELDS = ("leader_id", "account_name", "bank_name", "account_number", "grid__code",
                  "days_served", "amount", "shortfall")


def _payment_rows(batch: Batch, template: Template, full_numbers: bool) -> Iterator[dict]:
    """One dict per listed payment, in bank-file order; plain tuples from the database,
    not model instances: a city's file has 100,000 rows."""
    notes = batch.notes()
    payments = batch.payments.order_by("position")
    if not template.include_zero:
        payments = payments.filter(amount__gt=0)
    period = batch.period
    purpose = f"{batch.purpose or template.purpose} {period}"
    number = mask_account_number if not full_numbers else str
    rows = payments.values_list(*PAYMENT_FIELDS).iterator(chunk_size=2000)
    for seq, (leader, holder, bank, account, grid, days, amount, shortfall) in enumerate(
            rows, start=1):
        note = notes.get(leader, [])
        if shortfall:
            note = [*note, _("Shortfall carried to the next run: %(amount)s") % {
                "amount": f"{shortfall:.2f}"}]
        yield {"seq": seq, "run": batch.number, "period": period, "account_name": holder,
               "bank_name": bank, "account_number": number(account) if account else "",
               "grid": grid or "", "days_served": days, "amount": amount,
               "note": "; ".join(note), "purpose": purpose}


def _listed(batch: Batch, template: Template) -> tuple[int, Decimal]:
    """(payments listed, their total): the batch's total whichever payees are listed,
    since a 0.00 payment adds nothing."""
    payments = batch.payments if template.include_zero else batch.payments.filter(amount__gt=0)
    return payments.count(), batch.total


def _cell(value: object) -> object:
    return escape_cell(value) if isinstance(value, str) else value


def rows(run: Run | Batch, template: Template, *, full_numbers: bool) -> Iterator[list]:
    """Every row of the file: header block, column headers, payments, totals. Amounts
    are Decimals and counts ints (the writers format them); all text is escaped."""
    batch = run if isinstance(run, Batch) else run_batch(run)
    count, total = _listed(batch, template)
    context = {"run": batch.number, "count": count, "total": total}
    for header in template.header_rows:
        yield [context[c[1:-1]] if c.startswith("{") else c for c in header]
    yield [str(c.header) for c in template.columns]
    for row in _payment_rows(batch, template, full_numbers):
        yield [_cell(row[c.field]) for c in template.columns]
    if template.totals_row:
        totals = {"run": batch.number, "period": batch.period, "label": _("Total"),
                  "total": total, "count": _("%(count)d payments") % {"count": count}}
        yield [totals.get(c.total, "") for c in template.columns]


# --- writers ----------------------------------------------------------------------------

def _text(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def build_csv(batch: Batch, template: Template, *, full_numbers: bool) -> bytes:
    return write_csv(rows(batch, template, full_numbers=full_numbers),
                     template.formats["csv"])


def write_csv(table: Iterator[list], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table:
        writer.writerow([_text(cell) for cell in row])
    try:
        return buffer.getvalue().encode(encoding)
    except UnicodeEncodeError as exc:
        raise NotEncodable(buffer.getvalue()[exc.start:exc.end]) from exc


def build_xlsx(batch: Batch, template: Template, *, full_numbers: bool) -> bytes:
    account_column = [c.field for c in template.columns].index("account_number")
    return write_xlsx(rows(batch, template, full_numbers=full_numbers), title=batch.number,
                      stamp=batch.stamp, text_column=account_column,
                      offset=len(template.header_rows) + 1)


def write_xlsx(table: Iterator[list], *, title: str, stamp: dt.datetime,
               text_column: int | None, offset: int) -> bytes:
    """Text goes in as plain strings: `escape_cell` already made sure none starts with
    '=', the one thing openpyxl would store as a formula. `text_column`, from row
    `offset` on, is kept as text (an account number)."""
    workbook = Workbook(write_only=True)
    stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.created = workbook.properties.modified = stamp
    sheet = workbook.create_sheet(title[:31])
    for index, row in enumerate(table):
        cells = [_xlsx_cell(sheet, cell) for cell in row]
        if text_column is not None and index >= offset and isinstance(cells[text_column], str):
            cells[text_column] = _text_cell(sheet, cells[text_column])
        sheet.append(cells)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        ExcelWriter(workbook, zipped).write_data()  # save() without the clock
    return _stable_zip(archive.getvalue())


def _xlsx_cell(sheet, value: object) -> object:
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.00"
        return cell
    return value


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "@"
    return cell


def _stable_zip(content: bytes) -> bytes:
    """The same entries in the same order, each dated ZIP_TIME instead of now."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info))
    return out.getvalue()


BUILDERS: dict[str, Callable[..., bytes]] = {"csv": build_csv, "xlsx": build_xlsx}


def build(template: Template, run: Run | Batch, fmt: str, *, full_numbers: bool) -> bytes:
    """The file in the site's language, whoever downloads first."""
    batch = run if isinstance(run, Batch) else run_batch(run)
    with translation.override(settings.LANGUAGE_CODE):
        return BUILDERS[fmt](batch, template, full_numbers=full_numbers)
