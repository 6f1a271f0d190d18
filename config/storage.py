"""The photo store: django-storages' S3 storage, with signed URLs reused for a while.

Signing a URL costs botocore about 0.2–0.3 ms of CPU, and a page of the report list signs
twenty thumbnails: a third of the list's CPU in the load benchmark (docs/performance.md,
"Load"). A signed URL is a bearer capability that anyone who may see the photo gets
anyway, so one process hands out the same URL again until half of its lifetime
(AWS_QUERYSTRING_EXPIRE) has passed: every URL a client receives stays valid for at least
half the configured time, as before it stayed valid for all of it.
"""

import threading
import time
from collections import OrderedDict

from storages.backends.s3 import S3Storage as BaseS3Storage

SIGNED_URLS_KEPT = 20_000  # per process; a URL is under 1 KB


class S3Storage(BaseS3Storage):
    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._signed: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share the storage between threads

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        if parameters or expire is not None or http_method or not self.querystring_auth:
            return super().url(name, parameters, expire, http_method)
        now = time.time()
        with self._lock:
            signed = self._signed.get(name)
            if signed and now - signed[1] < self.querystring_expire / 2:
                self._signed.move_to_end(name)
                return signed[0]
        url = super().url(name)
        with self._lock:
            self._signed[name] = (url, now)
            self._signed.move_to_end(name)
            while len(self._signed) > SIGNED_URLS_KEPT:
                self._signed.popitem(last=False)
        return url
