"""Money and months: the one rounding rule and the calendar arithmetic of stipends.

Amounts are `Decimal` with two places (fen) from the request to the bank file. The SQL
that generates a run's lines (`payroll.generation`) implements the same formulas in
integer fen; tests check both agree.
"""

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
MAX_FEN = 10**13 - 1  # the largest amount a DecimalField(13, 2) holds, in fen


def round_money(value: Decimal) -> Decimal:
    """The one rounding helper: to the fen, half up (四舍五入)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    """Exact integer fen of an amount that is already rounded to the fen."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2).quantize(FEN)


def prorate(monthly: Decimal, days_served: int, days_in_month: int) -> Decimal:
    """The stipend for part of a month: calendar days served / days in the month."""
    if not 0 <= days_served <= days_in_month:
        raise ValueError("days served must lie between 0 and the days of the month")
    return round_money(monthly * days_served / days_in_month)


def withhold(base: Decimal, percent: Decimal) -> Decimal:
    """The part of a stipend kept for the year-end pool; the leader is paid the rest,
    derived by subtraction so that the two always add up to the base."""
    return round_money(base * percent / HUNDRED)


# --- Periods (a month, stored as its first day, written "YYYY-MM") ------------------------

def parse_period(text: str) -> dt.date:
    """"2026-11" → 2026-11-01; ValueError for anything else."""
    year, sep, month = text.partition("-")
    if not (sep and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
        raise ValueError("a period is written YYYY-MM")
    return dt.date(int(year), int(month), 1)


def format_period(period: dt.date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def days_in_month(period: dt.date) -> int:
    return calendar.monthrange(period.year, period.month)[1]


def month_end(period: dt.date) -> dt.date:
    return period.replace(day=days_in_month(period))


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the one `day` lies in."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def days_served(start: dt.date, end: dt.date | None, period: dt.date) -> int:
    """Calendar days of the month `period` covered by a term (end inclusive, None = open)."""
    first, last = period, month_end(period)
    served_from, served_to = max(start, first), min(end or last, last)
    return max((served_to - served_from).days + 1, 0)
