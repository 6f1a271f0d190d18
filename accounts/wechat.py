"""Our own small client for the WeChat mini-program server API.

Only what we use: `jscode2session` (login), the stable access token, the user's phone
number, subscribe messages and the v2 content check. Errors become our error codes:
a bad login code is 400 `wechat_code_invalid`; WeChat being busy (-1, 45011), slow or
unreachable is 503 `wechat_unavailable`. The base URL is a setting so that tests drive
this very client against a local stub server.

Login and phone binding answer a user who is waiting, so they raise only those two
errors. Subscribe messages and the content check raise `WeChatError` with WeChat's
errcode for anything else (43101 "not subscribed", 47003 "bad template data", ...): the
caller, usually a task, decides what is worth a retry.

`DevBackend` stands in for WeChat in the embedded default: the code `demo-<name>` logs in
as the demo user `<name>`. Settings refuse it unless DEBUG is on.
"""

import hashlib
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import DomainError, ServiceUnavailable

log = logging.getLogger(__name__)

TOKEN_CACHE_KEY = "wechat:access-token"
TOKEN_LOCK_KEY = "wechat:access-token:lock"
TOKEN_SAFETY_MARGIN = 300  # seconds before WeChat's expiry that we stop using a token
LOCK_POLL_SECONDS = 0.05
CODE_INVALID = {40029, 40163}  # invalid code; code already used
BUSY = {-1, 45011}  # system busy; API minute-quota reached
TOKEN_EXPIRED = {40001, 42001}  # invalid credential; access token expired
REFUSED_BY_USER = 43101  # user has not subscribed to this template
BAD_TEMPLATE_DATA = 47003
SEC_CHECK_SUGGESTIONS = {"pass", "review", "risky"}


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


