"""Errors a phone can show (issues 11 and 12): JSON under /api/ in every mode, token
errors that say what to do, JSON bodies bounded in size and depth, and validation
details that name the field and carry the code the docs promise. No input is a 500."""

import io

import pytest
from django.test import override_settings
from freezegun import freeze_time
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from config.api.parsers import BodyTooLarge, BoundedJSONParser

from .gridapp.photos_support import jpeg_bytes, report_body, upload
from .gridapp.workflow_support import act, report_in
from .test_conventions import assert_error

LOGIN, REFRESH, ME, REPORTS = ("/api/v1/auth/wechat/login", "/api/v1/auth/refresh",
                               "/api/v1/me", "/api/v1/reports/")
DEEP = b"[" * 1000


def bearer(token: object) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- 404 and 405 are JSON under /api/, DEBUG on or off --------------------------------

@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings) -> bool:
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/reports", "/api/v1/reports/abc/",
                                  "/api/nowhere/"])
def test_a_wrong_path_is_a_json_404_in_every_mode(api, debug, path):
    assert_error(api("leader1").get(path), 404, "not_found")


def test_a_path_without_its_slash_says_which_path_was_meant(api, debug):
    body = assert_error(api("leader1").get("/api/v1/reports"), 404, "not_found")

    assert "/api/v1/reports/" in body["detail"]


def test_a_wrong_path_speaks_english_on_request(api, debug):
    response = api("leader1").get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["detail"] == "There is no such path; see docs/api.md."


def test_a_wrong_method_is_a_json_405_in_every_mode(api, debug):
    response = api("leader1").delete("/api/v1/me")

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_outside_the_api_a_404_is_left_alone(db, settings):
    settings.DEBUG = True

    response = APIClient().get("/nowhere/")

    assert (response.status_code, response["Content-Type"].split(";")[0]) == (404, "text/html")


# --- tokens: expired means refresh, anything else means sign in again -------------------

def test_an_expired_access_token_is_401_token_expired_in_chinese(user):
    with freeze_time("2026-11-26 09:00:00"):
        token = AccessToken.for_user(user("leader1"))
    with freeze_time("2026-11-26 09:31:00"):  # the access lifetime is 30 minutes
        response = bearer(token).get(ME)

    body = assert_error(response, 401, "token_expired")
    assert body["detail"] == "登录已过期，请刷新令牌。"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "refresh"])
def test_a_bad_access_token_is_401_token_invalid_in_chinese(user, token):
    if token == "refresh":
        token = RefreshToken.for_user(user("leader1"))

    body = assert_error(bearer(token).get(ME), 401, "token_invalid")

    assert body["detail"] == "令牌无效，请重新登录。"


def test_the_access_token_of_a_disabled_user_is_token_invalid(api, user):
    client = api("leader1")
    user("leader1").__class__.objects.filter(username="leader1").update(is_active=False)

    assert_error(client.get(ME), 401, "token_invalid")


def test_an_expired_refresh_token_is_401_token_expired(user):
    with freeze_time("2026-10-01 09:00:00"):
        token = str(RefreshToken.for_user(user("leader1")))
    with freeze_time("2026-11-26 09:00:00"):  # the refresh lifetime is 30 days
        response = APIClient().post(REFRESH, {"refresh": token}, format="json")

    assert_error(response, 401, "token_expired")


@pytest.mark.parametrize("token", ["garbage", "access", "used"])
def test_a_bad_refresh_token_is_401_token_invalid_in_chinese(user, token):
    refresh = RefreshToken.for_user(user("leader1"))
    sent = {"garbage": "garbage", "access": str(refresh.access_token)}.get(token, str(refresh))
    if token == "used":
        APIClient().post(REFRESH, {"refresh": sent}, format="json")

    body = assert_error(APIClient().post(REFRESH, {"refresh": sent}, format="json"), 401,
                        "token_invalid")

    assert body["detail"] == "令牌无效，请重新登录。"


