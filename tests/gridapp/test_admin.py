"""The operator's back office for reports (issue 12): columns for department, due time and
overdue; filters by date, grid, region, department and overdue; search by reporter; the
photos of a report on its page; search on the other lists an operator looks through."""

import datetime as dt

import pytest
from django.urls import reverse
from freezegun import freeze_time

from gridapp import divisions
from gridapp.models import Department, Grid, Region, Report

from .photos_support import make_reports

CHANGELIST = reverse("admin:gridapp_report_changelist")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def operator(client, user):
    client.force_login(user("admin"))
    return client


@pytest.fixture
def reports(user):
    """Three reports: one overdue in HHL-05 at a department, one due later in HHL-05, one
    without a clock in HPL-01, reported by someone else."""
    with freeze_time(NOW):
        overdue, due_later = make_reports(2, reporter=user("leader5"), grid_code="HHL-05")
        (elsewhere,) = make_reports(1, reporter=user("leader10"), grid_code="HPL-01")
        department = Department.objects.order_by("pk").first()
        Report.objects.filter(pk=overdue.pk).update(
            status=Report.Status.DISPATCHED, department=department,
            sla_started_at=NOW - dt.timedelta(hours=30), due_at=NOW - dt.timedelta(hours=6))
        Report.objects.filter(pk=due_later.pk).update(
            status=Report.Status.ACCEPTED, sla_started_at=NOW, due_at=NOW + dt.timedelta(hours=24))
        Report.objects.filter(pk=elsewhere.pk).update(created_at=NOW - dt.timedelta(days=40))
    return {"overdue": Report.objects.get(pk=overdue.pk),
            "due_later": Report.objects.get(pk=due_later.pk),
            "elsewhere": Report.objects.get(pk=elsewhere.pk), "department": department}


def listed(operator, query: str = "") -> set[str]:
    with freeze_time(NOW):
        page = operator.get(CHANGELIST + query)
    assert page.status_code == 200
    return {r.number for r in page.context["cl"].result_list}


def test_the_report_list_shows_department_due_time_and_overdue(operator, reports):
    with freeze_time(NOW):
        page = operator.get(CHANGELIST)
    text = page.content.decode()
    assert reports["department"].name in text
    assert "icon-yes" in text  # the overdue column's tick
    assert {"department", "due_at", "is_overdue"} <= set(page.context["cl"].list_display)


def test_the_overdue_filter_finds_open_reports_past_due_only(operator, reports):
    assert listed(operator, "?overdue=yes") == {reports["overdue"].number}
    assert reports["overdue"].number not in listed(operator, "?overdue=no")


def test_filters_by_grid_department_region_and_date(operator, reports):
    grid = Grid.objects.get(code="HPL-01")
    assert listed(operator, f"?grid__id__exact={grid.pk}") == {reports["elsewhere"].number}
    assert listed(operator, f"?department__id__exact={reports['department'].pk}") == {
        reports["overdue"].number}
    community = Grid.objects.select_related("community").get(code="HHL-05").community
    street = Region.objects.get(code=divisions.code_at(community.code, Region.Level.STREET))
    everything = {r.number for r in reports.values() if isinstance(r, Report)}
    assert listed(operator, f"?region={street.code}") == everything  # HPL-01 too
    other_street = Region.objects.create(
        code=str(int(street.code) + 1000), name="另一街道", level=Region.Level.STREET,
        parent=street.parent)
    assert listed(operator, f"?region={other_street.code}") == set()
    week = "created_at__gte=2026-11-19+00:00:00%2B08:00&created_at__lt=2026-11-27+00:00:00%2B08:00"
    recent = listed(operator, f"?{week}")
    assert reports["elsewhere"].number not in recent and reports["overdue"].number in recent


def test_search_finds_reports_by_their_reporter(operator, reports, user):
    assert listed(operator, "?q=leader10") == {reports["elsewhere"].number}
    name = user("leader5").display_name
    assert listed(operator, f"?q={name}") == {reports["overdue"].number,
                                              reports["due_later"].number}


def test_a_reports_page_shows_its_photos_as_thumbnails(operator, reports):
    report = reports["overdue"]
    photo = report.photos.get()
    page = operator.get(reverse("admin:gridapp_report_change", args=[report.pk]))
    assert page.status_code == 200
    assert f'src="{photo.thumbnail.url}"' in page.content.decode()


@pytest.mark.parametrize("model", ["gridapp_notification", "gridapp_photo", "gridapp_invite",
                                   "payroll_adjustment", "payroll_suspension",
                                   "payroll_stipendpolicy", "payroll_runexport"])
def test_the_operators_lists_can_be_searched(operator, model):
    page = operator.get(reverse(f"admin:{model}_changelist") + "?q=leader1")
    assert page.status_code == 200
    assert page.context["cl"].search_fields


def test_the_photo_list_is_searched_by_report_number(operator, reports):
    number = reports["overdue"].number
    page = operator.get(reverse("admin:gridapp_photo_changelist") + f"?q={number}")
    assert {p.report_id for p in page.context["cl"].result_list} == {reports["overdue"].pk}


def test_a_reports_photos_cannot_be_deleted_from_the_back_office(operator, reports):
    photo = reports["overdue"].photos.get()
    page = operator.get(reverse("admin:gridapp_photo_delete", args=[photo.pk]))
    assert page.status_code == 403
    page = operator.get(reverse("admin:gridapp_photo_changelist"))
    assert "delete_selected" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert reports["overdue"].photos.count() == 1
