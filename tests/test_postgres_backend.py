"""Our PostgreSQL backend (config/postgresql/base.py): timestamps read by psycopg's C
loader, to the microsecond and in UTC as Django's own loader gives them, through the ORM
and through a raw cursor, on every kind of cursor Django makes."""

import datetime as dt

import pytest
from django.db import connection
from psycopg.adapt import Loader
from psycopg.postgres import types

from gridapp.models import ReportEvent
from tests.conftest import needs_postgres

from .gridapp.photos_support import make_reports

pytestmark = needs_postgres

BEIJING, LIMA = (dt.timezone(dt.timedelta(hours=h)) for h in (8, -5))
MOMENTS = [dt.datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=BEIJING),
           dt.datetime(1999, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
           dt.datetime(2038, 6, 1, 12, tzinfo=LIMA)]


def loader_class(cursor) -> type[Loader]:
    return cursor.adapters.get_loader(types["timestamptz"].oid, 0)  # text format


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_timestamp_comes_back_the_same_instant_in_utc(world, user, moment):
    [report] = make_reports(1, reporter=user("resident1"), photos=0)
    ReportEvent.objects.filter(report=report).update(at=moment)

    read = ReportEvent.objects.get(report=report).at
    with connection.cursor() as cursor:
        cursor.execute("SELECT at FROM gridapp_reportevent WHERE report_id = %s", [report.pk])
        [(raw,)] = cursor.fetchall()

    assert read == raw == moment
    assert read.tzinfo is raw.tzinfo is dt.UTC  # what Django's own loader gives
    assert ReportEvent.objects.filter(report=report).values_list("at", flat=True).iterator(
        chunk_size=10).__next__() == moment  # a named (server-side) cursor too


def test_the_cursor_reads_timestamps_with_psycopgs_c_loader(db):
    with connection.cursor() as cursor:
        loader = loader_class(cursor.cursor)
    assert loader.__module__ == "psycopg_binary._psycopg"
