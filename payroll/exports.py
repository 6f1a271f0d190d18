"""Bank files of an approved run: CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX.

Columns: line number, run number, period, account holder, bank, account number (masked
unless PAYROLL_EXPORT_ACCOUNT_NUMBERS=full), grid, days served, amount, note; then a
totals row. No national ID number exists in the system, so none can leak into a file.

Text that a spreadsheet would read as a formula (starting with = + - @, or a tab or
carriage return that hides one) is prefixed with an apostrophe, as OWASP advises for
CSV injection. Amounts are numbers we format ourselves and are never prefixed, so a
negative adjustment stays a number.

Lines are streamed from the database, so a 100,000-line file never holds the lines as
model objects at once. Headers are in the site's language, whoever downloads first.
"""

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .models import Run, RunLine, mask_account_number
from .money import format_period

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    """Text a spreadsheet must show, never evaluate."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _headers() -> list[str]:
    return [_("No."), _("Run number"), _("Period"), _("Account holder"), _("Bank"),
            _("Account number"), _("Grid"), _("Days served"), _("Amount"), _("Note")]


def _account_number(number: str) -> str:
    if settings.PAYROLL_EXPORT_ACCOUNT_NUMBERS == "full":
        return number
    return mask_account_number(number)


def _note(kind: str, suspended: bool, note: str) -> str:
    if suspended:
        return _("Suspended: %(reason)s") % {"reason": note}
    if kind == RunLine.Kind.ADJUSTMENT:
        return _("Adjustment: %(reason)s") % {"reason": note}
    return ""


LINE_FIELDS = ("leader__display_name", "leader__username", "leader__bank_account__account_name",
               "leader__bank_account__bank_name", "leader__bank_account__account_number",
               "grid__code", "days_served", "net", "kind", "suspended", "note")


def rows(run: Run) -> Iterator[list]:
    """The rows after the header: one per line (amount a Decimal, all text escaped), then
    the totals. Plain tuples, not model instances: a city's file is 100,000 rows."""
    lines = run.lines.order_by("id").values_list(*LINE_FIELDS).iterator(chunk_size=2000)
    period = format_period(run.period)
    for number, (display_name, username, holder, bank, account, grid, days, net, kind,
                 suspended, note) in enumerate(lines, start=1):
        text = [holder or display_name or username, bank or "",
                _account_number(account) if account else "", grid or ""]
        yield [number, run.number, period, *map(escape_cell, text), days, net,
               escape_cell(_note(kind, suspended, note))]
    yield ["", run.number, period, _("Total"), "", "", "", "", run.total,
           _("%(count)d lines") % {"count": run.line_count}]


def build_csv(run: Run) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        buffer = io.BytesIO()
        text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(_headers())
        for row in rows(run):
            writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row])
        text.flush()
        return buffer.getvalue()


def build_xlsx(run: Run) -> bytes:
    """Text goes in as plain strings: `escape_cell` already made sure none starts with
    '=', the one thing openpyxl would store as a formula."""
    with translation.override(settings.LANGUAGE_CODE):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(run.number[:31])
        sheet.append(_headers())
        for row in rows(run):
            sheet.append([_amount_cell(sheet, cell) if isinstance(cell, Decimal) else cell
                          for cell in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def _amount_cell(sheet, amount: Decimal) -> WriteOnlyCell:
    """A number, shown with two decimals."""
    cell = WriteOnlyCell(sheet, value=amount)
    cell.number_format = "0.00"
    return cell
