"""POST /api/v1/reports/: intake, numbers, duplicates, the photo flag, the content check."""

import importlib
import io
import re
import threading
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts import wechat
from accounts.wechat import WeChatUnavailable
from gridapp import geo
from gridapp.services import intake
from gridapp.models import Category, Photo, Report, ReportCounter, ReportEvent
from gridapp.tasks import check_pending_report_content
from tests.conftest import needs_postgres

from .photos_support import (HHL05_POINT, camera_exif, jpeg_bytes, make_reports, report_body,
                             uploaded_photo_id)


pytestmark = pytest.mark.usefixtures("media")
HPL01_POINT = (21.4810, 109.1170)


def submit(client, key: str | None = None, **overrides):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/reports/", report_body(**overrides), format="json", **headers)


class FakeWeChat:
    """The outside world's content check, answering what a test says (or failing)."""

    def __init__(self, verdict: str = "pass", error: Exception | None = None) -> None:
        self.verdict, self.error, self.calls = verdict, error, []

    def msg_sec_check(self, openid: str, content: str, scene: int = 1) -> str:
        self.calls.append(content)
        if self.error:
            raise self.error
        return self.verdict


@pytest.fixture
def wechat_says(monkeypatch):
    def install(verdict: str = "pass", error: Exception | None = None) -> FakeWeChat:
        fake = FakeWeChat(verdict, error)
        monkeypatch.setattr(wechat, "_client", fake)
        return fake
    return install


# --- the happy path ----------------------------------------------------------------------


@freeze_time("2026-11-26T23:30:00Z")  # 07:30 on the 27th in Beihai: the number is local
def test_a_resident_reports_a_dark_lamp_with_two_photos(api, user):
    client = api("resident1")
    photo_ids = [uploaded_photo_id(client), uploaded_photo_id(client)]
    response = submit(client, photo_ids=photo_ids, address="黄海路 12 号")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["level"] == "community"
    assert re.fullmatch(r"BH20261127\d{6}", body["number"])
    assert body["grid_code"] == "HHL-05" and body["category_code"] == "streetlight"
    assert body["category_name"] == "市政设施 / 路灯不亮"
    assert body["possible_duplicates"] == []
    assert [p["id"] for p in body["photos"]["before"]] == photo_ids
    assert body["photos"]["after"] == []
    assert body["due_at"] is None and body["department"] is None
    [event] = body["timeline"]
    assert event["action"] == "submit" and event["to_status"] == "submitted"
    assert event["from_status"] is None and event["level"] == "community"
    assert event["actor"]["id"] == user("resident1").pk
    report = Report.objects.get(pk=body["id"])
    assert report.region_code == "450502001001"
    assert set(report.photos.values_list("kind", flat=True)) == {"before"}


def test_the_category_may_be_given_by_id(api):
    category = Category.objects.get(code="clutter")
    response = submit(api("leader1"), category=category.pk)
    assert response.status_code == 201
    assert response.json()["category"] == category.pk


def test_a_member_may_report_what_they_see_in_a_neighbouring_grid(api):
    lat, lng = HPL01_POINT
    response = submit(api("resident1"), lat=lat, lng=lng)
    assert response.status_code == 201
    assert response.json()["grid_code"] == "HPL-01"
    assert Report.objects.get().region_code == "450502001002"


def test_a_raw_gps_point_is_converted_to_gcj02(api):
    lat, lng = geo.gcj02_to_wgs84(*HHL05_POINT)
    body = submit(api("resident1"), lat=lat, lng=lng, coord_type="wgs84").json()
    assert body["lat"] == pytest.approx(HHL05_POINT[0], abs=1e-7)
    assert body["grid_code"] == "HHL-05"


def test_an_urgent_report_is_marked(api):
    assert submit(api("resident1"), urgent=True).json()["urgent"] is True


