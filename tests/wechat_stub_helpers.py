"""Helpers for the WeChat stub server (the `wechat_stub` and `hanging_handler` fixtures
are in tests/conftest.py, so that every test folder can use them)."""

from pytest_httpserver import HTTPServer
from werkzeug import Request

APP_ID = "wx-test-app"
APP_SECRET = "test-secret"
STABLE_TOKEN = "/cgi-bin/stable_token"
JSCODE2SESSION = "/sns/jscode2session"
PHONE = "/wxa/business/getuserphonenumber"
SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"
MSG_SEC_CHECK = "/wxa/msg_sec_check"


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    """The requests the stub received for `path`, in order."""
    return [request for request, _response in server.log if request.path == path]


def token_fetches(server: HTTPServer) -> list[dict]:
    """The JSON bodies of every stable_token request, in order."""
    return [request.get_json() for request in requests_to(server, STABLE_TOKEN)]


def expect_token(server: HTTPServer, token: str = "token-1", expires_in: int = 7200) -> None:
    server.expect_request(STABLE_TOKEN, method="POST").respond_with_json(
        {"access_token": token, "expires_in": expires_in})


def expect_session(server: HTTPServer, code: str, answer: dict) -> None:
    server.expect_request(JSCODE2SESSION, method="GET", query_string={
        "appid": APP_ID, "secret": APP_SECRET, "js_code": code,
        "grant_type": "authorization_code"}).respond_with_json(answer)


def expect_subscribe_messages(server: HTTPServer, answer: dict | None = None) -> None:
    """Answer every subscribe message (WeChat's success unless `answer` says otherwise)."""
    server.expect_request(SUBSCRIBE_SEND, method="POST").respond_with_json(
        answer or {"errcode": 0, "errmsg": "ok", "msgid": 1})


def subscribe_messages(server: HTTPServer) -> list[dict]:
    """The JSON bodies of the subscribe messages the stub received, in order."""
    return [request.get_json() for request in requests_to(server, SUBSCRIBE_SEND)]