def test_token_errors_speak_english_on_request(db):
    response = bearer("garbage").get(ME, HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["detail"] == "This token is not valid; please sign in again."


# --- JSON: malformed, deeply nested, too large -------------------------------------------

def test_malformed_json_is_400_invalid_json_in_chinese(db):
    response = APIClient().post(LOGIN, b'{"code": ', content_type="application/json")

    body = assert_error(response, 400, "invalid_json")
    assert body["detail"] == "请求体不是有效的 JSON。"


@pytest.mark.parametrize("path", [LOGIN, REFRESH])
def test_deeply_nested_json_is_400_invalid_json_without_a_login(db, path):
    response = APIClient().post(path, DEEP, content_type="application/json")

    assert_error(response, 400, "invalid_json")


def test_deeply_nested_json_to_reports_is_400_invalid_json(api):
    response = api("resident1").post(REPORTS, DEEP, content_type="application/json")

    assert_error(response, 400, "invalid_json")


def test_deeply_nested_json_to_reports_without_a_login_is_401(db):
    response = APIClient().post(REPORTS, DEEP, content_type="application/json")

    assert_error(response, 401, "not_authenticated")


def test_a_json_body_over_the_limit_is_413_body_too_large(db, settings):
    settings.MAX_JSON_BODY_BYTES = 100
    body = b'{"code": "' + b"x" * 200 + b'"}'

    response = APIClient().post(LOGIN, body, content_type="application/json")

    assert_error(response, 413, "body_too_large")


def test_the_default_limit_is_one_megabyte(db, settings):
    assert settings.MAX_JSON_BODY_BYTES == 1_048_576
    body = b'{"code": "' + b"x" * 1_048_576 + b'"}'

    response = APIClient().post(LOGIN, body, content_type="application/json")

    assert_error(response, 413, "body_too_large")


def test_a_json_body_at_the_limit_is_parsed(db, settings):
    body = b'{"code": "demo-leader1"}'
    settings.MAX_JSON_BODY_BYTES = len(body)

    response = APIClient().post(LOGIN, body, content_type="application/json")

    assert_error(response, 400, "wechat_code_invalid")  # parsed: no demo world here


class _Request:
    META: dict = {}  # no Content-Length: a chunked body


@override_settings(MAX_JSON_BODY_BYTES=10)
def test_a_body_without_content_length_is_counted_while_read():
    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(io.BytesIO(b'{"code": "far too long"}'), "application/json",
                                  {"request": _Request()})


@override_settings(MAX_JSON_BODY_BYTES=100)
def test_a_body_without_content_length_under_the_limit_is_parsed():
    assert BoundedJSONParser().parse(io.BytesIO(b'{"a": [1]}'), "application/json",
                                     {"request": _Request()}) == {"a": [1]}


def test_a_lying_content_length_is_refused_before_reading(settings):
    settings.MAX_JSON_BODY_BYTES = 10
    request = type("R", (), {"META": {"CONTENT_LENGTH": "11"}})()

    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(io.BytesIO(b"{}"), "application/json", {"request": request})


def test_photo_uploads_are_not_bound_by_the_json_limit(api, settings):
    settings.MAX_JSON_BODY_BYTES = 100
    photo = jpeg_bytes((400, 300))
    assert len(photo) > 100

    response = upload(api("resident1"), photo)

    assert response.status_code == 201, response.content


def test_a_report_under_the_limit_is_created(api):
    response = api("resident1").post(REPORTS, report_body(), format="json")

    assert response.status_code == 201, response.content


# --- validation errors name the field and carry the documented code ---------------------

@pytest.fixture
def accepted_report(user):
    return report_in("accepted", reporter=user("resident1"))


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}, {"note": None}],
                         ids=["missing", "empty", "blank", "null"])
def test_escalating_without_a_note_is_note_required_naming_the_field(api, accepted_report,
                                                                      body):
    response = api("dispatcher-community").post(
        f"/api/v1/reports/{accepted_report.pk}/escalate/", body, format="json")

    body = assert_error(response, 400, "note_required")
    assert body["detail"].startswith("备注：")
    assert list(body["fields"]) == ["note"]


@pytest.mark.parametrize("action", ["return", "reject", "reopen"])
def test_every_action_that_needs_a_reason_says_note_required(api, user, action):
    status = {"return": "dispatched", "reject": "submitted", "reopen": "resolved"}[action]
    actor = {"return": "handler-lighting", "reject": "dispatcher-community",
             "reopen": "resident1"}[action]
    department = {"return": "bh-lighting"}.get(action)
    report = report_in(status, reporter=user("resident1"),
                       department=department and __import__(
                           "gridapp.models", fromlist=["Department"]).Department.objects.get(
                           code=department))

    response = act(api(actor), report.pk, action)

    assert_error(response, 400, "note_required")


def test_a_note_with_another_problem_keeps_the_generic_code(api, accepted_report):
    response = act(api("dispatcher-community"), accepted_report.pk, "escalate", note="x" * 3000)

    body = assert_error(response, 400, "invalid")
    assert body["detail"].startswith("备注：")


def test_a_missing_field_is_named_in_english_on_request(db):
    response = APIClient().post(LOGIN, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    body = assert_error(response, 400, "invalid")
    assert body["detail"] == "Code: This field is required."


def test_a_model_field_is_named_by_its_verbose_name(api):
    response = api("resident1").post(REPORTS, report_body(description=""), format="json")

    body = assert_error(response, 400, "invalid")
    assert body["detail"].startswith("问题描述：")


def test_a_body_with_more_fields_than_django_parses_is_a_json_400(api):
    """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields with its HTML 400
    page (a SuspiciousOperation); under /api/ it is the error body (schema fuzzing found it)."""
    fields = {"report_ids": [str(i) for i in range(1, 1100)], "title": "t"}
    response = api("dispatcher-city").post("/api/v1/projects/", fields, format="multipart")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid"
