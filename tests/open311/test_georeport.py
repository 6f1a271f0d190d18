"""Open311 GeoReport v2 (issue 17), conformance written from the specification
(wiki.open311.org/GeoReport_v2): every endpoint in both formats, every error rule, the
privacy of callers, and a round trip — the hotline files, a dispatcher handles the report
through our own API, the hotline sees it closed with the notes."""

import datetime as dt
import re
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.test import Client
from freezegun import freeze_time

from gridapp import geo
from gridapp.models import Report
from open311 import keys
from open311.models import ApiKey, FiledRequest
from tests.gridapp.photos_support import HHL05_POINT
from tests.gridapp.workflow_support import act, lighting, ok

BASE = "/open311/v2"
NOW = "2026-11-26 09:00:00+08:00"
WGS84_HHL05 = geo.gcj02_to_wgs84(*HHL05_POINT)


@pytest.fixture
def hotline(world):
    key, raw = keys.create_key("12345-hotline")
    return raw


@pytest.fixture
def client():
    return Client()


def file(client, key, **fields):
    body = {"api_key": key, "service_code": "streetlight", "lat": WGS84_HHL05[0],
            "long": WGS84_HHL05[1], "description": "路灯不亮，晚上很黑",
            "address_string": "黄海路 5 号", "first_name": "小明", "last_name": "王",
            "phone": "13800138000", "email": "wang@example.com", **fields}
    return client.post(f"{BASE}/requests.json", {k: v for k, v in body.items() if v is not None})


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


# --- services ----------------------------------------------------------------------------

def test_the_services_are_the_leaf_categories_grouped_by_their_top_category(client, world):
    services = client.get(f"{BASE}/services.json").json()
    lamp = next(s for s in services if s["service_code"] == "streetlight")
    assert lamp["service_name"] == "路灯不亮" and lamp["group"] == "市政设施"
    assert {"metadata", "type", "keywords", "description"} <= lamp.keys()
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [e.findtext("service_code") for e in root.findall("service")] == [
        s["service_code"] for s in services]


def test_a_service_definition_has_its_attributes_and_an_unknown_code_is_404(client, world):
    assert client.get(f"{BASE}/services/streetlight.json").json() == {
        "service_code": "streetlight", "attributes": []}
    assert xml(client.get(f"{BASE}/services/streetlight.xml")).tag == "service_definition"
    missing = client.get(f"{BASE}/services/nothing.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": "service_code nothing not found"}]
    root = xml(client.get(f"{BASE}/services/nothing.xml"))
    assert (root.tag, root.find("error").findtext("code")) == ("errors", "404")


def test_discovery_names_the_v2_endpoint_and_its_formats(client, world):
    endpoint = client.get(f"{BASE}/discovery.json").json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml", "application/json"]


# --- filing ------------------------------------------------------------------------------

@freeze_time(NOW)
def test_a_hotline_files_a_request_and_the_caller_is_kept_for_staff_only(client, hotline, api):
    response = file(client, hotline, media_url="https://example.com/lamp.jpg",
                    account_id="caller-77")
    assert response.status_code == 200
    [answer] = response.json()
    report = Report.objects.get(number=answer["service_request_id"])
    assert answer["token"] == report.open311.token and answer["account_id"] == "caller-77"
    assert (report.source, report.grid.code, report.category.code) == (
        "open311", "HHL-05", "streetlight")
    assert (report.caller_name, report.caller_phone, report.caller_email) == (
        "王 小明", "13800138000", "wang@example.com")
    assert (round(report.lat, 4), round(report.lng, 4)) == HHL05_POINT  # stored in GCJ-02
    assert report.reporter == ApiKey.objects.get(name="12345-hotline").user

    [published] = client.get(f"{BASE}/requests/{report.number}.json",
                             {"api_key": hotline}).json()
    assert published["media_url"] == "https://example.com/lamp.jpg"
    assert (published["lat"], published["long"]) == (round(WGS84_HHL05[0], 6),
                                                      round(WGS84_HHL05[1], 6))
    text = client.get(f"{BASE}/requests.xml", {"api_key": hotline}).content.decode()
    for personal in ("13800138000", "小明", "wang@example.com", "caller-77"):
        assert personal not in str(published) and personal not in text


def test_the_token_leads_to_the_request(client, hotline):
    [answer] = file(client, hotline).json()
    assert client.get(f"{BASE}/tokens/{answer['token']}.json", {"api_key": hotline}).json() == [
        {"service_request_id": answer["service_request_id"], "token": answer["token"]}]
    assert client.get(f"{BASE}/tokens/nope.json", {"api_key": hotline}).status_code == 404


