"""The rounding helper, proration and withholding, by example and by property."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payroll.money import (days_in_month, days_served, format_period, from_fen, next_month,
                           parse_period, prorate, round_money, to_fen, withhold)

amounts = st.integers(min_value=0, max_value=10**11 - 1).map(from_fen)  # 0.00 … 999,999,999.99
percents = st.integers(min_value=0, max_value=10_000).map(from_fen)  # 0.00 … 100.00
months = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 1)).map(
    lambda d: d.replace(day=1))


@pytest.mark.parametrize("value, rounded", [
    ("0.005", "0.01"), ("0.004999", "0.00"), ("2.675", "2.68"), ("9.677419", "9.68"),
    ("-0.005", "-0.01"), ("145.1612903", "145.16"),
])
def test_round_money_rounds_half_up_to_the_fen(value, rounded):
    assert round_money(Decimal(value)) == Decimal(rounded)


def test_demo_proration_pays_half_a_november_for_15_days():
    assert prorate(Decimal("300.00"), 15, 30) == Decimal("150.00")


def test_february_and_a_31_day_month_prorate_by_their_own_length():
    assert prorate(Decimal("300.00"), 14, 28) == Decimal("150.00")
    assert prorate(Decimal("300.00"), 1, 29) == Decimal("10.34")
    assert prorate(Decimal("300.00"), 15, 31) == Decimal("145.16")
    assert prorate(Decimal("300.00"), 16, 31) == Decimal("154.84")


def test_twenty_percent_withheld_keeps_60_of_300_for_the_pool():
    assert withhold(Decimal("300.00"), Decimal("20.00")) == Decimal("60.00")


@pytest.mark.parametrize("start, end, days", [
    (dt.date(2026, 1, 1), None, 30), (dt.date(2026, 11, 16), None, 15),
    (dt.date(2026, 1, 1), dt.date(2026, 11, 15), 15),
    (dt.date(2026, 11, 10), dt.date(2026, 11, 20), 11),
    (dt.date(2026, 12, 1), None, 0), (dt.date(2026, 1, 1), dt.date(2026, 10, 31), 0),
])
def test_days_served_counts_calendar_days_of_the_month_inclusive(start, end, days):
    assert days_served(start, end, dt.date(2026, 11, 1)) == days


def test_periods_read_and_write_as_year_dash_month():
    assert parse_period("2026-11") == dt.date(2026, 11, 1)
    assert format_period(dt.date(2026, 2, 1)) == "2026-02"
    assert next_month(dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)
    for bad in ("2026-13", "2026-1", "26-11", "2026/11", ""):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_to_fen_refuses_amounts_finer_than_a_fen():
    assert to_fen(Decimal("300.00")) == 30000
    with pytest.raises(ValueError):
        to_fen(Decimal("0.001"))


@given(amounts, months, st.data())
def test_proration_never_pays_more_than_the_monthly_amount(monthly, month, data):
    length = days_in_month(month)
    days = data.draw(st.integers(min_value=0, max_value=length))
    paid = prorate(monthly, days, length)
    assert Decimal("0.00") <= paid <= monthly
    assert paid == paid.quantize(Decimal("0.01"))


@given(amounts, months)
def test_a_whole_month_pays_exactly_the_monthly_amount(monthly, month):
    length = days_in_month(month)
    assert prorate(monthly, length, length) == monthly


@given(amounts, months, st.data())
def test_two_leaders_splitting_a_month_are_paid_within_a_fen_of_the_whole(monthly, month, data):
    length = days_in_month(month)
    first = data.draw(st.integers(min_value=0, max_value=length))
    together = prorate(monthly, first, length) + prorate(monthly, length - first, length)
    assert abs(together - monthly) <= Decimal("0.01")


@given(amounts, percents)
def test_withheld_and_paid_add_up_to_the_base_and_neither_is_negative(base, percent):
    withheld = withhold(base, percent)
    assert Decimal("0.00") <= withheld <= base
    assert withheld + (base - withheld) == base
