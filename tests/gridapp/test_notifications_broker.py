"""Nothing is lost when the broker is down (PRODUCT.md), with a real Redis.

Each test starts its own `redis-server` on a free loopback port and points Celery at it
(Celery reads its configuration once, so the fixture sets `app.conf` directly and puts
it back afterwards). Stop Redis, report and dispatch: the requests succeed at once and
the messages wait in the outbox; start Redis, run the relay: the WeChat stub receives
them. These tests commit for real (`transaction=True`): the on-commit hooks that queue
the messages run inside the request, as in production.
"""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command

from config.celery import app as celery_app
from gridapp.models import Notification
from gridapp.tasks import relay_notifications
from tests.wechat_stub_helpers import (MSG_SEC_CHECK, expect_subscribe_messages, expect_token,
                                       subscribe_messages)

from .workflow_support import act, ok, submit


pytestmark = [pytest.mark.real_clock,  # a worker process and Redis, waited for
              pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("templates")]
STARTUP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on loopback, stopped and started again at will."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=STARTUP_SECONDS)
        self.process = None

    def queued(self, queue: str = "celery") -> int:
        return redis.Redis(port=self.port).llen(queue)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs Redis: redis-server not installed")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


def _forget_broker_connections() -> None:
    """Close and forget every pooled broker connection. kombu keeps its pools in a global
    registry keyed by broker URL, which the app's own `_pool` only points into: closing a
    pool without emptying that registry would leave a closed pool behind for the next
    task sent to the same URL ("Acquire on closed pool" in whichever test came next)."""
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_conf(**values) -> Iterator[None]:
    """Override Celery settings for a while. The app reads Django's CELERY_* settings
    once, under their prefixed names, which win over the plain ones: set those."""
    conf = celery_app.conf
    keys = {name: f"CELERY_{name.upper()}" if f"CELERY_{name.upper()}" in conf else name
            for name in values}
    saved = {key: conf[key] for key in keys.values()}
    _forget_broker_connections()
    conf.update({keys[name]: value for name, value in values.items()})
    try:
        yield
    finally:
        _forget_broker_connections()
        conf.update(saved)


@pytest.fixture
def celery_on_redis(redis_server) -> Iterator[RedisServer]:
    """Celery as in production: tasks go to the broker, nothing runs in-process."""
    with celery_conf(broker_url=redis_server.url, task_always_eager=False):
        yield redis_server


@pytest.fixture
def wechat(wechat_stub):
    expect_token(wechat_stub)
    expect_subscribe_messages(wechat_stub)
    wechat_stub.expect_request(MSG_SEC_CHECK).respond_with_json(
        {"errcode": 0, "result": {"suggest": "pass"}})
    return wechat_stub


def test_reporting_and_dispatching_with_redis_down_lose_no_message(
        world, api, celery_on_redis, wechat):
    celery_on_redis.stop()
    report = submit(api("resident1"))  # tells leader5 and dispatcher-community
    dispatcher = api("dispatcher-community")
    ok(act(dispatcher, report["id"], "accept"))  # tells resident1
    ok(act(dispatcher, report["id"], "dispatch", department="bh-lighting"))  # handler-lighting
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    assert subscribe_messages(wechat) == []

    celery_on_redis.start()
    call_command("relay_notifications")  # what cron runs

    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted((m["touser"], m["template_id"]) for m in subscribe_messages(wechat)) == [
        ("dev-openid-dispatcher-community", "tmpl-new_report"),
        ("dev-openid-handler-lighting", "tmpl-dispatched"),
        ("dev-openid-leader5", "tmpl-new_report"),
        ("dev-openid-resident1", "tmpl-accepted"),
    ]


def test_with_redis_up_a_worker_sends_each_message_and_the_beat_relay_the_stragglers(
        world, api, celery_on_redis, wechat):
    celery_on_redis.stop()
    report = submit(api("resident1"))  # queued while the broker was down
    celery_on_redis.start()
    ok(act(api("dispatcher-community"), report["id"], "accept"))
    assert celery_on_redis.queued() == 1  # the accepted message's task, on Redis
    relay_notifications.delay()  # as beat would
    assert celery_on_redis.queued() == 2

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 30
        while Notification.objects.filter(status="pending").exists() \
                and time.monotonic() < deadline:
            time.sleep(0.05)

    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(m["template_id"] for m in subscribe_messages(wechat)) == [
        "tmpl-accepted", "tmpl-new_report", "tmpl-new_report"]  # the leader, the dispatcher


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A port that accepts connections and never answers: a broker hung, not down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def test_a_hung_broker_does_not_hang_the_request(world, api, silent_broker):
    """The broker's socket timeouts (CELERY_BROKER_TRANSPORT_OPTIONS) bound the wait;
    shortened here so that the test stays fast."""
    options = {**celery_app.conf.broker_transport_options, "socket_timeout": 0.3,
               "socket_connect_timeout": 0.3}
    with celery_conf(broker_url=silent_broker, task_always_eager=False,
                     broker_transport_options=options):
        report = submit(api("resident1"))
    assert report["status"] == "submitted"
    assert list(Notification.objects.values_list("status", flat=True)) == ["pending", "pending"]


def test_the_broker_timeouts_are_configured():
    """Without them a hung broker would hold every request that commits a change."""
    options = celery_app.conf.broker_transport_options
    assert 0 < options["socket_timeout"] <= 5 and 0 < options["socket_connect_timeout"] <= 5
    assert 0 < celery_app.conf.broker_connection_timeout <= 5
