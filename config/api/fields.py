"""Serializer fields for values from outside that Python would take too kindly: every
id and number a client sends goes through one of these. And DRF's text for a date-time,
for the responses written out by hand."""

import datetime as dt
import functools
import math
from collections.abc import Callable

from django.utils import timezone
from rest_framework import serializers

# Ids are 64-bit signed integers on every database we run on (BigAutoField); a larger
# number can name no row, and SQLite raises OverflowError on binding it.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An id from JSON or a query string: an int, or a string of ASCII digits, within
    1..MAX_ID; None otherwise. (`str.isdigit()` is true for "²" and "٣", which `int()`
    then refuses or reads as another number.)"""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


class IdField(serializers.IntegerField):
    """A row id: a positive 64-bit integer, ASCII digits only (DRF's own "A valid
    integer is required." otherwise)."""

    def to_internal_value(self, data: object) -> int:
        value = parse_id(data)
        if value is None:
            self.fail("invalid")
        return value


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: DRF's FloatField lets "nan" through, and NaN
    passes every range check (each comparison with it is false)."""

    def to_internal_value(self, data: object) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


_drf_datetime_text = serializers.DateTimeField().to_representation


def datetime_text(value: object, zone: dt.tzinfo | None = None) -> str | None:
    """DRF's text for a date-time (ISO 8601 in the current time zone, UTC as "Z"), for
    responses written out by hand. An aware datetime, which is what the database gives,
    is written here directly: DRF's field looks up its format and the time zone and
    checks the value's kind each time, a third of a map's features' cost; anything
    else (None, a naive datetime) goes to DRF's field. `zone`, when given, is the
    current time zone read by the caller (`datetime_writer`)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return _drf_datetime_text(value)


def datetime_writer() -> Callable[[object], str | None]:
    """`datetime_text` with the current time zone read once, for a response that writes
    many date-times (the map's features): reading it, a context-local lookup, costs 3 µs,
    twice the writing."""
    return functools.partial(datetime_text, zone=timezone.get_current_timezone())
