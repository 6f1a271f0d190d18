"""The privacy scan (issue 11): every response served while the suite runs and every log
line it writes, checked for WeChat openids, session keys and users' phone numbers in
full. Any one fails the test that caused it, naming the request or the log line.

What counts as a secret:
- every openid and phone a `User` is saved with during the test (the post_save signal);
- anything carrying the development backend's openid prefix (`dev-openid-`), which every
  openid of a signed-in demo user has;
- the WeChat stubs' session key (`SESSION_KEY`), which only code2session ever returns.

Responses are scanned as the client gets them (text, JSON, HTML, CSV, XML; files and
streams are not text), through Django's handler, so both the test client and a live
server in the test process are covered. Log lines are scanned as the project's text
formatter writes them, that is after its phone masking: what reaches a log shipper.
"""

import logging
from collections.abc import Iterator

import pytest
from django.core.handlers.base import BaseHandler
from django.db.models.signals import post_save

from accounts.models import User
from accounts.wechat import dev_openid
from config.observability import TextFormatter

SESSION_KEY = "session-key-never-leaves"
OPENID_PREFIX = dev_openid("")
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/problem+json",
              "application/vnd.oai.openapi")

secrets: set[str] = set()
found: list[str] = []


def leaks_in(text: str) -> list[str]:
    canaries = {OPENID_PREFIX, SESSION_KEY, *secrets}
    return sorted(secret for secret in canaries if secret in text)


def _remember(sender, instance: User, **kwargs) -> None:
    secrets.update(value for value in (instance.wechat_openid, instance.phone) if value)


def scan(request, response) -> None:
    content_type = response.get("Content-Type", "")
    if not response.streaming and content_type.startswith(TEXT_TYPES):
        text = response.content.decode(response.charset or "utf-8", errors="replace")
        for leak in leaks_in(text):
            found.append(f"{request.method} {request.get_full_path()} → {response.status_code} "
                         f"shows {leak!r}")


class _LogScanner(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(TextFormatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a broken log call is the logging module's business, not ours
            return
        for leak in leaks_in(line):
            found.append(f"log line {line[:200]!r} shows {leak!r}")


def watch_responses(observer) -> None:
    """Call `observer(request, response)` on every response Django serves in this process."""
    served = BaseHandler.get_response

    def get_response(self, request):
        response = served(self, request)
        observer(request, response)
        return response

    BaseHandler.get_response = get_response


_log_scanner = _LogScanner()


def install() -> None:
    """From `pytest_configure`: for the whole session."""
    post_save.connect(_remember, sender=User, dispatch_uid="privacy-scan")
    watch_responses(scan)


@pytest.fixture(autouse=True)
def _privacy_scan() -> Iterator[None]:
    secrets.clear()
    found.clear()
    root = logging.getLogger()
    if _log_scanner not in root.handlers:  # a test that applies LOGGING again drops it
        root.addHandler(_log_scanner)
    yield
    leaks, _ = list(found), found.clear()
    assert not leaks, "personal data left the server:\n" + "\n".join(leaks)
