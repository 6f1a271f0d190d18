"""The real WeChat client against a local stub server, and the `dev` stand-in.

Each test registers WeChat's answers on the stub; the client is the one production uses,
built from settings by `get_client()`.
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from freezegun import freeze_time
from werkzeug import Response

from accounts import wechat
from accounts.wechat import (
    TOKEN_CACHE_KEY,
    TOKEN_LOCK_KEY,
    DevBackend,
    Session,
    WeChatClient,
    WeChatCodeInvalid,
    WeChatError,
    WeChatUnavailable,
    get_client,
    reset_client,
)

from tests.privacy import SESSION_KEY
from tests.wechat_stub_helpers import (
    APP_ID,
    APP_SECRET,
    MSG_SEC_CHECK,
    PHONE,
    STABLE_TOKEN,
    SUBSCRIBE_SEND,
    expect_session,
    expect_token,
    requests_to,
    token_fetches,
)

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(wechat_stub) -> WeChatClient:
    client = get_client()
    assert isinstance(client, WeChatClient)
    return client


def send(client: WeChatClient) -> dict:
    return client.send_subscribe_message("openid-1", "tmpl-1", {"thing1": "路灯不亮"})


# --- login: jscode2session ---------------------------------------------------------------

def test_code_to_session_sends_the_app_credentials_and_returns_the_openid(client, wechat_stub):
    expect_session(wechat_stub, "code-1", {"openid": "o-1", "unionid": "u-1",
                                           "session_key": SESSION_KEY})

    assert client.code_to_session("code-1") == Session(openid="o-1", unionid="u-1")


def test_code_to_session_without_a_unionid_leaves_it_empty(client, wechat_stub):
    expect_session(wechat_stub, "code-1", {"openid": "o-1", "session_key": SESSION_KEY})

    assert client.code_to_session("code-1") == Session(openid="o-1", unionid=None)


@pytest.mark.parametrize("errcode", [40029, 40163])
def test_an_invalid_or_used_login_code_is_wechat_code_invalid(client, wechat_stub, errcode):
    expect_session(wechat_stub, "bad", {"errcode": errcode, "errmsg": "invalid code"})

    with pytest.raises(WeChatCodeInvalid) as raised:
        client.code_to_session("bad")
    assert (raised.value.status_code, raised.value.code) == (400, "wechat_code_invalid")


@pytest.mark.parametrize("errcode", [-1, 45011])
def test_a_busy_wechat_is_wechat_unavailable(client, wechat_stub, errcode):
    expect_session(wechat_stub, "c", {"errcode": errcode, "errmsg": "system busy"})

    with pytest.raises(WeChatUnavailable) as raised:
        client.code_to_session("c")
    assert (raised.value.status_code, raised.value.code) == (503, "wechat_unavailable")


@pytest.mark.parametrize("response", [
    Response("upstream broke", status=500),
    Response("<html>gateway</html>", status=200, content_type="text/html"),
    Response("[1, 2]", status=200, content_type="application/json"),
    Response(json.dumps({"session_key": SESSION_KEY}), status=200, content_type="application/json"),
], ids=["http-500", "not-json", "not-an-object", "no-openid"])
def test_a_broken_answer_is_wechat_unavailable(client, wechat_stub, response):
    wechat_stub.expect_request("/sns/jscode2session").respond_with_response(response)

    with pytest.raises(WeChatUnavailable):
        client.code_to_session("c")


def test_an_errcode_the_user_cannot_fix_is_wechat_unavailable_not_a_crash(client, wechat_stub):
    expect_session(wechat_stub, "c", {"errcode": 40125, "errmsg": "invalid appsecret"})

    with pytest.raises(WeChatUnavailable):
        client.code_to_session("c")


def test_a_wechat_that_does_not_answer_in_time_is_wechat_unavailable(
        settings, wechat_stub, hanging_handler):
    settings.WECHAT_TIMEOUT = 0.2
    reset_client()
    wechat_stub.expect_request("/sns/jscode2session").respond_with_handler(hanging_handler)

    with pytest.raises(WeChatUnavailable):
        get_client().code_to_session("c")


def test_an_unreachable_wechat_is_wechat_unavailable(settings):
    settings.WECHAT_BACKEND = "api"
    settings.WECHAT_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    reset_client()

    with pytest.raises(WeChatUnavailable):
        get_client().code_to_session("c")


# --- the stable access token --------------------------------------------------------------

def test_two_calls_share_one_stable_token_fetch(client, wechat_stub):
    expect_token(wechat_stub, "token-1")
    wechat_stub.expect_request(SUBSCRIBE_SEND, query_string={"access_token": "token-1"}) \
        .respond_with_json({"errcode": 0, "msgid": 1})

    send(client)
    send(client)

    assert token_fetches(wechat_stub) == [{"grant_type": "client_credential", "appid": APP_ID,
                                           "secret": APP_SECRET, "force_refresh": False}]
    assert len(requests_to(wechat_stub, SUBSCRIBE_SEND)) == 2


def test_the_token_is_cached_for_expires_in_minus_300_seconds(settings, client, wechat_stub):
    # The TTL is the cache's: use the in-process cache, whose clock freezegun controls.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "wechat-ttl-test"}}
    expect_token(wechat_stub, "token-1", expires_in=1000)

    with freeze_time("2026-11-26 10:00:00") as clock:
        assert client.access_token() == "token-1"
        clock.tick(699)  # 1000 − 300 − 1 s: still cached
        client.access_token()
        assert len(token_fetches(wechat_stub)) == 1
        clock.tick(2)  # past 1000 − 300 s
        client.access_token()
    assert len(token_fetches(wechat_stub)) == 2


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_a_refused_token_is_refetched_once_with_force_refresh_and_the_call_retried(
        client, wechat_stub, errcode):
    wechat_stub.expect_ordered_request(STABLE_TOKEN, json={
        "grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET,
        "force_refresh": False}).respond_with_json({"access_token": "old", "expires_in": 7200})
    wechat_stub.expect_ordered_request(SUBSCRIBE_SEND, query_string={"access_token": "old"}) \
        .respond_with_json({"errcode": errcode, "errmsg": "access_token expired"})
    wechat_stub.expect_ordered_request(STABLE_TOKEN, json={
        "grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET,
        "force_refresh": True}).respond_with_json({"access_token": "new", "expires_in": 7200})
    wechat_stub.expect_ordered_request(SUBSCRIBE_SEND, query_string={"access_token": "new"}) \
        .respond_with_json({"errcode": 0, "msgid": 7})

    assert send(client)["msgid"] == 7
    assert cache.get(TOKEN_CACHE_KEY) == "new"
    assert len(wechat_stub.log) == 4


def test_a_token_refused_twice_is_not_retried_again(client, wechat_stub):
    expect_token(wechat_stub, "token-1")
    wechat_stub.expect_request(SUBSCRIBE_SEND).respond_with_json(
        {"errcode": 40001, "errmsg": "invalid credential"})

    with pytest.raises(WeChatError) as raised:
        send(client)

    assert raised.value.errcode == 40001
    assert [f["force_refresh"] for f in token_fetches(wechat_stub)] == [False, True]
    assert len(requests_to(wechat_stub, SUBSCRIBE_SEND)) == 2


def test_a_token_already_replaced_by_another_process_is_not_force_refreshed(client, wechat_stub):
    cache.set(TOKEN_CACHE_KEY, "fresh-from-elsewhere")

    assert client.access_token(rejected="stale") == "fresh-from-elsewhere"
    assert wechat_stub.log == []


class FakeClock:
    """Stands in for the `time` module inside accounts.wechat: sleeping advances the
    clock at once and lets a test act as another process between two polls."""

    def __init__(self, on_sleep: Callable[[], None] = lambda: None) -> None:
        self.now = 0.0
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.on_sleep()


def test_while_another_process_fetches_the_token_we_wait_for_it(
        monkeypatch, client, wechat_stub):
    cache.add(TOKEN_LOCK_KEY, 1)  # another process is fetching...

    def other_process_finishes() -> None:
        cache.set(TOKEN_CACHE_KEY, "theirs")
        cache.delete(TOKEN_LOCK_KEY)

    monkeypatch.setattr(wechat, "time", FakeClock(other_process_finishes))

    assert client.access_token() == "theirs"
    assert wechat_stub.log == []


def test_a_lock_that_is_never_released_gives_up_with_wechat_unavailable(
        monkeypatch, client, wechat_stub):
    cache.add(TOKEN_LOCK_KEY, 1)  # a fetcher that hangs (or died holding the lock)
    clock = FakeClock()
    monkeypatch.setattr(wechat, "time", clock)

    with pytest.raises(WeChatUnavailable):
        client.access_token()
    assert clock.now > client.timeout
    assert wechat_stub.log == []


@pytest.mark.parametrize("answer", [{"errcode": -1, "errmsg": "busy"}, {"expires_in": 7200}],
                         ids=["busy", "no-token"])
def test_a_failed_token_fetch_is_wechat_unavailable_and_caches_nothing(
        client, wechat_stub, answer):
    wechat_stub.expect_request(STABLE_TOKEN).respond_with_json(answer)

    with pytest.raises(WeChatUnavailable):
        client.access_token()
    assert cache.get(TOKEN_CACHE_KEY) is None
    assert cache.get(TOKEN_LOCK_KEY) is None


# --- phone number, subscribe messages, content check --------------------------------------

def test_get_phone_number_posts_the_code_with_the_access_token(client, wechat_stub):
    expect_token(wechat_stub, "token-1")
    wechat_stub.expect_request(PHONE, method="POST", query_string={"access_token": "token-1"},
                               json={"code": "phone-code"}).respond_with_json({
        "errcode": 0, "phone_info": {"phoneNumber": "+86 13812345678",
                                     "purePhoneNumber": "13812345678", "countryCode": "86"}})

    assert client.get_phone_number("phone-code") == "13812345678"


@pytest.mark.parametrize(("errcode", "error"), [
    (40029, WeChatCodeInvalid), (-1, WeChatUnavailable), (40013, WeChatUnavailable)])
def test_get_phone_number_errors_are_user_facing(client, wechat_stub, errcode, error):
    expect_token(wechat_stub)
    wechat_stub.expect_request(PHONE).respond_with_json({"errcode": errcode, "errmsg": "x"})

    with pytest.raises(error):
        client.get_phone_number("phone-code")


def test_send_subscribe_message_wraps_each_value(client, wechat_stub):
    expect_token(wechat_stub, "token-1")
    wechat_stub.expect_request(SUBSCRIBE_SEND, method="POST", json={
        "touser": "openid-1", "template_id": "tmpl-1", "page": "pages/report?id=1",
        "data": {"thing1": {"value": "路灯不亮"}}, "lang": "zh_CN",
    }).respond_with_json({"errcode": 0, "errmsg": "ok", "msgid": 42})

    answer = client.send_subscribe_message("openid-1", "tmpl-1", {"thing1": "路灯不亮"},
                                           page="pages/report?id=1")

    assert answer["msgid"] == 42


@pytest.mark.parametrize("errcode", [43101, 47003])
def test_subscribe_message_refusals_keep_their_errcode_and_are_not_retried(
        client, wechat_stub, errcode):
    expect_token(wechat_stub)
    wechat_stub.expect_request(SUBSCRIBE_SEND).respond_with_json(
        {"errcode": errcode, "errmsg": "refused"})

    with pytest.raises(WeChatError) as raised:
        send(client)

    assert raised.value.errcode == errcode
    assert len(requests_to(wechat_stub, SUBSCRIBE_SEND)) == 1


@pytest.mark.parametrize("errcode", [-1, 45011])
def test_a_busy_wechat_while_sending_is_wechat_unavailable(client, wechat_stub, errcode):
    expect_token(wechat_stub)
    wechat_stub.expect_request(SUBSCRIBE_SEND).respond_with_json({"errcode": errcode})

    with pytest.raises(WeChatUnavailable):
        send(client)


def test_msg_sec_check_uses_version_2_and_returns_the_suggestion(client, wechat_stub):
    expect_token(wechat_stub, "token-1")
    wechat_stub.expect_request(MSG_SEC_CHECK, method="POST", json={
        "content": "楼道堆物", "version": 2, "scene": 2, "openid": "openid-1",
    }).respond_with_json({"errcode": 0, "result": {"suggest": "risky", "label": 20001}})

    assert client.msg_sec_check("openid-1", "楼道堆物", scene=2) == "risky"


def test_msg_sec_check_treats_an_answer_it_does_not_understand_as_review(client, wechat_stub):
    expect_token(wechat_stub)
    wechat_stub.expect_request(MSG_SEC_CHECK).respond_with_json({"errcode": 0})

    assert client.msg_sec_check("openid-1", "hello") == "review"


# --- the dev backend -------------------------------------------------------------------------

def test_dev_backend_maps_demo_codes_to_demo_openids(world):
    assert DevBackend().code_to_session("demo-leader1") == Session(
        openid=wechat.dev_openid("leader1"))


@pytest.mark.parametrize("code", ["demo-", "leader1", "", "DEMO-leader1", "demo-nobody"])
def test_dev_backend_refuses_other_codes(world, code):
    with pytest.raises(WeChatCodeInvalid):
        DevBackend().code_to_session(code)


def test_get_client_follows_the_backend_setting(settings, wechat_stub):
    assert isinstance(get_client(), WeChatClient)
    settings.WECHAT_BACKEND = "dev"
    reset_client()
    assert isinstance(get_client(), DevBackend)


def import_settings(**overrides: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, as start-up does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DJANGO_"))}
    # Empty, not absent: a developer's .env must not fill them in behind the test's back.
    env.update({"SECRET_KEY": "not-the-dev-key", "WECHAT_APP_ID": "", "WECHAT_APP_SECRET": ""})
    env.update(overrides)
    return subprocess.run([sys.executable, "-c", "import config.settings"], cwd=BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=60)


def test_start_up_refuses_the_dev_backend_when_debug_is_off():
    result = import_settings(DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: The dev WeChat backend is refused" in result.stderr


def test_start_up_accepts_debug_off_with_wechat_credentials():
    result = import_settings(DEBUG="0", WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET)

    assert result.returncode == 0, result.stderr


def test_start_up_refuses_the_api_backend_without_credentials():
    result = import_settings(DEBUG="0", WECHAT_BACKEND="api", WECHAT_APP_ID=APP_ID)

    assert result.returncode != 0
    assert "ImproperlyConfigured: WECHAT_APP_ID and WECHAT_APP_SECRET" in result.stderr