@pytest.mark.parametrize("fields,status,says", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "o311_wrong"}, 403, "api_key"),
    ({"service_code": "nothing"}, 404, "service_code"),
    ({"service_code": None}, 404, "service_code"),
    ({"lat": None, "long": None}, 400, "lat and long are required"),
    ({"lat": "north"}, 400, "decimal degrees"),
    ({"lat": "nan"}, 400, "decimal degrees"),
    ({"lat": "91"}, 400, "decimal degrees"),
    ({"lat": "40.0", "long": "-74.0"}, 400, "outside every grid"),
    ({"description": ""}, 400, "description is required"),
    ({"description": "灯" * 4001}, 400, "4000"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
])
def test_a_bad_request_is_refused_with_the_spec_error_and_nothing_is_stored(
        client, hotline, fields, status, says):
    response = file(client, hotline, **fields)
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and says in error["description"]
    assert not Report.objects.filter(source="open311").exists()
    assert not FiledRequest.objects.exists()


def test_a_description_of_4000_characters_is_accepted(client, hotline):
    assert file(client, hotline, description="灯" * 4000).status_code == 200


def test_a_revoked_key_files_nothing(client, hotline):
    keys.revoke(ApiKey.objects.get(name="12345-hotline"))
    assert file(client, hotline).status_code == 403


def test_a_key_of_one_region_cannot_file_outside_it(client, world):
    from gridapp.models import Region

    _key, raw = keys.create_key("another-city-app", region=Region.objects.create(
        code="450600000000", name="防城港市", level="city"))
    response = file(client, raw)
    assert response.status_code == 403 and "region" in response.json()[0]["description"]
    assert not Report.objects.filter(source="open311").exists()


def test_errors_answer_in_xml_when_xml_is_asked(client, hotline):
    response = client.post(f"{BASE}/requests.xml", {"service_code": "streetlight"})
    root = xml(response)
    assert response.status_code == 403 and root.find("error/code").text == "403"


# --- reading -----------------------------------------------------------------------------

def test_reading_needs_a_key_unless_public_reading_is_on(client, hotline, settings):
    assert client.get(f"{BASE}/requests.json").status_code == 403
    settings.OPEN311_PUBLIC_READ = True
    assert client.get(f"{BASE}/requests.json").status_code == 200
    assert client.get(f"{BASE}/requests.json", {"api_key": "o311_bad"}).status_code == 403


@freeze_time(NOW)
def test_the_request_list_filters_by_the_spec(client, hotline, user):
    from tests.gridapp.photos_support import make_reports

    [lamp] = file(client, hotline).json()
    [old] = file(client, hotline).json()
    Report.objects.filter(number=old["service_request_id"]).update(
        created_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC), status="closed")
    make_reports(1, reporter=user("resident1"), grid_code="HHL-05", category="clutter")

    def numbers(**query):
        response = client.get(f"{BASE}/requests.json", {"api_key": hotline, **query})
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    recent = numbers()  # the last 90 days by default
    assert lamp["service_request_id"] in recent and old["service_request_id"] not in recent
    assert len(recent) == Report.objects.filter(
        created_at__gte=dt.datetime(2026, 8, 28, 1, tzinfo=dt.UTC)).count()
    assert numbers(service_code="streetlight") == {lamp["service_request_id"]}
    assert numbers(status="closed") == set()
    assert numbers(start_date="2026-05-15T00:00:00+08:00",
                   end_date="2026-06-15T00:00:00+08:00") == {old["service_request_id"]}
    # service_request_id overrides every other filter
    assert numbers(service_request_id=f"{old['service_request_id']},{lamp['service_request_id']}",
                   status="open", service_code="clutter") == {old["service_request_id"],
                                                             lamp["service_request_id"]}


@pytest.mark.parametrize("query,says", [
    ({"start_date": "2026-11-01"}, "time zone"),
    ({"start_date": "2026-11-01T00:00:00"}, "time zone"),
    ({"end_date": "yesterday"}, "w3c"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
    ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "after"),
    ({"status": "pending"}, "open or closed"),
])
def test_a_bad_filter_is_400_with_what_to_fix(client, hotline, query, says):
    response = client.get(f"{BASE}/requests.json", {"api_key": hotline, **query})
    assert response.status_code == 400 and says in response.json()[0]["description"]


def test_an_unknown_request_is_404(client, hotline):
    response = client.get(f"{BASE}/requests/BH20990101000001.xml", {"api_key": hotline})
    assert response.status_code == 404 and xml(response).find("error/code").text == "404"


def test_an_unknown_format_or_method_is_refused(client, hotline):
    assert client.get(f"{BASE}/services.csv").status_code == 404
    assert client.delete(f"{BASE}/requests.json").status_code == 405


# --- the round trip ----------------------------------------------------------------------

