"""The named world every test starts from: DEMO.md's users, regions and grids.

`world` builds the demo world; `api(username)` is a client signed in as that demo user;
`wechat_stub` points the real WeChat client at a local stub server.
Tests that need a real service skip with a reason when it is absent; CI sets
CI_FORBID_SKIPS=1 after starting every service, and then any skip fails the run.
"""

import os
import threading
from collections.abc import Callable, Iterator
from functools import partial

import pytest
from celery.result import _set_task_join_will_block
from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_migrate
from pytest_httpserver import HTTPServer
from rest_framework import throttling  # noqa: F401  (see below)
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken
from werkzeug import Request, Response

from accounts.models import User
from accounts.wechat import reset_client
from config.demo import build_demo_world

from . import error_codes, privacy
from .privacy import _privacy_scan  # noqa: F401  (autouse: every test is scanned)
from .wechat_stub_helpers import APP_ID, APP_SECRET

# DRF's throttles keep `timer = time.time` as a class attribute, read when the module is
# first imported. Imported here, before any test freezes the clock, it is the real
# time.time that freezegun then patches; imported lazily under a frozen clock, it would be
# freezegun's function, which Python binds as a method and every later throttle fails.

needs_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES, reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Caches, the WeChat client and Celery's join guard are per-process state: no test
    sees another's. The guard is a global that an eager task sets and restores around
    itself; eager tasks in concurrent threads restore it out of order and can leave it set,
    after which any `.delay().get()` raises "Never call result.get() within a task"."""
    cache.clear()
    reset_client()
    yield
    cache.clear()
    reset_client()
    _set_task_join_will_block(False)


# Bank accounts, their changes, suspensions, run and distribution history, approved runs
# and published scorecards are never deleted: SQLite triggers refuse it (the payroll and
# gridapp migrations). A transactional test ends with a flush, which on SQLite is DELETE
# (PostgreSQL's TRUNCATE fires no row trigger): for those tests alone every delete guard
# is lifted for the flush and put back, as it was, by the post_migrate signal that ends it.
@pytest.fixture(autouse=True)
def _flushable_history(request) -> Iterator[None]:
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")  # so our teardown runs before its flush
    from django.db import connection
    if connection.vendor != "sqlite":
        yield
        return
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                       "AND sql LIKE '%BEFORE DELETE%'")
        guards = cursor.fetchall()
        for name, _sql in guards:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    post_migrate.connect(partial(_restore_guards, guards), weak=False,
                         dispatch_uid="kept-forever")


def _restore_guards(guards: list[tuple[str, str]], sender, **kwargs) -> None:
    from django.db import connection
    post_migrate.disconnect(dispatch_uid="kept-forever")
    with connection.cursor() as cursor:
        for name, sql in guards:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2 on the demo admin's password is ~70% of building the world (0.4 s a test);
    tests need a hasher that works, not one that resists brute force."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> None:
    build_demo_world()


@pytest.fixture
def user(world) -> Callable[[str], User]:
    return lambda username: User.objects.get(username=username)


@pytest.fixture
def api(world) -> Callable[..., APIClient]:
    """`api("leader1")`: a client with leader1's access token; `api()`: anonymous."""

    def client(username: str | None = None) -> APIClient:
        c = APIClient()
        if username:
            token = RefreshToken.for_user(User.objects.get(username=username)).access_token
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return c

    return client


@pytest.fixture
def wechat_stub(settings, httpserver: HTTPServer) -> Iterator[HTTPServer]:
    """A local stand-in for api.weixin.qq.com: the real client talks HTTP to
    pytest-httpserver. Switches the settings to the `api` backend pointed at the stub and
    returns the server, on which each test registers the answers it needs (helpers in
    tests/wechat_stub_helpers.py). A request the test did not expect fails the test at
    teardown."""
    settings.WECHAT_BACKEND = "api"
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = APP_SECRET
    settings.WECHAT_API_BASE = httpserver.url_for("")
    settings.WECHAT_TIMEOUT = 2.0
    reset_client()
    yield httpserver
    httpserver.check_assertions()


@pytest.fixture
def hanging_handler() -> Iterator[Callable[[Request], Response]]:
    """A handler that answers only once the test is over, long after the client gave up:
    WeChat timing out, without a fixed sleep in the test."""
    released = threading.Event()

    def handler(request: Request) -> Response:
        released.wait(timeout=10)
        return Response('{"errcode": 0}', content_type="application/json")

    yield handler
    released.set()


def pytest_sessionfinish(session, exitstatus) -> None:
    """In CI every service is up, so a skip means a test silently did not run. Only the
    PostgreSQL-only tests may skip, and only in the SQLite pass. And a whole run must
    have provoked every error code (tests/error_codes.py)."""
    error_codes.check(session)
    if os.environ.get("CI_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r for r in reporter.stats.get("skipped", [])
               if settings.IS_POSTGRES or "needs PostgreSQL" not in str(r.longrepr)]
    if skipped:
        reporter.write_line(f"CI_FORBID_SKIPS: {len(skipped)} test(s) skipped:", red=True)
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr}")
        if exitstatus == 0:
            session.exitstatus = 1


def pytest_configure(config) -> None:
    privacy.install()
    error_codes.install()