def test_a_retry_with_the_same_key_returns_the_first_report_and_creates_nothing(api):
    client = api("resident1")
    photo_id = uploaded_photo_id(client)
    first = submit(client, key="report-1", photo_ids=[photo_id])
    again = submit(client, key="report-1", photo_ids=[photo_id])
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1 and ReportEvent.objects.count() == 1
    reused = submit(client, key="report-1", description="something else")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


# --- who may report, and where --------------------------------------------------------------


def test_a_newcomer_without_a_grid_may_not_report(api):
    response = submit(api("newcomer"))
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_member"
    assert Report.objects.count() == 0


def test_staff_without_a_grid_are_not_reporters(api):
    assert submit(api("dispatcher-city")).json()["code"] == "not_a_member"


def test_a_leader_may_report(api):
    assert submit(api("leader9")).status_code == 201


def test_a_former_leader_may_not(api):
    assert submit(api("leader9old")).status_code == 403


def test_a_point_outside_every_grid_is_400(api):
    response = submit(api("resident1"), lat=21.50, lng=109.20)
    assert response.status_code == 400
    assert response.json()["code"] == "outside_all_grids"
    assert Report.objects.count() == ReportCounter.objects.count() == 0


# --- bad input: a clear 4xx and nothing stored ---------------------------------------------


@pytest.mark.parametrize("overrides, field", [
    ({"lat": 91}, "lat"),
    ({"lng": "abc"}, "lng"),
    ({"lat": "NaN"}, "lat"),
    ({"category": "no-such-category"}, "category"),
    ({"category": 999_999}, "category"),
    ({"category": "municipal"}, "category"),  # a first-level group, not a reportable leaf
    ({"category": None}, "category"),
    ({"description": "x" * 10_001}, "description"),
    ({"description": "   "}, "description"),
    ({"coord_type": "bd09"}, "coord_type"),
    ({"photo_ids": [1, 1]}, "photo_ids"),
    ({"photo_ids": list(range(1, 11))}, "photo_ids"),
    ({"photo_ids": "1,2"}, "photo_ids"),
    ({"urgent": "maybe"}, "urgent"),
])
def test_bad_fields_are_400_with_the_field_named_and_nothing_stored(api, overrides, field):
    response = submit(api("resident1"), **overrides)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert Report.objects.count() == 0


def test_a_description_of_exactly_10000_characters_is_fine(api):
    assert submit(api("resident1"), description="灯" * 10_000).status_code == 201


def test_an_inactive_category_is_refused(api):
    Category.objects.filter(code="clutter").update(active=False)
    assert "category" in submit(api("resident1"), category="clutter").json()["fields"]


def test_another_users_photo_is_400_and_nothing_is_stored(api):
    theirs = uploaded_photo_id(api("resident2"))
    mine = uploaded_photo_id(api("resident1"))
    response = submit(api("resident1"), photo_ids=[mine, theirs])
    assert response.status_code == 400
    assert response.json()["code"] == "photo_invalid"
    assert Report.objects.count() == 0
    assert Photo.objects.filter(report__isnull=False).count() == 0


def test_a_photo_already_attached_to_a_report_is_400(api):
    client = api("resident1")
    photo_id = uploaded_photo_id(client)
    assert submit(client, photo_ids=[photo_id]).status_code == 201
    response = submit(client, photo_ids=[photo_id])
    assert response.status_code == 400 and response.json()["code"] == "photo_invalid"
    assert Report.objects.count() == 1


def test_a_photo_id_that_does_not_exist_is_400(api):
    assert submit(api("resident1"), photo_ids=[424242]).json()["code"] == "photo_invalid"


# --- numbers -----------------------------------------------------------------------------


