"""Days in the project's time zone (Beijing), as the selectors that count by day need them:
the moments a range of days covers, and a moment's day computed by the database."""

import datetime as dt
from functools import lru_cache

from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00, the day after the last 00:00) in the project's time zone
    (Beijing): the moments a range of days covers."""
    zone = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time(), tzinfo=zone),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone))


def during(field: str, bounds: tuple[dt.datetime, dt.datetime]) -> Q:
    """`field` within `day_bounds`: from the first moment, before the second (the first
    moment of the next day is the next period's; `__range` would count it in both)."""
    start, end = bounds
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def local_day(field: str, first: dt.date, last: dt.date) -> TruncDate:
    """The day of `field` in the project's time zone, for moments from `first` to `last`
    (days): `LocalDay` with the zone's offset where it keeps one over those days."""
    zone = timezone.get_current_timezone()
    return LocalDay(field, tzinfo=zone, offset=fixed_offset(zone, first, last))


@lru_cache(maxsize=64)
def fixed_offset(zone: dt.tzinfo, first: dt.date, last: dt.date) -> dt.timedelta | None:
    """The zone's UTC offset if it is the same at every midnight from the `first` day to
    the day after the `last` (Beijing's always is), else None. A moment of those days
    then has its day by that offset, whatever the offset after them. Remembered: a
    year's midnights cost 0.5 ms, and leader performance asks three times a call."""
    midnights = (dt.datetime.combine(first + dt.timedelta(days=i), dt.time())
                 for i in range((last - first).days + 2))
    offsets = {zone.utcoffset(midnight) for midnight in midnights}
    return offsets.pop() if len(offsets) == 1 else None


class LocalDay(TruncDate):
    """The day of a moment in the project's time zone. Where the zone keeps one UTC
    `offset` over the days asked about (Beijing always does), the moment shifted by the
    offset and cut to its day in UTC, the connection's zone (Django sets it): SQLite's
    own date() instead of Django's Python function per row, and on PostgreSQL an
    addition instead of a time zone lookup per row."""

    def __init__(self, expression, *, tzinfo: dt.tzinfo, offset: dt.timedelta | None) -> None:
        super().__init__(expression, tzinfo=tzinfo)
        self.offset = offset

    def as_sql(self, compiler, connection, **extra) -> tuple[str, tuple]:
        if self.offset is None or connection.vendor not in ("sqlite", "postgresql"):
            return super().as_sql(compiler, connection)
        sql, params = compiler.compile(self.lhs)
        return shifted_day(sql, connection.vendor), (*params, shift(self.offset, connection.vendor))


def shifted_day(column: str, vendor: str, placeholder: str = "%s") -> str:
    """SQL for the day (in UTC, the connection's zone) of `column` moved by the offset
    the `placeholder` stands for (`shift`): SQLite's date() with a modifier, PostgreSQL's
    addition of an interval."""
    if vendor == "sqlite":
        return f"date({column}, {placeholder})"
    return f"(({column}) + {placeholder})::date"


def shift(offset: dt.timedelta, vendor: str) -> str | dt.timedelta:
    """The parameter for `shifted_day`'s placeholder."""
    if vendor == "sqlite":
        return f"{int(offset.total_seconds() // 60):+d} minutes"
    return offset
