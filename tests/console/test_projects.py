"""The console's governance projects pages: the suggestions a command centre sees, the
projects scoped as the API scopes them, and a project's reports."""

import re

import pytest
from freezegun import freeze_time

from gridapp.models import Category, Department, Project, Region

from ..gridapp.photos_support import HHL05_POINT, make_reports
from .conftest import post

pytestmark = pytest.mark.django_db
NOW = "2026-11-26 09:00:00+08:00"


@pytest.fixture
def lamps(world, user):
    with freeze_time(NOW):
        return make_reports(5, reporter=user("resident1"), point=HHL05_POINT, photos=0)


@pytest.fixture
def lamp_project(lamps, user) -> Project:
    project = Project.objects.create(
        title="东街街道路灯专项整治", category=Category.objects.get(code="streetlight"),
        region=Region.objects.get(code="450502001000"),
        department=Department.objects.get(code="bh-lighting"), goal="年底前更换老旧路灯",
        created_by=user("dispatcher-street"))
    for report in lamps[:3]:
        report.project = project
        report.save(update_fields=["project"])
    return project


def test_a_command_centre_sees_the_fifth_lamp_report_as_a_suggestion(console, lamps):
    with freeze_time(NOW):
        page = console("dispatcher-street").get("/console/projects/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-suggestion="region-450502001' in html
    assert all(f'href="/console/reports/{r.pk}/"' in html for r in lamps)


def test_projects_are_listed_with_their_counts_and_read_with_their_reports(console,
                                                                           lamp_project):
    street = console("dispatcher-street")
    listing = street.get("/console/projects/").content.decode()
    assert f'data-project="{lamp_project.pk}"' in listing and "东街街道路灯专项整治" in listing
    assert "<td>3</td><td>3</td><td>0</td>" in listing  # reports, open, resolved
    detail = street.get(f"/console/projects/{lamp_project.pk}/")
    assert detail.status_code == 200
    shown = {int(pk) for pk in re.findall(r'data-report="(\d+)"', detail.content.decode())}
    assert shown == {r.pk for r in lamp_project.reports.all()}


@pytest.mark.parametrize("username, status", [
    ("handler-lighting", 200),  # its department owns the project
    ("handler-enforcement", 404),  # sees none of it
    ("finance1", 404),  # no report pages for finance staff, as in the API
])
def test_a_project_is_read_by_whom_the_api_shows_it(console, lamp_project, username, status):
    assert console(username).get(f"/console/projects/{lamp_project.pk}/").status_code == status


def test_a_department_sees_no_suggestions(console, lamps):
    with freeze_time(NOW):
        html = console("handler-lighting").get("/console/projects/").content.decode()
    assert "data-suggestion" not in html


# --- making and moving a project ---------------------------------------------------------

def make_form(lamps, **fields) -> dict:
    return {"category": Category.objects.get(code="streetlight").pk,
            "region": Region.objects.get(code="450502001000").pk,
            "report_ids": [r.pk for r in lamps], "title": "东街路灯专项",
            "department": Department.objects.get(code="bh-lighting").pk,
            "goal": "年底前更换老旧路灯", **fields}


def test_a_suggestion_is_made_a_project_then_started_and_completed(console, lamps):
    with freeze_time(NOW):
        client = console("dispatcher-street")
        html = client.get("/console/projects/").content.decode()
        assert 'name="create"' in html and "东街街道" in html
        assert re.search(r'<option value="%d" selected>' % Department.objects.get(
            code="bh-lighting").pk, html)  # the responsibility table's department
        made = post(client, "/console/projects/", make_form(lamps))
        project = Project.objects.get()
        assert made["Location"] == f"/console/projects/{project.pk}/"
        assert sorted(project.reports.values_list("pk", flat=True)) == [r.pk for r in lamps]
        page = client.get(made["Location"]).content.decode()
        assert 'name="start"' in page
        post(client, f"/console/projects/{project.pk}/start/")
        assert Project.objects.get().status == "in_progress"
        refused = post(client, f"/console/projects/{project.pk}/complete/")
        assert Project.objects.get().status == "in_progress"
        assert 'class="error"' in client.get(refused["Location"]).content.decode()
        post(client, f"/console/projects/{project.pk}/complete/", {"outcome": "已更换 40 盏"})
    project.refresh_from_db()
    assert (project.status, project.outcome) == ("completed", "已更换 40 盏")


@pytest.mark.parametrize("bad", [{"title": ""}, {"report_ids": ["²"]}, {"department": "x"},
                                 {"region": ""}, {"goal": ""}])
def test_a_bad_project_form_is_a_message_and_makes_nothing(console, lamps, bad):
    with freeze_time(NOW):
        client = console("dispatcher-street")
        response = post(client, "/console/projects/", make_form(lamps, **bad))
        assert response.status_code == 302 and not Project.objects.exists()
        assert 'class="error"' in client.get(response["Location"]).content.decode()


def test_the_department_reads_its_project_but_does_not_move_it(console, lamp_project):
    handler = console("handler-lighting")
    page = handler.get(f"/console/projects/{lamp_project.pk}/").content.decode()
    assert 'name="start"' not in page
    post(handler, f"/console/projects/{lamp_project.pk}/start/")
    assert Project.objects.get().status == "open"