def test_numbers_count_up_within_a_day_and_start_again_the_next(db):
    day = date(2026, 11, 26)
    from django.db import transaction
    with transaction.atomic():
        numbers = [intake.next_report_number(day) for _i in range(3)]
        tomorrow = intake.next_report_number(day + timedelta(days=1))
    assert numbers == ["BH20261126000001", "BH20261126000002", "BH20261126000003"]
    assert tomorrow == "BH20261127000001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_share_a_number(world, user):
    """Eight reporters at once (threads, each with its own connection). On PostgreSQL the
    counter row lock serialises them; on SQLite the write lock does."""
    reporters = [user(name) for name in ("leader1", "leader2", "leader3", "leader4",
                                         "leader5", "leader6", "resident1", "resident2")]
    category = Category.objects.get(code="streetlight")
    numbers, errors, start = [], [], threading.Barrier(len(reporters))

    def work(reporter) -> None:
        try:
            start.wait()
            numbers.append(intake.submit_report(
                actor=reporter, category=category, description="dark", lat=HHL05_POINT[0],
                lng=HHL05_POINT[1]).report.number)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(r,)) for r in reporters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(numbers)) == len(reporters)
    assert ReportCounter.objects.get().last == len(reporters)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_reports_of_a_day_create_one_counter_row(world):
    """Both find no row for the day and insert: one insert waits on the other's unique
    index entry, fails, and falls back to the UPDATE."""
    from django.db import transaction
    day, numbers, start = date(2031, 1, 1), [], threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            with transaction.atomic():
                numbers.append(intake.next_report_number(day))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"BH20310101{i:06d}" for i in range(1, 5)]


# --- possible duplicates ----------------------------------------------------------------------


def offset(point: tuple[float, float], north_m: float) -> tuple[float, float]:
    return point[0] + north_m / 111_320.0, point[1]


def test_possible_duplicates_are_open_same_category_reports_nearby_nearest_first(api, user):
    resident2 = user("resident2")
    near = make_reports(1, reporter=resident2, point=offset(HHL05_POINT, 60))[0]
    nearer = make_reports(1, reporter=resident2, point=offset(HHL05_POINT, -30))[0]
    make_reports(1, reporter=resident2, point=offset(HHL05_POINT, 150))  # outside 100 m
    make_reports(1, reporter=resident2, category="clutter")  # another category
    make_reports(1, reporter=resident2, status=Report.Status.CLOSED)  # no longer open
    old = make_reports(1, reporter=resident2)[0]
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    body = submit(api("resident1")).json()
    assert [d["id"] for d in body["possible_duplicates"]] == [nearer.pk, near.pk]
    assert body["possible_duplicates"][0]["number"] == nearer.number
    assert body["possible_duplicates"][0]["distance_m"] == pytest.approx(30, abs=0.5)
    assert body["possible_duplicates"][1]["distance_m"] == pytest.approx(60, abs=0.5)
    assert Report.objects.filter(number=body["number"]).exists()  # still created


def test_at_most_five_duplicates_are_listed(api, user):
    make_reports(8, reporter=user("resident2"), point=offset(HHL05_POINT, 10))
    assert len(submit(api("resident1")).json()["possible_duplicates"]) == 5


def test_the_duplicate_radius_is_per_category(api, user):
    make_reports(1, reporter=user("resident2"), point=offset(HHL05_POINT, 150))
    Category.objects.filter(code="streetlight").update(duplicate_radius_m=200)
    assert len(submit(api("resident1")).json()["possible_duplicates"]) == 1


# --- the answer --------------------------------------------------------------------------

def lamp_project_for_later_reports(api) -> None:
    """A live project of the street's lamps, which a new lamp report in HHL-05 joins."""
    first = submit(api("resident2")).json()["id"]
    made = api("dispatcher-street").post("/api/v1/projects/", {
        "title": "东街街道路灯专项整治", "category": "streetlight", "region": "450502001000",
        "department": "bh-lighting", "goal": "年底前更换老旧路灯", "report_ids": [first]},
        format="json")
    assert made.status_code == 201, made.content


def far_and_near_photos(client) -> list[int]:
    return [uploaded_photo_id(client, jpeg_bytes(exif=camera_exif(gcj02=offset(HHL05_POINT, m))))
            for m in (900, 20)]


