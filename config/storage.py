"""The photo store: django-storages' S3 storage, with signed URLs reused for a while and
small files written by one PUT.

Signing a URL costs botocore about 0.2–0.3 ms of CPU, and a page of the report list signs
twenty thumbnails: a third of the list's CPU in the load benchmark (docs/performance.md,
"Load"). A signed URL is a bearer capability that anyone who may see the photo gets
anyway, so one process hands out the same URL again until half of its lifetime
(AWS_QUERYSTRING_EXPIRE) has passed: every URL a client receives stays valid for at least
half the configured time, as before it stayed valid for all of it.

django-storages writes every file through boto3's transfer manager (`upload_fileobj`):
built for multipart uploads of large files, it builds a boto3 resource class and starts
worker threads for each file. A photo and its thumbnail cost 7 ms of CPU that way against
about 1 ms for two plain `PutObject` calls (docs/performance.md, "Photo upload").
A file under the transfer manager's multipart threshold (8 MB) is one `PutObject` here,
with the same parameters (content type, ACL); larger ones go the transfer manager's way.
"""

import threading
import time
from collections import OrderedDict

from boto3.s3.transfer import TransferConfig
from storages.backends.s3 import S3Storage as BaseS3Storage
from storages.utils import clean_name, is_seekable

PUT_AT_MOST = TransferConfig().multipart_threshold  # 8 MB: above it, a multipart upload

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

    def _save(self, name, content) -> str:
        """One `PutObject` for a small file. The name's cleaning and normalizing and the
        rewind mirror the start of django-storages 1.14's `S3Storage._save`, which has no
        hook for the upload alone: re-read it when upgrading django-storages."""
        size = getattr(content, "size", None)
        if size is None or size >= PUT_AT_MOST or self.gzip:
            return super()._save(name, content)
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        if is_seekable(content):
            content.seek(0)
        body = content.read()
        self.connection.meta.client.put_object(
            Bucket=self.bucket_name, Key=key, Body=body if isinstance(body, bytes) else
            body.encode(), **self._get_write_parameters(key, content))
        return cleaned
