"""Our own small client for the WeChat mini-program server API.

Only what we use: `jscode2session` (login), the stable access token, the user's phone
number, subscribe messages and the v2 content check. Errors become our error codes:
a bad login code is 400 `wechat_code_invalid`; WeChat being busy (-1, 45011), slow or
unreachable is 503 `wechat_unavailable`. The base URL is a setting so that tests drive
this very client against a local stub server.

`DevBackend` stands in for WeChat in the embedded default: the code `demo-<name>` logs in
as the demo user `<name>`. Settings refuse it unless DEBUG is on.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from config.api.errors import DomainError, ServiceUnavailable

log = logging.getLogger(__name__)

TOKEN_CACHE_KEY = "wechat:access-token"
TOKEN_LOCK_KEY = "wechat:access-token:lock"
TOKEN_SAFETY_MARGIN = 300  # seconds before WeChat's expiry that we stop using a token
CODE_INVALID = {40029, 40163}  # invalid code; code already used
BUSY = {-1, 45011}  # system busy; API minute-quota reached
TOKEN_EXPIRED = {40001, 42001}  # invalid credential; access token expired
REFUSED_BY_USER = 43101  # user has not subscribed to this template
BAD_TEMPLATE_DATA = 47003


class WeChatError(Exception):
    """WeChat answered with an errcode we don't map to a user-facing error."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatCodeInvalid(DomainError):
    default_code = "wechat_code_invalid"
    default_detail = _("The WeChat code is invalid or has already been used.")


class WeChatUnavailable(ServiceUnavailable):
    default_code = "wechat_unavailable"
    default_detail = _("WeChat is unavailable; please try again shortly.")


@dataclass(frozen=True)
class Session:
    openid: str
    unionid: str | None = None


class WeChatClient:
    """HTTP client for api.weixin.qq.com (or whatever `WECHAT_API_BASE` points to)."""

    def __init__(self, app_id: str, app_secret: str, base_url: str, timeout: float) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    # --- login -------------------------------------------------------------------------
    def code_to_session(self, code: str) -> Session:
        data = self._request("GET", "/sns/jscode2session", params={
            "appid": self.app_id, "secret": self.app_secret,
            "js_code": code, "grant_type": "authorization_code"})
        if not data.get("openid"):
            raise WeChatUnavailable()
        return Session(openid=data["openid"], unionid=data.get("unionid"))

    def get_phone_number(self, code: str) -> str:
        data = self._call("/wxa/business/getuserphonenumber", {"code": code})
        return data["phone_info"]["purePhoneNumber"]

    # --- messages and content ----------------------------------------------------------
    def send_subscribe_message(self, openid: str, template_id: str, data: dict,
                               page: str = "") -> dict:
        body = {"touser": openid, "template_id": template_id, "page": page,
                "data": {k: {"value": v} for k, v in data.items()}, "lang": "zh_CN"}
        return self._call("/cgi-bin/message/subscribe/send", body)

    def msg_sec_check(self, openid: str, content: str, scene: int = 1) -> str:
        """'pass', 'review' or 'risky' (v2 of the content security API)."""
        data = self._call("/wxa/msg_sec_check",
                          {"content": content, "version": 2, "scene": scene, "openid": openid})
        return data.get("result", {}).get("suggest", "review")

    # --- access token ------------------------------------------------------------------
    def access_token(self, *, force_refresh: bool = False) -> str:
        """The stable access token, cached for expires_in − 300 s and refreshed by one
        process at a time (the others wait for it rather than stampeding WeChat)."""
        if not force_refresh and (token := cache.get(TOKEN_CACHE_KEY)):
            return token
        deadline = time.monotonic() + self.timeout
        while not cache.add(TOKEN_LOCK_KEY, 1, timeout=self.timeout + 1):
            if not force_refresh and (token := cache.get(TOKEN_CACHE_KEY)):
                return token
            if time.monotonic() > deadline:
                raise WeChatUnavailable()
            time.sleep(0.05)
        try:
            return self._fetch_token(force_refresh)
        finally:
            cache.delete(TOKEN_LOCK_KEY)

    def _fetch_token(self, force_refresh: bool) -> str:
        data = self._request("POST", "/cgi-bin/stable_token", json={
            "grant_type": "client_credential", "appid": self.app_id,
            "secret": self.app_secret, "force_refresh": force_refresh})
        token, expires_in = data["access_token"], int(data.get("expires_in", 7200))
        cache.set(TOKEN_CACHE_KEY, token, timeout=max(expires_in - TOKEN_SAFETY_MARGIN, 1))
        return token

    def _call(self, path: str, body: dict) -> dict:
        """POST with the access token; one refetch of the token if WeChat says it expired."""
        try:
            return self._request("POST", path, params={"access_token": self.access_token()},
                                 json=body)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_EXPIRED:
                raise
        token = self.access_token(force_refresh=True)
        return self._request("POST", path, params={"access_token": token}, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> dict:
        try:
            response = self.http.request(method, self.base_url + path, timeout=self.timeout,
                                         **kwargs)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("WeChat %s failed: %s", path, type(exc).__name__)
            raise WeChatUnavailable() from exc
        errcode = int(data.get("errcode") or 0)
        if errcode in CODE_INVALID:
            raise WeChatCodeInvalid()
        if errcode in BUSY:
            raise WeChatUnavailable()
        if errcode:
            raise WeChatError(errcode, str(data.get("errmsg", "")))
        return data


class DevBackend:
    """The embedded default's stand-in: `demo-<name>` is the demo user `<name>`."""

    PREFIX = "demo-"

    def code_to_session(self, code: str) -> Session:
        if not code.startswith(self.PREFIX) or len(code) <= len(self.PREFIX):
            raise WeChatCodeInvalid()
        return Session(openid=dev_openid(code[len(self.PREFIX):]))

    def get_phone_number(self, code: str) -> str:
        if not code:
            raise WeChatCodeInvalid()
        if code.isdigit() and len(code) == 11:
            return code
        digits = int(hashlib.sha256(code.encode()).hexdigest(), 16) % 10**8
        return f"139{digits:08d}"

    def send_subscribe_message(self, openid: str, template_id: str, data: dict,
                               page: str = "") -> dict:
        log.info("dev WeChat: subscribe message %s not sent", template_id)
        return {"errcode": 0, "msgid": 0}

    def msg_sec_check(self, openid: str, content: str, scene: int = 1) -> str:
        return "pass"


def dev_openid(username: str) -> str:
    return f"dev-openid-{username}"


_client: WeChatClient | DevBackend | None = None


def get_client() -> WeChatClient | DevBackend:
    """The configured backend; tests reset it with `reset_client()` after changing settings."""
    global _client
    if _client is None:
        if settings.WECHAT_BACKEND == "dev":
            _client = DevBackend()
        else:
            _client = WeChatClient(settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET,
                                   settings.WECHAT_API_BASE, settings.WECHAT_TIMEOUT)
    return _client


def reset_client() -> None:
    global _client
    _client = None
