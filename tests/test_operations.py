"""Operations: readiness, request ids in logs and tasks, personal data kept out of logs."""

import json
import logging
import os

import pytest
from celery import shared_task
from django.test import override_settings

from config.observability import (JsonFormatter, _send_request_id, mask_personal_data,
                                  request_id_var)

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                                 reason="needs Redis: run scripts/services.sh start")
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_answers_without_a_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ok_when_everything_answers(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok",
                                         "storage": "ok"}


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": CLOSED_PORT_REDIS}})
def test_readyz_names_the_cache_when_it_is_down(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["cache"]


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=CLOSED_PORT_REDIS)
def test_readyz_names_the_broker_when_it_is_down(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@needs_redis
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_readyz_reaches_a_real_redis_broker(client, db, settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"] + "/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": os.environ["REDIS_URL"] + "/1"}}
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] and first["X-Request-ID"] != second["X-Request-ID"]


def test_a_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="nginx-abc123")["X-Request-ID"] == "nginx-abc123"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert forged != "bad id\nwith newline" and len(forged) == 32


def test_json_log_lines_carry_the_request_id_and_mask_phone_numbers():
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("gridlink", logging.INFO, __file__, 1,
                                   "user with phone %s logged in", ("13812345678",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "req-42"
    assert "13812345678" not in line["message"] and "138****5678" in line["message"]


def test_masking_leaves_other_numbers_alone():
    assert mask_personal_data("report BH20261126000123 at 2026") == "report BH20261126000123 at 2026"


@shared_task
def _remember_request_id() -> str:
    return request_id_var.get()


def test_a_task_run_inside_a_request_keeps_its_request_id():
    token = request_id_var.set("req-from-view")
    try:
        assert _remember_request_id.apply().result == "req-from-view"
    finally:
        request_id_var.reset(token)


def test_a_published_task_carries_the_request_id_in_its_headers():
    headers: dict = {}
    token = request_id_var.set("req-from-view")
    try:
        _send_request_id(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers["request_id"] == "req-from-view"


def test_a_worker_task_without_a_request_gets_its_own_id():
    assert _remember_request_id.apply().result.startswith("task-")


@override_settings(CACHES={"default": {"BACKEND": "config.cache.FailOpenRedisCache",
                                       "LOCATION": CLOSED_PORT_REDIS}})
def test_requests_still_work_when_the_shared_cache_is_down(api):
    from django.core.cache import cache

    assert cache.add("lock", 1) is True  # a lock nobody can hold is granted
    assert cache.get("anything", "fallback") == "fallback"
    response = api("leader5").get("/api/v1/grids/locate/?lat=21.4830&lng=109.1130")
    assert response.status_code == 200 and response.json()["code"] == "HHL-05"


def test_ping_answers_a_constant_through_authentication_and_the_user_query(
        api, django_assert_num_queries):
    client = api("resident1")
    with django_assert_num_queries(1):  # JWT authentication loads the user, nothing else
        response = client.get("/api/v1/ping")
    assert response.status_code == 200 and response.json() == {"pong": True}
    assert api().get("/api/v1/ping").status_code == 401


def test_readyz_names_the_storage_when_it_is_down(client, db, monkeypatch):
    from django.core.files.storage import default_storage

    def unreachable(name):
        raise ConnectionError("object store unreachable")

    monkeypatch.setattr(default_storage, "exists", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["storage"]


@pytest.mark.real_clock  # the probe's timed wait
def test_readyz_counts_a_dependency_that_does_not_answer_as_down(client, db, monkeypatch):
    import threading

    from config import health

    released = threading.Event()
    monkeypatch.setattr(health, "PROBE_TIMEOUT", 0.2)
    monkeypatch.setitem(health.CHECKS, "storage", lambda: released.wait(5))
    try:
        response = client.get("/readyz")
    finally:
        released.set()
    assert response.status_code == 503
    assert response.json()["down"] == ["storage"]
