"""A Redis cache that fails open.

The shared cache holds throttle counters and the WeChat access token. Neither is worth
failing a resident's report for: when Redis is unreachable, reads miss, writes are dropped and `add` (our lock) succeeds, each
after a short socket timeout, with a warning in the log. `/readyz` still reports the
cache as down, because it checks that what it stored comes back.
"""

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (ConnectionError, TimeoutError)


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, params)

    def _fail_open(self, operation: str, fallback: Any, call, *args, **kwargs) -> Any:
        try:
            return call(*args, **kwargs)
        except UNREACHABLE as exc:
            log.warning("cache unreachable during %s (%s): carrying on without it",
                        operation, type(exc).__name__)
            return fallback

    def get(self, key, default=None, version=None):
        return self._fail_open("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._fail_open("get_many", {}, super().get_many, keys, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set", None, super().set, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("add", True, super().add, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._fail_open("delete", False, super().delete, key, version)

    def clear(self):
        return self._fail_open("clear", False, super().clear)