@contextmanager
def _user_facing(action: str) -> Iterator[None]:
    """For calls a user waits on: an errcode we have no message for (a wrong app secret,
    a token WeChat keeps refusing, ...) is our problem, not the user's, so it is a 503
    and an error in our log rather than a 500."""
    try:
        yield
    except WeChatError as exc:
        log.error("WeChat %s failed with errcode %s: %s", action, exc.errcode, exc.errmsg)
        raise WeChatUnavailable() from exc


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
        with _user_facing("jscode2session"):
            data = self._request("GET", "/sns/jscode2session", params={
                "appid": self.app_id, "secret": self.app_secret,
                "js_code": code, "grant_type": "authorization_code"})
        if not data.get("openid"):
            log.error("WeChat jscode2session answered without an openid")
            raise WeChatUnavailable()
        return Session(openid=data["openid"], unionid=data.get("unionid") or None)

    def get_phone_number(self, code: str) -> str:
        with _user_facing("getuserphonenumber"):
            data = self._call("/wxa/business/getuserphonenumber", {"code": code})
        phone = (data.get("phone_info") or {}).get("purePhoneNumber")
        if not phone:
            log.error("WeChat getuserphonenumber answered without a phone number")
            raise WeChatUnavailable()
        return phone

    # --- messages and content ----------------------------------------------------------
    def send_subscribe_message(self, openid: str, template_id: str, data: dict,
                               page: str = "") -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id,
                                "data": {k: {"value": v} for k, v in data.items()},
                                "lang": "zh_CN"}
        if page:
            body["page"] = page
        return self._call("/cgi-bin/message/subscribe/send", body)

    def msg_sec_check(self, openid: str, content: str, scene: int = 1) -> str:
        """'pass', 'review' or 'risky' (v2 of the content security API). An answer we
        don't understand is 'review': a person looks rather than nobody."""
        data = self._call("/wxa/msg_sec_check",
                          {"content": content, "version": 2, "scene": scene, "openid": openid})
        suggest = (data.get("result") or {}).get("suggest")
        return suggest if suggest in SEC_CHECK_SUGGESTIONS else "review"

    # --- access token ------------------------------------------------------------------
    def access_token(self, *, rejected: str | None = None) -> str:
        """The stable access token, cached for expires_in − 300 s.

        `rejected` is a token WeChat has just refused (40001/42001): we then fetch with
        `force_refresh`, unless another process has already replaced it in the cache.
        One process fetches at a time under a cache lock; the others wait for its token
        rather than stampede WeChat (force refreshes are rate-limited per day).
        """
        if token := self._cached_token(rejected):
            return token
        deadline = time.monotonic() + self.timeout
        while not cache.add(TOKEN_LOCK_KEY, 1, timeout=self._lock_seconds()):
            if time.monotonic() > deadline:
                log.warning("WeChat access token: gave up waiting for another fetch")
                raise WeChatUnavailable()
            time.sleep(LOCK_POLL_SECONDS)
            if token := self._cached_token(rejected):
                return token
        try:
            # Re-check under the lock: the previous holder may have just stored one.
            return self._cached_token(rejected) or self._fetch_token(rejected is not None)
        finally:
            cache.delete(TOKEN_LOCK_KEY)

    def _cached_token(self, rejected: str | None) -> str | None:
        token = cache.get(TOKEN_CACHE_KEY)
        return token if token and token != rejected else None

    def _lock_seconds(self) -> int:
        # Outlives the slowest fetch (connect and read timeouts apply separately), so
        # that a second fetcher cannot start while the first is still waiting on WeChat.
        return math.ceil(2 * self.timeout) + 1

    def _fetch_token(self, force_refresh: bool) -> str:
        data = self._request("POST", "/cgi-bin/stable_token", json={
            "grant_type": "client_credential", "appid": self.app_id,
            "secret": self.app_secret, "force_refresh": force_refresh})
        token, expires_in = data.get("access_token"), data.get("expires_in", 7200)
        if not token or not isinstance(expires_in, int):
            log.error("WeChat stable_token answered without a usable access token")
            raise WeChatUnavailable()
        cache.set(TOKEN_CACHE_KEY, token, timeout=max(expires_in - TOKEN_SAFETY_MARGIN, 1))
        return token

    def _call(self, path: str, body: dict) -> dict:
        """POST with the access token; if WeChat says the token is stale, fetch a new one
        and retry once (a second refusal is raised, never retried in a loop)."""
        token = self.access_token()
        try:
            return self._post(path, token, body)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_EXPIRED:
                raise
            log.info("WeChat refused the access token (%s); refreshing it", exc.errcode)
        return self._post(path, self.access_token(rejected=token), body)

    def _post(self, path: str, token: str, body: dict) -> dict:
        return self._request("POST", path, params={"access_token": token}, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> dict:
        try:
            response = self.http.request(method, self.base_url + path, timeout=self.timeout,
                                         **kwargs)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            # Never log the exception itself: its message holds the URL, and with it
            # the app secret or the access token.
            log.warning("WeChat %s failed: %s", path, type(exc).__name__)
            raise WeChatUnavailable() from exc
        if not isinstance(data, dict):
            log.warning("WeChat %s answered with something other than an object", path)
            raise WeChatUnavailable()
        _raise_for_errcode(path, data)
        return data


def _raise_for_errcode(path: str, data: dict) -> None:
    try:
        errcode = int(data.get("errcode") or 0)
    except (TypeError, ValueError):
        log.warning("WeChat %s answered with errcode %r", path, data.get("errcode"))
        raise WeChatUnavailable() from None
    if errcode in CODE_INVALID:
        raise WeChatCodeInvalid()
    if errcode in BUSY:
        log.warning("WeChat %s is busy (%s)", path, errcode)
        raise WeChatUnavailable()
    if errcode:
        raise WeChatError(errcode, str(data.get("errmsg", "")))


class DevBackend:
    """The embedded default's stand-in: `demo-<name>` is the demo user `<name>`, and
    only an existing one (docs/demo.md): a typo must not quietly sign in as a new, empty
    user who sees nothing."""

    PREFIX = "demo-"

    def code_to_session(self, code: str) -> Session:
        if not code.startswith(self.PREFIX) or len(code) <= len(self.PREFIX):
            raise WeChatCodeInvalid()
        openid = dev_openid(code[len(self.PREFIX):])
        if not User.objects.filter(wechat_openid=openid).exists():
            raise WeChatCodeInvalid(_("There is no demo user %(name)s (see docs/demo.md; "
                                      "`manage.py seed_demo` creates them).")
                                    % {"name": code[len(self.PREFIX):]})
        return Session(openid=openid)

    def get_phone_number(self, code: str) -> str:
        """An 11-digit code is taken as the number itself; any other code gives a
        stable made-up 139 number, so that a demo can bind phones without WeChat."""
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
