"""The date-time text of the responses written out by hand (config/api/fields.py) is the
text DRF's DateTimeField writes, in every time zone the project may be switched to."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from config.api.fields import datetime_text, datetime_writer

MOMENTS = [
    dt.datetime(2026, 11, 26, 1, 30, 1, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 26, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
    dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC),  # 01:30 in New York, twice that night
    dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_text_is_drfs_in_every_zone(settings, zone, moment):
    settings.TIME_ZONE = zone
    with timezone.override(ZoneInfo(zone)):
        drfs = serializers.DateTimeField().to_representation(moment)
        assert datetime_text(moment) == drfs
        assert datetime_writer()(moment) == drfs


def test_no_moment_is_null():
    assert datetime_text(None) is None


def test_utc_is_written_with_a_z():
    with timezone.override(dt.UTC):
        assert datetime_text(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == \
            "2026-01-02T03:04:05Z"


def test_a_writer_keeps_the_zone_current_when_it_was_made():
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        write = datetime_writer()
    with timezone.override(dt.UTC):
        assert write(moment) == "2026-01-02T11:04:05+08:00"
        assert datetime_writer()(None) is None
