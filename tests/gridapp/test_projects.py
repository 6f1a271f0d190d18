"""Governance projects (issue 14, 解决一个问题 → 治理一类问题) and the map's server-side
clusters: suggestions from the reports as they are, projects made from them, later reports
joining by themselves, the moves of a project, and who sees what."""

from collections import Counter

import pytest
from freezegun import freeze_time

from gridapp.models import Category, Notification, Project, Report
from gridapp.services.projects import announce_suggestions
from gridapp.tasks import announce_project_suggestions

from .photos_support import HHL05_POINT, make_reports
from .workflow_support import ok, submit

NOW = "2026-11-26 09:00:00+08:00"
HPL01_POINT = (21.4810, 109.1170)  # 和平路社区, the same street (东街街道), 600 m from HHL-05
STREET = "450502001000"


def suggestions(client) -> list[dict]:
    return ok(client.get("/api/v1/projects/suggestions/"))["results"]


def lamp_reports(api, count: int, point=HHL05_POINT) -> list[int]:
    resident = api("resident1")
    return [submit(resident, lat=point[0], lng=point[1])["id"] for _ in range(count)]


@pytest.fixture
def frozen():
    with freeze_time(NOW) as clock:
        yield clock


def create(api, report_ids=(), user="dispatcher-street", **overrides):
    body = {"title": "东街街道路灯专项整治", "category": "streetlight", "region": STREET,
            "department": "bh-lighting", "goal": "年底前更换老旧路灯", "report_ids": list(report_ids),
            **overrides}
    return api(user).post("/api/v1/projects/", body, format="json")


# --- suggestions -------------------------------------------------------------------------

def test_a_suggestion_appears_with_the_fifth_lamp_report_in_a_street_not_the_fourth(api,
                                                                                    frozen):
    ids = lamp_reports(api, 2) + lamp_reports(api, 2, HPL01_POINT)
    assert suggestions(api("dispatcher-street")) == []
    ids += lamp_reports(api, 1, HPL01_POINT)
    [found] = suggestions(api("dispatcher-street"))
    assert (found["kind"], found["region_code"], found["count"]) == ("region", STREET, 5)
    assert sorted(found["report_ids"]) == sorted(ids)
    assert found["category"] == Category.objects.get(code="streetlight").pk
    assert 250 < found["radius_m"] < 400  # the two points are about 600 m apart


def test_five_reports_near_each_other_are_one_suggestion_not_two(api, frozen):
    lamp_reports(api, 5)
    [found] = suggestions(api("dispatcher-city"))  # one street, one cell: the same reports
    assert found["count"] == 5 and found["radius_m"] == 0.0


def test_old_rejected_and_other_category_reports_do_not_count(api, user, frozen):
    resident = user("resident1")
    lamp_reports(api, 4)
    make_reports(1, reporter=resident, category="clutter")
    make_reports(1, reporter=resident, status=Report.Status.REJECTED)
    [old] = make_reports(1, reporter=resident)
    Report.objects.filter(pk=old.pk).update(created_at="2026-10-20T09:00:00+08:00")
    assert suggestions(api("dispatcher-street")) == []


def test_suggestions_are_for_dispatchers_of_the_region(api, frozen):
    lamp_reports(api, 5)
    assert suggestions(api("dispatcher-community")) != []
    assert api("leader5").get("/api/v1/projects/suggestions/").status_code == 403
    assert api("handler-lighting").get("/api/v1/projects/suggestions/").status_code == 403


# --- projects ----------------------------------------------------------------------------

def test_a_dispatcher_makes_a_project_and_later_reports_of_its_class_join_it(api, frozen):
    ids = lamp_reports(api, 5)
    made = create(api, ids)
    assert made.status_code == 201, made.content
    project = made.json()
    assert project["status"] == "open" and sorted(r["id"] for r in project["reports"]) == ids
    assert project["figures"] == {"reports": 5, "open": 5, "resolved": 0, "joined_later": 0}
    assert suggestions(api("dispatcher-street")) == []  # its reports are taken

    frozen.tick(60)
    resident = api("resident1")
    later = submit(resident, lat=HPL01_POINT[0], lng=HPL01_POINT[1])
    other = submit(resident, category="clutter")
    assert later["project"] == {"id": project["id"], "title": "东街街道路灯专项整治"}
    assert other["project"] is None
    assert ok(resident.get(f"/api/v1/reports/{later['id']}/"))["project"]["id"] == project["id"]
    detail = ok(api("dispatcher-street").get(f"/api/v1/projects/{project['id']}/"))
    assert detail["figures"]["reports"] == 6 and detail["figures"]["joined_later"] == 1


def test_start_and_complete_with_an_outcome_then_no_report_joins(api, frozen):
    project = create(api, lamp_reports(api, 1)).json()
    url = f"/api/v1/projects/{project['id']}"
    dispatcher = api("dispatcher-street")
    assert ok(dispatcher.post(f"{url}/start/"))["status"] == "in_progress"
    assert dispatcher.post(f"{url}/start/").json()["code"] == "invalid_transition"
    assert dispatcher.post(f"{url}/complete/", {}).json()["code"] == "outcome_required"
    done = ok(dispatcher.post(f"{url}/complete/", {"outcome": "更换路灯 52 盏"}, format="json"))
    assert (done["status"], done["outcome"]) == ("completed", "更换路灯 52 盏")
    assert done["completed_at"] is not None
    assert submit(api("resident1"))["project"] is None