@freeze_time(NOW)
def test_the_hotline_files_a_dispatcher_handles_it_and_the_hotline_sees_it_closed(
        client, hotline, api):
    [filed] = file(client, hotline).json()
    number = filed["service_request_id"]
    report = Report.objects.get(number=number)

    def seen():
        [request] = client.get(f"{BASE}/requests/{number}.json", {"api_key": hotline}).json()
        return request

    assert (seen()["status"], seen()["detailed_status"], seen()["agency_responsible"]) == (
        "open", "submitted", "")
    dispatcher = api("dispatcher-community")
    ok(act(dispatcher, report.pk, "accept"))
    ok(act(dispatcher, report.pk, "dispatch", department=lighting().pk, note="请照明处处理"))
    dispatched = seen()
    assert dispatched["agency_responsible"] == "北海市照明管理处"
    assert dispatched["expected_datetime"] is not None
    handler = api("handler-lighting")
    ok(act(handler, report.pk, "start"))
    from tests.gridapp.workflow_support import after_photo
    ok(act(handler, report.pk, "resolve", note="已更换灯泡", photo_ids=[after_photo(handler)]))

    done = seen()
    assert (done["status"], done["detailed_status"], done["status_notes"]) == (
        "closed", "resolved", "已更换灯泡")
    updates = client.get(f"{BASE}/servicerequestupdates.json", {"api_key": hotline}).json()
    assert [(u["service_request_id"], u["detailed_status"]) for u in updates] == [
        (number, "submitted"), (number, "accepted"), (number, "dispatched"),
        (number, "in_progress"), (number, "resolved")]
    root = xml(client.get(f"{BASE}/servicerequestupdates.xml", {"api_key": hotline}))
    assert root.tag == "service_request_updates" and len(root.findall("request_update")) == 5


@freeze_time(NOW)
def test_a_merged_duplicate_is_closed_naming_the_original(client, hotline, api):
    [first] = file(client, hotline).json()
    [second] = file(client, hotline).json()
    original = Report.objects.get(number=first["service_request_id"])
    duplicate = Report.objects.get(number=second["service_request_id"])
    dispatcher = api("dispatcher-community")
    ok(act(dispatcher, duplicate.pk, "merge", duplicate_of=original.pk, note="同一盏灯"))
    [seen] = client.get(f"{BASE}/requests/{duplicate.number}.json",
                        {"api_key": hotline}).json()
    assert seen["status"] == "closed" and original.number in seen["status_notes"]


# --- keys --------------------------------------------------------------------------------

def test_create_open311_key_prints_a_working_key_on_its_last_line(client, world, capsys):
    call_command("create_open311_key", "district-app")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key = ApiKey.objects.get(name="district-app")
    assert raw not in key.key_hash and keys.authenticate(raw) == key
    assert client.get(f"{BASE}/requests.json", {"api_key": raw}).status_code == 200


def test_an_administrator_makes_a_key_in_the_admin_sees_it_once_and_revokes_it(client, world):
    from accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    response = client.post("/admin/open311/apikey/add/", {"name": "district-app"}, follow=True)
    assert response.status_code == 200
    [shown] = [str(m) for m in response.context["messages"] if "o311_" in str(m)]
    raw = re.search(r"o311_[\w-]+", shown).group()
    key = ApiKey.objects.get(name="district-app")
    assert keys.authenticate(raw) == key and raw not in str(ApiKey.objects.values().get())
    client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert keys.authenticate(raw) is None
    assert client.get(f"{BASE}/requests.json", {"api_key": raw}).status_code == 403


# --- photos (the v2.1 draft's media[]) ---------------------------------------------------

def test_photos_sent_as_media_go_through_the_apps_photo_pipeline(client, hotline, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.gridapp.photos_support import image_file

    photo = SimpleUploadedFile("lamp.jpg", image_file("hopper_orientation_6.jpg"), "image/jpeg")
    [answer] = file(client, hotline, **{"media[]": photo}).json()
    report = Report.objects.get(number=answer["service_request_id"])
    [stored] = report.photos.all()
    assert (stored.kind, stored.owner) == ("before", report.reporter)
    assert (stored.original_format, stored.width, stored.height) == ("JPEG", 128, 128)
    assert stored.image.name != stored.thumbnail.name  # re-encoded, with its thumbnail


def test_a_file_that_is_not_an_image_is_refused_and_no_report_is_filed(client, hotline, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridapp.models import Photo

    pdf = SimpleUploadedFile("lamp.jpg", b"%PDF-1.7\n" + b"0" * 100, "image/jpeg")
    response = file(client, hotline, media=pdf)
    assert response.status_code == 415 and response.json()[0]["description"].startswith("media")
    assert not Report.objects.filter(source="open311").exists() and not Photo.objects.exists()


def test_a_body_over_the_photo_limit_is_413_before_it_is_read(client, hotline, settings, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PHOTO_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * 100_000, "image/jpeg")
    response = file(client, hotline, media=big)
    assert response.status_code == 413 and response.json()[0]["code"] == 413
    assert not Report.objects.filter(source="open311").exists()