FILINGS = {  # who files, what, and what the answer must then show
    "a resident's two photos": (
        "resident1", lambda api, client: {"photo_ids": far_and_near_photos(client)}),
    "a leader's urgent report without photos": ("leader5", lambda api, client: {"urgent": True}),
    "a hotline call, its caller and flags shown": ("dispatcher-city", lambda api, client: {
        "source": "hotline", "caller": {"name": "王先生", "phone": "13800138000"},
        "photo_ids": far_and_near_photos(client)}),
    "a report joining a live project": (
        "resident1", lambda api, client: lamp_project_for_later_reports(api) or {}),
}


@freeze_time("2026-11-26T01:30:00Z")
@pytest.mark.parametrize("filing", FILINGS)
def test_the_new_reports_answer_is_its_detail_as_read_afterwards(api, filing):
    # The 201 is built from the rows the intake wrote, not read back
    # (`filed_with_details`): it must be what the detail then reads, field for field.
    username, body = FILINGS[filing]
    client = api(username)
    response = submit(client, **body(api, client))
    assert response.status_code == 201, response.content
    answered = response.json()
    detail = client.get(f"/api/v1/reports/{answered.pop('id')}/").json()
    answered.pop("possible_duplicates")
    assert answered == {key: value for key, value in detail.items() if key != "id"}
    # The photo figures the report keeps are its photos', in the detail and the list.
    photos = list(Photo.objects.filter(report=detail["id"]).order_by("pk"))
    assert detail["photo_count"] == len(photos) == len(detail["photos"]["before"])
    if photos:
        assert detail["thumbnail_url"].split("?")[0].endswith(photos[0].thumbnail.name)
    else:
        assert detail["thumbnail_url"] is None
    [listed] = [r for r in client.get("/api/v1/reports/").json()["results"]
                if r["id"] == detail["id"]]
    assert (listed["photo_count"], listed["thumbnail_url"]) == (
        detail["photo_count"], detail["thumbnail_url"])


def test_the_migration_and_the_command_fill_the_photo_figures_as_the_services_keep_them(api):
    client = api("resident1")
    with_photos = submit(client, photo_ids=[uploaded_photo_id(client) for _i in range(2)])
    ids = (with_photos.json()["id"], submit(client).json()["id"])
    kept = photo_figures(*ids)
    first = Photo.objects.filter(report=ids[0]).order_by("pk").first()
    assert kept == {ids[0]: (2, first.thumbnail.name), ids[1]: (0, "")}
    Report.objects.update(photo_count=0, thumbnail_name="")
    importlib.import_module("gridapp.migrations.0017_report_photo_count").fill(Report, Photo)
    assert photo_figures(*ids) == kept
    Report.objects.update(photo_count=7, thumbnail_name="photos/elsewhere.jpg")
    call_command("fill_report_facts", "photos", stdout=io.StringIO())  # after a release
    assert photo_figures(*ids) == kept


def photo_figures(*ids: int) -> dict[int, tuple]:
    rows = Report.objects.filter(pk__in=ids).values_list("pk", "photo_count", "thumbnail_name")
    return {pk: tuple(figures) for pk, *figures in rows}


def test_a_new_report_costs_the_same_queries_whatever_its_photos(
        api, django_assert_num_queries):
    # The JWT user with the roles token; the category; the grid index's token; the photos
    # to claim, read (their count, thumbnail and distance go into the report); the day's
    # number (bumped and read in one); the community's code; the report; the photos
    # claimed; a live project?; the event; its recipients (leaders, dispatchers) and
    # their outbox row; duplicates.
    client = api("resident1")
    submit(client)  # the day's counter row exists, as it does after the day's first report
    taken_nearby = jpeg_bytes(exif=camera_exif(gcj02=offset(HHL05_POINT, 20)))
    for photos, content in ((0, None), (1, None), (3, None), (2, taken_nearby)):
        photo_ids = [uploaded_photo_id(client, content) for _i in range(photos)]
        with django_assert_num_queries(17 if photos else 15):  # EXIF points or none
            assert submit(client, photo_ids=photo_ids).status_code == 201


