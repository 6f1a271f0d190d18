"""The Auth section of API.md, driven over HTTP: login (dev backend and the real client
against the WeChat stub), refresh, phone binding, GET/PATCH /me, and every way a
request can be refused."""

import json

import jwt
import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import services
from accounts.models import User, mask_phone
from accounts.wechat import Session, reset_client

from tests.privacy import SESSION_KEY
from tests.wechat_stub_helpers import PHONE, expect_session, expect_token

LOGIN = "/api/v1/auth/wechat/login"
REFRESH = "/api/v1/auth/refresh"
PHONE_BIND = "/api/v1/auth/wechat/phone"
ME = "/api/v1/me"


def login(code: object) -> tuple[int, dict]:
    response = APIClient().post(LOGIN, {"code": code}, format="json")
    return response.status_code, response.json()


def assert_no_openid(body: dict, *openids: str) -> None:
    text = json.dumps(body, ensure_ascii=False)
    assert "openid" not in text
    assert "unionid" not in text
    for openid in openids:
        assert openid not in text


def bearer(token: object) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- login with the dev backend ------------------------------------------------------------

def test_a_demo_user_logs_in_with_demo_code(world):
    status, body = login("demo-leader1")

    assert status == 200
    assert set(body) == {"access", "refresh", "user", "created"}
    assert body["created"] is False
    assert body["user"]["id"] == User.objects.get(username="leader1").pk
    assert {"role": "leader", "grid_code": "HHL-01"}.items() <= body["user"]["roles"][0].items()
    assert_no_openid(body, "dev-openid-leader1")


def test_the_access_token_from_login_opens_me(world):
    _status, body = login("demo-resident1")

    me = bearer(body["access"]).get(ME)

    assert me.status_code == 200
    assert me.json()["id"] == User.objects.get(username="resident1").pk


def test_a_demo_code_of_no_demo_user_is_wechat_code_invalid_and_creates_nobody(world):
    """The dev backend signs in only as the users of docs/demo.md: a typo is an error,
    not a new empty user who sees nothing."""
    users = User.objects.count()

    status, body = login("demo-nobody")

    assert (status, body["code"]) == (400, "wechat_code_invalid")
    assert "nobody" in body["detail"]
    assert User.objects.count() == users


def test_a_login_records_the_last_login(world):
    login("demo-leader1")

    assert User.objects.get(username="leader1").last_login is not None


def test_a_twin_login_that_lost_the_race_gets_the_user_the_first_one_created(db):
    """Two requests with the same new openid both miss the lookup; the second insert hits
    the unique openid and must answer with the first one's user, not a 500."""
    first, _created = services._create_wechat_user(Session(openid="o-twin"))

    user, created = services._create_wechat_user(Session(openid="o-twin"))

    assert (user.pk, created) == (first.pk, False)
    assert User.objects.filter(wechat_openid="o-twin").count() == 1


def test_login_ignores_a_stale_token_sent_alongside(world):
    response = bearer("not-a-jwt").post(LOGIN, {"code": "demo-leader1"}, format="json")

    assert response.status_code == 200


def test_a_code_the_dev_backend_does_not_know_is_wechat_code_invalid(db):
    status, body = login("leader1")

    assert status == 400
    assert body == {"code": "wechat_code_invalid", "detail": body["detail"]}


@pytest.mark.parametrize("payload", [{}, {"code": ""}, {"code": 123}, {"code": None},
                                     {"code": ["demo-leader1"]}, {"code": {"a": 1}},
                                     {"code": "x" * 257}],
                         ids=["empty", "blank", "number", "null", "list", "object", "too-long"])
