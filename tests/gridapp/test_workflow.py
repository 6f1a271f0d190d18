"""POST /api/v1/reports/{id}/{action}/ and /rating/: the lifecycle of ARCHITECTURE.md,
through the API with the demo users, and the services underneath.

The forbidden role × action combinations are generated in test_workflow_permissions.py;
the SLA clock and supervision are in test_sla.py; messages in test_notifications.py.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from config.api.errors import InvalidTransition
from gridapp.selectors import routing
from gridapp.services import transitions
from gridapp.models import Department, Photo, Region, Report, ReportEvent, Responsibility

from .photos_support import HHL05_POINT, uploaded_photo_id
from .workflow_support import (DISPATCHERS, act, enforcement, lighting, ok, report_in, snapshot,
                               submit)


pytestmark = pytest.mark.usefixtures("media")
HPL01_POINT = (21.4810, 109.1170)


# --- the whole path ---------------------------------------------------------------------


def test_a_dark_lamp_climbs_four_levels_and_is_fixed_verified_and_rated(api, user):
    """DEMO.md's story: resident1 reports a dark lamp in HHL-05; each command centre
    accepts and escalates; the city dispatches to the lighting office, whose handler
    starts and resolves with a photo; resident1 verifies and rates 5."""
    resident = api("resident1")
    report = submit(resident, lat=HHL05_POINT[0], lng=HHL05_POINT[1])
    assert report["grid_code"] == "HHL-05" and report["status"] == "submitted"
    rid = report["id"]

    for level in ["community", "street", "district"]:
        dispatcher = api(DISPATCHERS[level])
        body = ok(act(dispatcher, rid, "accept"))
        assert (body["status"], body["level"]) == ("accepted", level)
        assert body["due_at"] is not None and body["traffic_light"] == "green"
        body = ok(act(dispatcher, rid, "escalate", note=f"beyond the {level}"))
        assert body["status"] == "submitted" and body["department"] is None
    assert body["level"] == "city"

    city = api("dispatcher-city")
    body = ok(act(city, rid, "accept"))
    assert (body["status"], body["level"]) == ("accepted", "city")
    assert body["suggested_department_name"] == "北海市照明管理处"
    body = ok(act(city, rid, "dispatch", department=lighting().pk))
    assert body["status"] == "dispatched" and body["department_name"] == "北海市照明管理处"

    handler = api("handler-lighting")
    assert ok(act(handler, rid, "start"))["status"] == "in_progress"
    photo = uploaded_photo_id(handler)
    body = ok(act(handler, rid, "resolve", note="换了灯泡", photo_ids=[photo]))
    assert body["status"] == "resolved"
    assert [p["id"] for p in body["photos"]["after"]] == [photo]
    assert len(body["photos"]["before"]) == 0

    assert ok(act(resident, rid, "verify"))["status"] == "closed"
    rating = ok(resident.post(f"/api/v1/reports/{rid}/rating/", {"score": 5, "comment": "快"},
                              format="json"), 201)
    assert rating["score"] == 5 and rating["comment"] == "快" and rating["report"] == rid

    detail = ok(resident.get(f"/api/v1/reports/{rid}/"))
    assert detail["rating"]["score"] == 5 and detail["actions"] == []
    timeline = [(e["action"], e["actor"]["display_name"], e["from_status"], e["to_status"],
                 e["level"]) for e in detail["timeline"]]
    assert timeline == [
        ("submit", "resident1", None, "submitted", "community"),
        ("accept", "dispatcher-community", "submitted", "accepted", "community"),
        ("escalate", "dispatcher-community", "accepted", "submitted", "street"),
        ("accept", "dispatcher-street", "submitted", "accepted", "street"),
        ("escalate", "dispatcher-street", "accepted", "submitted", "district"),
        ("accept", "dispatcher-district", "submitted", "accepted", "district"),
        ("escalate", "dispatcher-district", "accepted", "submitted", "city"),
        ("accept", "dispatcher-city", "submitted", "accepted", "city"),
        ("dispatch", "dispatcher-city", "accepted", "dispatched", "city"),
        ("start", "handler-lighting", "dispatched", "in_progress", "city"),
        ("resolve", "handler-lighting", "in_progress", "resolved", "city"),
        ("verify", "resident1", "resolved", "closed", "city"),
        ("rate", "resident1", "closed", "closed", "city"),
    ]
    times = [e["at"] for e in detail["timeline"]]
    assert times == sorted(times)
    assert detail["timeline"][2]["note"] == "beyond the community"
    assert detail["timeline"][10]["note"] == "换了灯泡"


# --- accept: the SLA clock and the suggested department ---------------------------------


def test_accepting_suggests_the_responsible_department_found_walking_up(api, user):
    clutter = report_in("submitted", reporter=user("resident1"), category="clutter")
    body = ok(act(api("dispatcher-community"), clutter.pk, "accept"))
    assert body["suggested_department"] == enforcement().pk  # 东街街道, one level up
    lamp = report_in("submitted", reporter=user("resident1"))
    assert ok(act(api("dispatcher-community"), lamp.pk, "accept"))["suggested_department"] \
        == lighting().pk  # 北海市, three levels up


def test_the_nearest_responsibility_wins_and_other_has_none(world, user):
    community = Region.objects.get(code="450502001001")
    local = Department.objects.create(code="hhl-team", name="黄海路社区工作站", region=community)
    Responsibility.objects.create(category=lighting().responsibilities.get().category,
                                  region=community, department=local)
    lamp = report_in("submitted", reporter=user("resident1"))
    accepted = transitions.accept_report(lamp, actor=user("dispatcher-community"))
    assert accepted.suggested_department == local
    other = report_in("submitted", reporter=user("resident1"), category="other")
    assert transitions.accept_report(other, actor=user("dispatcher-community")
                                  ).suggested_department is None


def test_a_responsibility_of_the_parent_category_counts_when_the_leaf_has_none(world, user):
    lamp = report_in("submitted", reporter=user("resident1"))
    Responsibility.objects.all().delete()
    Responsibility.objects.create(category=lamp.category.parent, department=enforcement(),
                                  region=Region.objects.get(code="450502000000"))
    assert routing.suggest_department(lamp.category, lamp.region_code, "community") \
        == enforcement()


def test_an_escalated_report_only_gets_suggestions_its_new_level_may_choose(world, user):
    clutter = report_in("submitted", reporter=user("resident1"), category="clutter",
                        level="district")
    accepted = transitions.accept_report(clutter, actor=user("dispatcher-district"))
    assert accepted.suggested_department is None  # 东街街道's squad is below the district


# --- dispatch ------------------------------------------------------------------------------


def test_dispatch_without_a_department_takes_the_suggested_one(api, user):
    report = report_in("submitted", reporter=user("resident1"))
    client = api("dispatcher-community")
    ok(act(client, report.pk, "accept"))
    body = ok(act(client, report.pk, "dispatch"))
    assert body["department"] == lighting().pk and body["status"] == "dispatched"


def test_dispatch_takes_a_department_code_too(api, user):
    report = report_in("accepted", reporter=user("resident1"), category="clutter")
    body = ok(act(api("dispatcher-community"), report.pk, "dispatch", department="dj-enforcement"))
    assert body["department_name"] == "东街街道综合执法中队"


def test_dispatch_without_department_or_suggestion_is_400(api, user):
    report = report_in("accepted", reporter=user("resident1"), category="other")
    response = act(api("dispatcher-community"), report.pk, "dispatch")
    assert response.status_code == 400 and response.json()["code"] == "department_required"


@pytest.mark.parametrize("level, department, status", [
    ("community", "dj-enforcement", 200),  # a street department: above the community
    ("community", "bh-lighting", 200),
    ("street", "dj-enforcement", 200),  # the street's own
    ("district", "dj-enforcement", 400),  # below the district
    ("city", "dj-enforcement", 400),
    ("city", "bh-lighting", 200),
])
def test_dispatch_goes_only_to_a_department_in_or_above_the_levels_region(
        api, user, level, department, status):
    report = report_in("accepted", reporter=user("resident1"), level=level)
    response = act(api(DISPATCHERS[level]), report.pk, "dispatch", department=department)
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["code"] == "department_out_of_reach"
        assert Report.objects.get(pk=report.pk).status == "accepted"


def test_a_department_of_another_street_is_out_of_reach(api, user):
    other_street = Region.objects.create(code="450502002000", name="西街街道", level="street",
                                         parent=Region.objects.get(code="450502000000"))
    squad = Department.objects.create(code="xj-squad", name="西街街道执法中队", region=other_street)
    report = report_in("accepted", reporter=user("resident1"))
    response = act(api("dispatcher-city"), report.pk, "dispatch", department=squad.code)
    assert response.json()["code"] == "department_out_of_reach"


def test_an_unknown_department_is_a_field_error(api, user):
    report = report_in("accepted", reporter=user("resident1"))
    response = act(api("dispatcher-community"), report.pk, "dispatch", department="nope")
    assert response.status_code == 400 and "department" in response.json()["fields"]


# --- a higher level takes over -----------------------------------------------------------


def test_a_higher_level_takes_over_and_the_lower_one_cannot_act_any_more(api, user):
    report = report_in("submitted", reporter=user("resident1"))
    body = ok(act(api("dispatcher-district"), report.pk, "accept"))
    assert body["level"] == "district"
    assert body["due_at"] == _iso(Report.objects.get(pk=report.pk).sla_started_at
                                  + timedelta(hours=48))  # the district's streetlight SLA
    response = act(api("dispatcher-community"), report.pk, "dispatch", department="bh-lighting")
    assert response.status_code == 403


def test_escalating_a_taken_over_report_goes_above_the_actors_level(api, user):
    report = report_in("accepted", reporter=user("resident1"))
    body = ok(act(api("dispatcher-street"), report.pk, "escalate", note="太大了"))
    assert body["level"] == "district"


# --- escalate, return, reject, merge -------------------------------------------------------


@pytest.mark.parametrize("status", ["accepted", "dispatched", "in_progress"])
def test_escalate_works_from_accepted_dispatched_and_in_progress(api, user, status):
    report = report_in(status, reporter=user("resident1"), department=lighting()
                       if status != "accepted" else None)
    body = ok(act(api("dispatcher-community"), report.pk, "escalate", note="超出能力"))
    assert (body["status"], body["level"], body["department"]) == ("submitted", "street", None)
    event = ReportEvent.objects.filter(report=report).latest("pk")
    assert event.department == (lighting() if status != "accepted" else None)


@pytest.mark.parametrize("status", ["submitted", "resolved", "closed", "rejected"])
def test_escalate_from_another_status_is_409(api, user, status):
    report = report_in(status, reporter=user("resident1"))
    response = act(api("dispatcher-community"), report.pk, "escalate", note="x")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_escalating_at_city_level_is_409(api, user):
    report = report_in("accepted", reporter=user("resident1"), level="city")
    before = snapshot(report)
    response = act(api("dispatcher-city"), report.pk, "escalate", note="更高")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert snapshot(report) == before


@pytest.mark.parametrize("action", ["escalate", "return", "reject", "reopen"])
def test_actions_that_need_a_reason_refuse_a_blank_note(api, user, action):
    state = {"escalate": "accepted", "return": "dispatched", "reject": "submitted",
             "reopen": "resolved"}[action]
    actor = {"return": "handler-lighting", "reopen": "resident1"}.get(action,
                                                                     "dispatcher-community")
    report = report_in(state, reporter=user("resident1"), department=lighting())
    for body in ({}, {"note": "  "}):
        response = act(api(actor), report.pk, action, **body)
        assert response.status_code == 400 and "note" in response.json()["fields"]


def test_the_handler_returns_a_wrongly_dispatched_report_with_a_reason(api, user):
    report = report_in("dispatched", reporter=user("resident1"), department=lighting())
    body = ok(act(api("handler-lighting"), report.pk, "return", note="不是路灯，是景观灯"))
    assert (body["status"], body["department"]) == ("accepted", None)
    event = ReportEvent.objects.filter(report=report).latest("pk")
    assert (event.action, event.department, event.note) == ("return", lighting(),
                                                           "不是路灯，是景观灯")
    # no longer theirs: the lighting office does not even see it now
    assert api("handler-lighting").get(f"/api/v1/reports/{report.pk}/").status_code == 404


def test_reject_closes_a_submitted_report_with_a_reason(api, user):
    report = report_in("submitted", reporter=user("resident1"))
    body = ok(act(api("dispatcher-community"), report.pk, "reject", note="重复上报"))
    assert body["status"] == "rejected" and body["timeline"][-1]["note"] == "重复上报"


def test_merge_makes_a_duplicate_that_its_reporter_follows(api, user):
    original = report_in("accepted", reporter=user("resident1"))
    repeat = report_in("submitted", reporter=user("resident2"))
    body = ok(act(api("dispatcher-community"), repeat.pk, "merge", duplicate_of=original.pk))
    assert body["status"] == "duplicate" and body["duplicate_of"] == original.pk
    follower = api("resident2")
    assert follower.get(f"/api/v1/reports/{original.pk}/").status_code == 200
    listed = {r["id"] for r in follower.get("/api/v1/reports/").json()["results"]}
    assert listed == {original.pk, repeat.pk}
    assert "verify" not in follower.get(f"/api/v1/reports/{original.pk}/").json()["actions"]


@pytest.mark.parametrize("original_status", ["resolved", "closed", "rejected", "duplicate"])
def test_merge_into_a_report_that_is_not_open_is_400(api, user, original_status):
    extra = {"duplicate_of": report_in("submitted", reporter=user("resident1"))} \
        if original_status == "duplicate" else {}
    original = report_in(original_status, reporter=user("resident1"), **extra)
    repeat = report_in("submitted", reporter=user("resident2"))
    response = act(api("dispatcher-community"), repeat.pk, "merge", duplicate_of=original.pk)
    assert response.status_code == 400 and response.json()["code"] == "invalid_duplicate_of"


def test_merge_into_itself_or_an_invisible_report_is_400(api, user):
    repeat = report_in("submitted", reporter=user("resident1"))
    elsewhere = report_in("submitted", reporter=user("resident3"), grid_code="HPL-01",
                          point=HPL01_POINT)
    client = api("dispatcher-community")
    assert act(client, repeat.pk, "merge", duplicate_of=repeat.pk).json()["code"] \
        == "invalid_duplicate_of"
    response = act(client, repeat.pk, "merge", duplicate_of=elsewhere.pk)
    assert response.status_code == 400 and "duplicate_of" in response.json()["fields"]


# --- resolve -------------------------------------------------------------------------------


@pytest.fixture
def in_progress(user) -> Report:
    return report_in("in_progress", reporter=user("resident1"), department=lighting())


def test_resolve_needs_at_least_one_after_photo(api, in_progress):
    for body in ({"photo_ids": []}, {}):
        response = act(api("handler-lighting"), in_progress.pk, "resolve", note="修好了", **body)
        assert (response.status_code, response.json()["code"]) == (400, "after_photo_required")
    in_progress.refresh_from_db()
    assert in_progress.status == "in_progress"


def test_the_after_photos_are_counted_and_the_thumbnail_stays_the_first_before(
        api, in_progress):
    handler = api("handler-lighting")
    before = api("resident1").get(f"/api/v1/reports/{in_progress.pk}/").json()
    first, second = uploaded_photo_id(handler), uploaded_photo_id(handler)
    ok(act(handler, in_progress.pk, "resolve", note="修好了", photo_ids=[first, second]))
    for reader in (handler, api("resident1")):
        detail = reader.get(f"/api/v1/reports/{in_progress.pk}/").json()
        [listed] = [r for r in reader.get("/api/v1/reports/").json()["results"]
                    if r["id"] == in_progress.pk]
        for shown in (detail, listed):
            assert shown["photo_count"] == 3 == Photo.objects.filter(report=in_progress).count()
            assert shown["thumbnail_url"] == before["thumbnail_url"] is not None
    assert [p["id"] for p in detail["photos"]["after"]] == [first, second]


def test_resolve_refuses_someone_elses_or_an_attached_photo_and_changes_nothing(
        api, user, in_progress):
    handler = api("handler-lighting")
    mine = uploaded_photo_id(handler)
    theirs = uploaded_photo_id(api("resident1"))
    attached = uploaded_photo_id(handler)  # the handler's own, but already on a report
    Photo.objects.filter(pk=attached).update(report=in_progress, kind="after")
    before = snapshot(in_progress)
    for photo_ids in ([mine, theirs], [mine, attached], [mine, 10**9]):
        response = act(handler, in_progress.pk, "resolve", note="修好了", photo_ids=photo_ids)
        assert response.status_code == 400 and response.json()["code"] == "photo_invalid"
    assert snapshot(in_progress) == before
    assert Photo.objects.get(pk=mine).report is None  # rolled back with the rest


# --- verify, reopen, the 7 days ------------------------------------------------------------


def test_the_grids_leader_may_verify_too(api, user):
    report = report_in("resolved", reporter=user("resident1"), department=lighting())
    assert ok(act(api("leader5"), report.pk, "verify"))["status"] == "closed"


@freeze_time("2026-11-26 09:00:00+08:00")
def test_reopen_sends_it_back_to_the_same_department_with_a_fresh_clock(api, user):
    report = report_in("resolved", reporter=user("resident1"), department=lighting(),
                       due_at=timezone.now() - timedelta(days=1))
    body = ok(act(api("resident1"), report.pk, "reopen", note="还是不亮"))
    assert (body["status"], body["department"]) == ("dispatched", lighting().pk)
    assert body["traffic_light"] == "green" and body["resolved_at"] is None


@pytest.mark.parametrize("action, body", [("verify", {}), ("reopen", {"note": "还是不亮"})])
def test_verify_and_reopen_are_closed_after_seven_days(api, user, action, body):
    resolved_at = datetime.fromisoformat("2026-11-01T10:00:00+08:00")
    with freeze_time(resolved_at):
        report = report_in("resolved", reporter=user("resident1"), department=lighting())
    with freeze_time(resolved_at + timedelta(days=7)):  # exactly 7 days: still allowed
        assert act(api("resident1"), report.pk, action, **body).status_code == 200
    # resolved again (a reopen cleared it), at a known time, for the closing check
    Report.objects.filter(pk=report.pk).update(status="resolved", resolved_at=resolved_at)
    report.refresh_from_db()
    with freeze_time(report.resolved_at + timedelta(days=7, seconds=1)):
        response = act(api("resident1"), report.pk, action, **body)
    assert response.status_code == 409 and response.json()["code"] == "verification_closed"


# --- rating --------------------------------------------------------------------------------


def test_the_reporter_rates_once(api, user):
    report = report_in("resolved", reporter=user("resident1"), department=lighting())
    client = api("resident1")
    assert "rating" in client.get(f"/api/v1/reports/{report.pk}/").json()["actions"]
    ok(client.post(f"/api/v1/reports/{report.pk}/rating/", {"score": 4}, format="json"), 201)
    again = client.post(f"/api/v1/reports/{report.pk}/rating/", {"score": 1}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    assert Report.objects.get(pk=report.pk).rating == 4


@pytest.mark.parametrize("score", [0, 6, "five", None])
def test_a_score_is_1_to_5(api, user, score):
    report = report_in("closed", reporter=user("resident1"))
    response = api("resident1").post(f"/api/v1/reports/{report.pk}/rating/", {"score": score},
                                     format="json")
    assert response.status_code == 400 and "score" in response.json()["fields"]


@pytest.mark.parametrize("status", ["submitted", "accepted", "dispatched", "in_progress",
                                    "rejected"])
def test_rating_before_resolve_is_409(api, user, status):
    report = report_in(status, reporter=user("resident1"), department=lighting())
    response = api("resident1").post(f"/api/v1/reports/{report.pk}/rating/", {"score": 5},
                                     format="json")
    assert response.status_code == 409


def test_a_retried_rating_with_its_idempotency_key_gets_the_first_answer(api, user):
    report = report_in("closed", reporter=user("resident1"))
    client = api("resident1")
    first, second = (client.post(f"/api/v1/reports/{report.pk}/rating/", {"score": 5},
                                 format="json", HTTP_IDEMPOTENCY_KEY="rate-1") for _i in range(2))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"


# --- races, retries, the timeline -----------------------------------------------------------


def test_the_second_of_two_clicks_from_a_stale_page_is_409(world, user):
    """The service acts on what the caller read: if the row moved on meanwhile, the
    conditional UPDATE matches nothing and nothing is written."""
    report = report_in("accepted", reporter=user("resident1"))
    stale = Report.objects.get(pk=report.pk)
    transitions.dispatch_report(report, actor=user("dispatcher-community"), department=lighting())
    with pytest.raises(InvalidTransition):
        transitions.dispatch_report(stale, actor=user("dispatcher-street"), department=enforcement())
    assert Report.objects.get(pk=report.pk).department == lighting()
    assert ReportEvent.objects.filter(report=report, action="dispatch").count() == 1


def test_a_retried_action_with_its_idempotency_key_is_200_not_409(api, user):
    report = report_in("submitted", reporter=user("resident1"))
    client = api("dispatcher-community")
    first, second = (client.post(f"/api/v1/reports/{report.pk}/accept/", {}, format="json",
                                 HTTP_IDEMPOTENCY_KEY="accept-1") for _i in range(2))
    assert first.status_code == second.status_code == 200
    assert ReportEvent.objects.filter(report=report, action="accept").count() == 1
    third = client.post(f"/api/v1/reports/{report.pk}/accept/", {}, format="json")
    assert third.status_code == 409


def test_every_transition_writes_one_event_and_moves_updated_at(world, user):
    with freeze_time("2026-11-26 09:00:00+08:00") as clock:
        report = report_in("submitted", reporter=user("resident1"))
        updated_before = report.updated_at
        clock.tick(timedelta(minutes=5))
        transitions.accept_report(report, actor=user("dispatcher-community"), note="收到")
    fresh = Report.objects.get(pk=report.pk)
    assert fresh.updated_at == fresh.sla_started_at > updated_before
    [event] = ReportEvent.objects.filter(report=report, action="accept")
    assert (event.from_status, event.to_status, event.note, event.actor) == (
        "submitted", "accepted", "收到", user("dispatcher-community"))


def test_actions_on_a_missing_report_are_404(api):
    assert act(api("dispatcher-city"), 10**9, "accept").status_code == 404


def test_the_actions_field_lists_what_the_user_may_do_now(api, user):
    report = report_in("accepted", reporter=user("resident1"))
    assert api("dispatcher-community").get(f"/api/v1/reports/{report.pk}/").json()["actions"] \
        == ["dispatch", "escalate"]
    city = report_in("accepted", reporter=user("resident1"), level="city")
    assert api("dispatcher-city").get(f"/api/v1/reports/{city.pk}/").json()["actions"] \
        == ["dispatch"]  # nowhere to escalate to
    assert api("resident1").get(f"/api/v1/reports/{report.pk}/").json()["actions"] == []


# --- query counts -------------------------------------------------------------------------

# A detail read: the user with the roles token (1), their roles (2 for resident1, read
# for the first time in the test: staff roles, grids; none for the dispatcher, whose roles
# this process loaded for the transitions under the same token), the report with its
# category, grid, reporter and departments joined (1), its photos (1), its events with
# their actors joined (1). However many transitions and photos, the same.
DETAIL_QUERIES = {"resident1": 1 + 2 + 3, "dispatcher-city": 1 + 0 + 3}


@pytest.mark.parametrize("escalations", [0, 3])
@pytest.mark.parametrize("username", DETAIL_QUERIES)
def test_a_detail_costs_the_same_queries_after_any_number_of_transitions(
        api, user, django_assert_num_queries, username, escalations):
    report = report_in("submitted", reporter=user("resident1"))
    for level in ["community", "street", "district"][:escalations]:
        report = transitions.accept_report(report, actor=user(DISPATCHERS[level]))
        report = transitions.escalate_report(report, actor=user(DISPATCHERS[level]), note="up")
    report = transitions.accept_report(report, actor=user("dispatcher-city"))
    transitions.dispatch_report(report, actor=user("dispatcher-city"), department=lighting())
    client = api(username)
    with django_assert_num_queries(DETAIL_QUERIES[username]):
        response = client.get(f"/api/v1/reports/{report.pk}/")
    assert len(response.json()["timeline"]) == 1 + 2 * escalations + 2
    assert response.json()["suggested_department_name"] == "北海市照明管理处"


def _iso(moment) -> str:
    from rest_framework.fields import DateTimeField
    return DateTimeField().to_representation(moment)


# A list read: the JWT user with the roles token (1), dispatcher-city's roles (2), the
# page with category, grid, reporter and both departments joined (1); no count
# (cursor). The workflow fields (traffic light, rating, actions) are computed from what is
# loaded: the same for 1 report as for 30 in every state.
@pytest.mark.parametrize("count", [1, 30])
def test_a_list_of_reports_in_every_state_costs_the_same_queries(
        api, user, django_assert_num_queries, count):
    statuses = ["submitted", "accepted", "dispatched", "in_progress", "resolved", "closed"]
    for i in range(count):
        report_in(statuses[i % len(statuses)], reporter=user("resident1"), department=lighting(),
                  suggested_department=lighting(), rating=5 if i % 6 == 5 else None)
    client = api("dispatcher-city")
    with django_assert_num_queries(1 + 2 + 1):
        response = client.get("/api/v1/reports/?limit=100")
    assert len(response.json()["results"]) == count


# --- the demo world -------------------------------------------------------------------------


def test_the_demo_world_has_demos_responsibility_rows_and_building_it_twice_changes_nothing(world):
    from config.demo import build_demo_world

    build_demo_world()
    rows = set(Responsibility.objects.values_list("category__code", "region__name",
                                                  "department__name"))
    assert rows == {
        ("streetlight", "北海市", "北海市照明管理处"),
        ("clutter", "东街街道", "东街街道综合执法中队"),
        ("flying-wire", "东街街道", "东街街道综合执法中队"),
        ("illegal-building", "东街街道", "东街街道综合执法中队"),
    }