# --- the photo's own position -------------------------------------------------------------------


def test_a_photo_taken_far_from_the_reported_point_flags_the_report(api):
    client = api("resident1")
    far = camera_exif(gcj02=offset(HHL05_POINT, 800))
    photo_id = uploaded_photo_id(client, jpeg_bytes(exif=far))
    body = submit(client, photo_ids=[photo_id]).json()
    report = Report.objects.get(pk=body["id"])
    assert report.location_suspect and report.flagged
    assert report.photo_distance_m == pytest.approx(800, abs=2)
    assert body["flags"] is None  # not the reporter's business
    flags = api("dispatcher-community").get(f"/api/v1/reports/{report.pk}/").json()["flags"]
    assert flags["flagged"] and flags["location_suspect"]


def test_a_photo_taken_on_the_spot_does_not(api):
    client = api("resident1")
    photo_id = uploaded_photo_id(client, jpeg_bytes(exif=camera_exif(gcj02=offset(HHL05_POINT, 50))))
    report = Report.objects.get(pk=submit(client, photo_ids=[photo_id]).json()["id"])
    assert not report.location_suspect and report.photo_distance_m == pytest.approx(50, abs=1)


# --- WeChat's content check ---------------------------------------------------------------------


def test_risky_text_is_refused_and_nothing_is_stored(api, wechat_says):
    client = api("resident1")
    photo_id = uploaded_photo_id(client)
    fake = wechat_says("risky")
    response = submit(client, photo_ids=[photo_id], description="违规内容")
    assert response.status_code == 400 and response.json()["code"] == "content_rejected"
    assert fake.calls == ["违规内容"]
    assert Report.objects.count() == 0 and Photo.objects.get().report is None


def test_text_for_review_is_stored_flagged_for_a_dispatcher(api, wechat_says):
    wechat_says("review")
    body = submit(api("resident1")).json()
    report = Report.objects.get(pk=body["id"])
    assert report.content_check == "review" and report.flagged


def test_wechat_being_down_never_blocks_a_report_and_a_task_checks_it_later(api, wechat_says):
    wechat_says(error=WeChatUnavailable())
    response = submit(api("resident1"))
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.content_check == "pending"
    assert check_pending_report_content.delay().get() == 0  # still down: still pending
    wechat_says("review")
    assert check_pending_report_content.delay().get() == 1
    report.refresh_from_db()
    assert report.content_check == "review"
    assert report.events.last().action == "content_check"
    assert check_pending_report_content.delay().get() == 0  # twice changes nothing
    assert report.events.count() == 2


def test_the_real_client_unreachable_counts_as_down(api, settings):
    settings.WECHAT_BACKEND, settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = "api", "wx", "s"
    settings.WECHAT_API_BASE, settings.WECHAT_TIMEOUT = "http://127.0.0.1:9", 0.5
    wechat.reset_client()
    assert submit(api("resident1")).status_code == 201
    assert Report.objects.get().content_check == "pending"


def test_the_dev_backend_passes_everything(api):
    submit(api("resident1"))
    assert Report.objects.get().content_check == "pass"


def test_a_retry_is_not_checked_again(api, wechat_says):
    client = api("resident1")
    fake = wechat_says("pass")
    submit(client, key="k1")
    fake.verdict = "risky"
    assert submit(client, key="k1").status_code == 201
    assert len(fake.calls) == 1


def test_report_creation_is_throttled_per_user_but_reading_is_not(api, monkeypatch):
    from config.api.throttling import CreateThrottle
    monkeypatch.setattr(CreateThrottle, "THROTTLE_RATES", {"report": "2/min", "upload": "1/min"})
    client = api("resident1")
    assert [submit(client).status_code for _i in range(3)] == [201, 201, 429]
    assert submit(api("resident2")).status_code == 201  # per user
    assert all(client.get("/api/v1/reports/").status_code == 200 for _i in range(3))
