"""A distribution's files: the bank file, in any bank template, exactly as for a monthly
run (one netted payment per payee, bank details as copied at approval); and the 公示
list to post on the community board: grid, leader, days served, score and share, never
an account number."""

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, Value
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import bank_templates
from ..bank_templates import Batch, escape_cell, write_csv, write_xlsx
from .models import Distribution

PURPOSE = "网格员年度绩效分配"  # 用途 on each transfer: data, as the banks' column names are
NOTICE = "notice"
NOTICE_COLUMNS = (gettext_lazy("No."), gettext_lazy("Grid"), gettext_lazy("Leader"),
                  gettext_lazy("Days served"), gettext_lazy("Score"), gettext_lazy("Share"))


def distribution_batch(distribution: Distribution) -> Batch:
    """The payments as a bank file lists them; a year-end payment is never short."""
    payments = distribution.payments.annotate(
        shortfall=Value(Decimal("0.00"), output_field=DecimalField(max_digits=13,
                                                                   decimal_places=2)))
    return Batch(number=distribution.number, period=str(distribution.year),
                 total=distribution.pool, payments=payments,
                 stamp=distribution.approved_at or distribution.prepared_at,
                 notes=dict, purpose=PURPOSE)


def build_bank_file(distribution: Distribution, template: bank_templates.Template,
                    fmt: str, *, full_numbers: bool) -> bytes:
    return bank_templates.build(template, distribution_batch(distribution), fmt,
                                full_numbers=full_numbers)


def notice_rows(distribution: Distribution) -> Iterator[list]:
    """Title, column headers, one row per share in term order, the total."""
    yield [_("Year-end distribution %(year)s, %(region)s: public notice until %(end)s") % {
        "year": distribution.year, "region": distribution.region.name,
        "end": f"{distribution.notice_ends_at:%Y-%m-%d}" if distribution.notice_ends_at else ""}]
    yield [str(c) for c in NOTICE_COLUMNS]
    shares = distribution.shares.order_by("leader_term_id").values_list(
        "grid__code", "leader__display_name", "leader__username", "days_served", "score",
        "amount")
    for seq, (grid, name, username, days, score, amount) in enumerate(
            shares.iterator(chunk_size=2000), start=1):
        yield [seq, escape_cell(grid), escape_cell(name or username), days, f"{score}", amount]
    yield ["", _("Total"), "", "", "", distribution.pool]


def build_notice(distribution: Distribution, fmt: str) -> bytes:
    """The 公示 list in the site's language: CSV (UTF-8 with BOM) or XLSX."""
    with translation.override(settings.LANGUAGE_CODE):
        if fmt == "csv":
            return write_csv(notice_rows(distribution), "utf-8-sig")
        return write_xlsx(notice_rows(distribution), title=f"{distribution.number}-notice",
                          stamp=distribution.published_at or distribution.prepared_at,
                          text_column=None, offset=0)