def test_a_dispatcher_below_the_region_sees_the_project_but_cannot_move_it(api, frozen):
    project = create(api, lamp_reports(api, 1)).json()
    below = api("dispatcher-community")
    assert ok(below.get(f"/api/v1/projects/{project['id']}/"))["id"] == project["id"]
    assert below.post(f"/api/v1/projects/{project['id']}/start/").status_code == 403
    assert create(api, [], user="dispatcher-community").status_code == 403
    assert create(api, [], user="leader5").status_code == 403


@pytest.mark.parametrize("overrides,status,code", [
    ({"category": "nothing"}, 400, "invalid"),
    ({"region": "999999999999"}, 400, "invalid"),
    ({"department": None}, 400, "invalid"),
    ({"title": ""}, 400, "invalid"),
    ({"report_ids": ["²"]}, 400, "invalid"),
])
def test_a_malformed_project_is_400_and_nothing_is_stored(api, frozen, overrides, status, code):
    response = create(api, **{"report_ids": lamp_reports(api, 1), **overrides})
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Project.objects.exists()


def test_reports_outside_the_region_or_in_another_project_are_refused_whole(api, user,
                                                                           frozen):
    ids = lamp_reports(api, 2)
    [elsewhere] = make_reports(1, reporter=user("resident3"), grid_code="HPL-01",
                               point=HPL01_POINT)
    community = create(api, [*ids, elsewhere.pk], region="450502001001")
    assert (community.status_code, community.json()["code"]) == (400, "report_outside_region")
    assert create(api, [10**9]).json()["code"] == "report_outside_region"
    assert create(api, ids[:1]).status_code == 201
    taken = create(api, ids)
    assert (taken.status_code, taken.json()["code"]) == (409, "report_in_project")
    assert Project.objects.count() == 1 and Report.objects.filter(project__isnull=False).count() == 1


def test_projects_are_seen_as_their_reports_are(api, frozen):
    project = create(api, lamp_reports(api, 1)).json()

    def seen(username):
        return [p["id"] for p in ok(api(username).get("/api/v1/projects/"))["results"]]

    for username in ("dispatcher-street", "dispatcher-city", "handler-lighting", "resident1",
                     "leader5", "admin"):
        assert seen(username) == [project["id"]], username
    for username in ("resident3", "leader10", "handler-enforcement", "finance1"):
        assert seen(username) == [], username
    assert api("resident3").get(f"/api/v1/projects/{project['id']}/").status_code == 404
    assert ok(api("admin").get("/api/v1/projects/?status=completed"))["results"] == []


# --- the map's clusters ------------------------------------------------------------------

def test_clusters_count_every_visible_report_by_status(api, user, frozen):
    lamp_reports(api, 3)
    lamp_reports(api, 2, HPL01_POINT)
    Report.objects.filter(pk=Report.objects.order_by("pk").first().pk).update(status="closed")
    zoomed_out = ok(api("dispatcher-city").get("/api/v1/map/clusters.geojson?zoom=5"))
    [cluster] = zoomed_out["features"]
    visible = Report.objects.all()
    assert cluster["properties"]["count"] == visible.count() == 5
    assert cluster["properties"]["by_status"] == dict(Counter(visible.values_list("status",
                                                                                  flat=True)))
    lng, lat = cluster["geometry"]["coordinates"]
    assert abs(lat - sum(r.lat for r in visible) / 5) < 1e-6
    zoomed_in = ok(api("dispatcher-city").get("/api/v1/map/clusters.geojson?zoom=16"))
    assert sorted(f["properties"]["count"] for f in zoomed_in["features"]) == [2, 3]
    assert ok(api("resident3").get("/api/v1/map/clusters.geojson?zoom=5"))["features"] == []


@pytest.mark.parametrize("query", ["", "zoom=23", "zoom=a", "zoom=5&bbox=1,2", "zoom=5&status=x"])
def test_clusters_need_a_zoom_and_sane_filters(api, query):
    response = api("dispatcher-city").get(f"/api/v1/map/clusters.geojson?{query}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


# --- the daily announcement ----------------------------------------------------------------

def test_the_street_dispatchers_are_told_once_when_the_fifth_lamp_report_makes_a_class(
        api, frozen):
    lamp_reports(api, 4)
    assert announce_suggestions() == 0
    [*_, fifth] = lamp_reports(api, 1, HPL01_POINT)
    frozen.tick(3600)
    assert announce_suggestions() == 1
    assert announce_suggestions() == 0  # told once, however often the task runs
    [message] = Notification.objects.filter(kind=Notification.Kind.SUGGESTION)
    assert (message.recipient.username, message.report_id) == ("dispatcher-street", fifth)
    assert message.data["note"] == "5 条同类问题（30 天内）：东街街道"
    inbox = ok(api("dispatcher-street").get("/api/v1/notifications/"))["results"]
    assert inbox[0]["kind"] == "suggestion" and inbox[0]["report"] == fifth


def test_a_class_that_formed_long_ago_is_not_announced_again(api, frozen):
    lamp_reports(api, 5)
    frozen.tick(3 * 24 * 3600)
    lamp_reports(api, 1)
    assert announce_suggestions() == 0


def test_the_daily_task_announces(api, frozen, settings):
    lamp_reports(api, 5)
    assert announce_project_suggestions.delay().get() == 1
    entry = settings.CELERY_BEAT_SCHEDULE["announce-project-suggestions"]
    assert entry["task"] == announce_project_suggestions.name