def test_login_without_a_string_code_is_400_with_fields(db, payload):
    response = APIClient().post(LOGIN, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["code"]


def test_a_disabled_account_cannot_log_in(world):
    User.objects.filter(username="leader1").update(is_active=False)

    status, body = login("demo-leader1")

    assert (status, body["code"]) == (403, "account_disabled")


def test_login_attempts_are_throttled_per_client(monkeypatch, world):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/min"})

    answers = [login("demo-leader1") for _ in range(3)]

    assert [status for status, _body in answers] == [200, 200, 429]
    assert answers[2][1]["code"] == "throttled"


def test_login_with_a_body_that_is_not_json_is_400(db):
    response = APIClient().post(LOGIN, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


# --- login with the real client against the WeChat stub ---------------------------------

def test_login_against_wechat_creates_a_user_from_the_openid(wechat_stub, db):
    expect_session(wechat_stub, "wx-code", {"openid": "o-secret", "unionid": "u-secret",
                                            "session_key": SESSION_KEY})

    status, body = login("wx-code")

    assert (status, body["created"]) == (200, True)
    user = User.objects.get(pk=body["user"]["id"])
    assert (user.wechat_openid, user.wechat_unionid) == ("o-secret", "u-secret")
    assert_no_openid(body, "o-secret", "u-secret")


def test_login_against_wechat_finds_the_existing_user_and_learns_the_unionid(wechat_stub, world):
    expect_session(wechat_stub, "wx-code", {"openid": "dev-openid-leader2", "unionid": "u-2"})

    status, body = login("wx-code")

    leader2 = User.objects.get(username="leader2")
    assert (status, body["created"], body["user"]["id"]) == (200, False, leader2.pk)
    assert leader2.wechat_unionid == "u-2"


@pytest.mark.parametrize("errcode", [40029, 40163])
def test_a_bad_code_through_the_api_is_400_wechat_code_invalid(wechat_stub, db, errcode):
    expect_session(wechat_stub, "bad", {"errcode": errcode, "errmsg": "invalid code"})

    status, body = login("bad")

    assert (status, body["code"]) == (400, "wechat_code_invalid")
    assert set(body) == {"code", "detail"}


@pytest.mark.parametrize("answer", [{"errcode": -1, "errmsg": "system busy"},
                                    {"errcode": 45011, "errmsg": "api minute-quota reach limit"},
                                    {"errcode": 40125, "errmsg": "invalid appsecret"}],
                         ids=["busy", "quota", "misconfigured"])
def test_a_wechat_outage_through_the_api_is_503_wechat_unavailable(wechat_stub, db, answer):
    expect_session(wechat_stub, "c", answer)

    status, body = login("c")

    assert (status, body["code"]) == (503, "wechat_unavailable")
    assert set(body) == {"code", "detail"}
    assert not User.objects.exists()


def test_wechat_answering_http_500_is_503_wechat_unavailable(wechat_stub, db):
    wechat_stub.expect_request("/sns/jscode2session").respond_with_data("oops", status=500)

    status, body = login("c")

    assert (status, body["code"]) == (503, "wechat_unavailable")


def test_wechat_timing_out_is_503_wechat_unavailable(settings, wechat_stub, hanging_handler, db):
    settings.WECHAT_TIMEOUT = 0.2
    reset_client()
    wechat_stub.expect_request("/sns/jscode2session").respond_with_handler(hanging_handler)

    status, body = login("c")

    assert (status, body["code"]) == (503, "wechat_unavailable")


# --- refresh -------------------------------------------------------------------------------

def refresh(token: str) -> tuple[int, dict]:
    response = APIClient().post(REFRESH, {"refresh": token}, format="json")
    return response.status_code, response.json()


def test_refresh_gives_a_new_access_token_and_a_new_refresh_token(world):
    _status, tokens = login("demo-leader1")

    status, body = refresh(tokens["refresh"])

    assert status == 200
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != tokens["refresh"]
    assert bearer(body["access"]).get(ME).status_code == 200


def test_a_used_refresh_token_is_refused_and_its_successor_works(world):
    _status, tokens = login("demo-leader1")
    _status, rotated = refresh(tokens["refresh"])

    status, body = refresh(tokens["refresh"])

    assert status == 401
    assert set(body) == {"code", "detail"}
    assert refresh(rotated["refresh"])[0] == 200


def test_of_two_racing_refreshes_with_one_token_only_the_first_wins(monkeypatch, world):
    """Both requests pass the blacklist check before either writes; the unique blacklist
    row then refuses the second."""
    _status, tokens = login("demo-leader1")
    assert refresh(tokens["refresh"])[0] == 200
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda self: None)

    status, body = refresh(tokens["refresh"])

    assert (status, body["code"]) == (401, "token_invalid")


def test_the_refresh_token_of_a_deleted_user_is_401_not_a_crash(db):
    ghost = User.objects.create(username="ghost", wechat_openid="o-ghost")
    token = str(RefreshToken.for_user(ghost))
    ghost.delete()

    status, body = refresh(token)

    assert (status, body["code"]) == (401, "token_invalid")
    assert set(body) == {"code", "detail"}


def test_the_refresh_token_of_a_deactivated_user_is_refused(world):
    _status, tokens = login("demo-leader1")
    User.objects.filter(username="leader1").update(is_active=False)

    assert refresh(tokens["refresh"])[0] == 401


@pytest.mark.parametrize("token", ["garbage", "access"])
def test_refresh_with_something_else_than_a_refresh_token_is_401(world, token):
    _status, tokens = login("demo-leader1")

    status, body = refresh(tokens.get(token, token))

    assert (status, set(body)) == (401, {"code", "detail"})


def test_refresh_without_a_token_is_400_with_fields(db):
    response = APIClient().post(REFRESH, {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["refresh"]


# --- refused requests: missing, forged, expired tokens -------------------------------------

def test_me_without_a_token_is_401_with_the_error_body(db):
    response = APIClient().get(ME)

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": response.json()["detail"]}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_signed_with_another_key_is_401(user):
    claims = dict(AccessToken.for_user(user("leader1")).payload)
    forged = jwt.encode(claims, "somebody-elses-key-that-is-long-enough-for-hs256", algorithm="HS256")

    response = bearer(forged).get(ME)

    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail"}


def test_an_unsigned_token_is_401(user):
    claims = dict(AccessToken.for_user(user("leader1")).payload)
    unsigned = jwt.encode(claims, None, algorithm="none")

    assert bearer(unsigned).get(ME).status_code == 401


def test_an_expired_token_is_401(user):
    with freeze_time("2026-11-26 09:00:00"):
        token = AccessToken.for_user(user("leader1"))
    with freeze_time("2026-11-26 09:31:00"):  # the access lifetime is 30 minutes
        response = bearer(token).get(ME)

    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail"}


def test_a_refresh_token_is_not_an_access_token(user):
    response = bearer(RefreshToken.for_user(user("leader1"))).get(ME)

    assert response.status_code == 401


def test_the_token_of_a_deactivated_user_is_401(api):
    client = api("leader1")
    User.objects.filter(username="leader1").update(is_active=False)

    assert client.get(ME).status_code == 401


# --- GET and PATCH /me ------------------------------------------------------------------------

def test_me_shows_who_i_am_without_my_openid(api, user):
    response = api("resident1").get(ME)

    body = response.json()
    assert set(body) == {"id", "display_name", "phone_masked", "roles", "memberships"}
    assert (body["id"], body["display_name"], body["phone_masked"]) == (
        user("resident1").pk, "resident1", None)
    assert [(m["grid_code"], m["role"], m["status"]) for m in body["memberships"]] == [
        ("HHL-05", "member", "active")]
    assert_no_openid(body, "dev-openid-resident1")


def test_me_lists_a_leaders_grid_among_the_memberships(api):
    body = api("leader1").get(ME).json()

    assert [(m["grid_code"], m["role"], m["status"]) for m in body["memberships"]] == [
        ("HHL-01", "leader", "active")]


def test_patch_me_renames_me(api, user):
    response = api("resident1").patch(ME, {"display_name": "王阿姨"}, format="json")

    assert response.status_code == 200
    assert response.json()["display_name"] == "王阿姨"
    assert user("resident1").display_name == "王阿姨"


@pytest.mark.parametrize("name", ["", "   ", 123, None, "x" * 65])
def test_patch_me_refuses_a_name_that_is_not_a_name(api, user, name):
    response = api("resident1").patch(ME, {"display_name": name}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["display_name"]
    assert user("resident1").display_name == "resident1"


def test_patch_me_cannot_set_the_phone_or_anything_else(api, user):
    response = api("resident1").patch(ME, {"phone": "13800000000", "wechat_openid": "x",
                                           "is_staff": True}, format="json")

    assert response.status_code == 200
    resident = user("resident1")
    assert (resident.phone, resident.wechat_openid, resident.is_staff) == (
        None, "dev-openid-resident1", False)


# --- phone binding ------------------------------------------------------------------------------

@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"), ("8613812345678", "861******5678"),
    ("123456", "******"), (None, None), ("", None)])
def test_mask_phone_keeps_only_the_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_binding_a_phone_answers_with_it_masked(api, user):
    response = api("resident1").post(PHONE_BIND, {"code": "13812345678"}, format="json")

    assert response.status_code == 200
    assert response.json()["phone_masked"] == "138****5678"
    assert "13812345678" not in response.content.decode()
    assert user("resident1").phone == "13812345678"


def test_after_binding_me_shows_only_the_masked_phone(api):
    client = api("resident1")
    client.post(PHONE_BIND, {"code": "13812345678"}, format="json")

    response = client.get(ME)

    assert response.json()["phone_masked"] == "138****5678"
    assert "13812345678" not in response.content.decode()


def test_a_phone_bound_to_someone_else_is_409_phone_taken(api, user):
    api("resident1").post(PHONE_BIND, {"code": "13812345678"}, format="json")

    response = api("resident2").post(PHONE_BIND, {"code": "13812345678"}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "phone_taken")
    assert user("resident2").phone is None


def test_binding_my_own_phone_again_is_fine(api):
    client = api("resident1")
    client.post(PHONE_BIND, {"code": "13812345678"}, format="json")

    assert client.post(PHONE_BIND, {"code": "13812345678"}, format="json").status_code == 200


def test_binding_a_phone_needs_a_login(db):
    response = APIClient().post(PHONE_BIND, {"code": "13812345678"}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("payload", [{}, {"code": 13812345678}, {"code": ""}])
def test_binding_a_phone_without_a_string_code_is_400_with_fields(api, payload):
    response = api("resident1").post(PHONE_BIND, payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["code"]


def test_binding_a_phone_through_wechat(api, user, wechat_stub):
    expect_token(wechat_stub, "token-1")
    wechat_stub.expect_request(PHONE, json={"code": "phone-code"}).respond_with_json(
        {"errcode": 0, "phone_info": {"purePhoneNumber": "13912345678", "countryCode": "86"}})

    response = api("resident1").post(PHONE_BIND, {"code": "phone-code"}, format="json")

    assert (response.status_code, response.json()["phone_masked"]) == (200, "139****5678")
    assert user("resident1").phone == "13912345678"


@pytest.mark.parametrize(("errcode", "status", "code"), [
    (40029, 400, "wechat_code_invalid"), (-1, 503, "wechat_unavailable"),
    (45011, 503, "wechat_unavailable")])
def test_binding_a_phone_maps_wechat_errors(api, user, wechat_stub, errcode, status, code):
    expect_token(wechat_stub)
    wechat_stub.expect_request(PHONE).respond_with_json({"errcode": errcode, "errmsg": "x"})

    response = api("resident1").post(PHONE_BIND, {"code": "phone-code"}, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert user("resident1").phone is None


def test_error_messages_follow_accept_language(db):
    response = APIClient().post(LOGIN, {"code": "nope"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["detail"] == "The WeChat code is invalid or has already been used."
