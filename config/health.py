"""Liveness and readiness probes for the load balancer and the orchestrator.

`/healthz`: the process is up (touches nothing). `/readyz`: the database, the cache, the
task broker and the object store all answer; otherwise 503 naming what is down. Both
are unauthenticated and fast: each dependency gets one short call.
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0  # seconds per dependency


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving (no dependency is touched)."""
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz-probe", "ok", timeout=10)
    if cache.get("readyz-probe") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # tasks run in-process: there is no broker to reach
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=PROBE_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT)


def _storage() -> None:
    default_storage.exists("readyz-probe")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database, "cache": _cache, "broker": _broker, "storage": _storage,
}


def readyz(request: HttpRequest) -> JsonResponse:
    """Every dependency is probed at once, and one that has not answered within
    PROBE_TIMEOUT counts as down: the probe itself never hangs the load balancer."""
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(_probe, name, check) for name, check in CHECKS.items()}
    done, _pending = wait(futures.values(), timeout=PROBE_TIMEOUT)
    pool.shutdown(wait=False, cancel_futures=True)
    results = {name: future.result() if future in done else "down"
               for name, future in futures.items()}
    down = [name for name, state in results.items() if state != "ok"]
    body = {"status": "unavailable" if down else "ok", "checks": results, "down": down}
    return JsonResponse(body, status=503 if down else 200)


def _probe(name: str, check: Callable[[], None]) -> str:
    try:
        check()
        return "ok"
    except Exception as exc:  # any failure means "not ready", whatever its kind
        log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return "down"
    finally:
        connection.close()  # this thread's own database connection
