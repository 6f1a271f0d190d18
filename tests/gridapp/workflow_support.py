"""Builders and fixtures shared by the workflow, SLA and notification tests (no tests here).

The named world is DEMO.md's: resident1 reports in HHL-05 (leader5's grid, 黄海路社区);
dispatcher-community / -street / -district / -city are the command centres above it;
handler-lighting works for 北海市照明管理处, handler-enforcement for 东街街道综合执法中队.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from gridapp.models import Department, Report, ReportEvent

from .photos_support import HHL05_POINT, make_reports, report_body, uploaded_photo_id

TEMPLATE_IDS = {kind: f"tmpl-{kind}" for kind in
                ("new_report", "accepted", "dispatched", "resolved", "closed", "overdue")}
LEVELS = ["community", "street", "district", "city"]
DISPATCHERS = {level: f"dispatcher-{level}" for level in LEVELS}


def act(client, report_id: int, action: str, **body):
    """POST /reports/{id}/{action}/ with a JSON body."""
    return client.post(f"/api/v1/reports/{report_id}/{action}/", body, format="json")


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def submit(client, **overrides) -> dict:
    return ok(client.post("/api/v1/reports/", report_body(**overrides), format="json"), 201)


def lighting() -> Department:
    return Department.objects.get(code="bh-lighting")


def enforcement() -> Department:
    return Department.objects.get(code="dj-enforcement")


def report_in(status: str, *, reporter, level: str = "community", department=None,
              grid_code: str = "HHL-05", point: tuple[float, float] = HHL05_POINT,
              category: str = "streetlight", resolved_at: datetime | None = None,
              **fields) -> Report:
    """A report straight in `status` through the ORM (the API path is tested elsewhere)."""
    report = make_reports(1, reporter=reporter, grid_code=grid_code, point=point,
                          category=category, department=department)[0]
    if status == Report.Status.RESOLVED and resolved_at is None:
        resolved_at = timezone.now()
    Report.objects.filter(pk=report.pk).update(status=status, level=level,
                                               resolved_at=resolved_at, **fields)
    report.refresh_from_db()
    return report


def snapshot(report: Report) -> tuple:
    """What a refused action must leave untouched."""
    report = Report.objects.get(pk=report.pk)
    return (report.status, report.level, report.department_id, report.due_at,
            report.rating, report.updated_at, report.photo_count,
            ReportEvent.objects.filter(report=report).count())


def after_photo(client) -> int:
    return uploaded_photo_id(client)


@contextmanager
def row_locked_elsewhere(rows: QuerySet) -> Iterator[None]:
    """Another connection holds `SELECT ... FOR UPDATE` on `rows` until the block ends:
    what a concurrent worker in the middle of its transaction looks like."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(rows.select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        yield
    finally:
        release.set()
        holder.join()
