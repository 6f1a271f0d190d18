"""`Idempotency-Key` for every creating POST (API.md "Retries").

The same key from the same user within 24 h gets the first response back and creates
nothing; the same key with a different body is 409 `idempotency_key_reused`.

How it stays exact under two concurrent requests with the same key: the record is
inserted *first*, in the same transaction as the work itself. The second request's
insert then waits on the first one's unique-index entry (PostgreSQL) or on the write lock
(SQLite, `BEGIN IMMEDIATE`); once the first commits, the insert fails and the stored
response is replayed; if the first fails, its record rolls back with its work and the
second simply does the work. A crash can never leave a key that blocks retries.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from config.api.errors import Conflict, DomainError

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 64


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used with a different request.")


class IdempotencyKeyInvalid(DomainError):
    default_code = "idempotency_key_invalid"
    default_detail = _("The Idempotency-Key header must be 1 to 64 characters.")


def fingerprint(request: Request) -> str:
    """A digest of what was asked: path and parsed body, files by their content, so that
    a retried multipart upload with a new boundary still matches."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    items = sorted(data.lists()) if hasattr(data, "lists") else data
    digest.update(json.dumps(items, sort_keys=True, cls=JSONEncoder, default=str).encode())
    for name, upload in sorted(getattr(request, "FILES", {}).items()):
        digest.update(name.encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    """Run `handler` at most once per (user, Idempotency-Key); replay its response."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalid()
    request_print = fingerprint(request)
    with transaction.atomic():
        record, claimed = _claim(request.user, key, request_print)
        if not claimed:  # an earlier request's committed response
            return _replay(record, request_print)
        response = handler()
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)  # errors are not stored: a retry tries again
            return response
        record.status_code = response.status_code
        record.body = json.loads(json.dumps(response.data, cls=JSONEncoder))
        record.save(update_fields=["status_code", "body"])
        return response


def _claim(user, key: str, request_print: str) -> tuple[IdempotencyRecord, bool]:
    """Insert our record (True), or return the live one an earlier request stored (False)."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=request_print,
                                                    status_code=0, body={}), True
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=user, key=key), False


def _replay(record: IdempotencyRecord, request_print: str) -> Response:
    if record.fingerprint != request_print:
        raise IdempotencyKeyReused()
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotentCreateMixin:
    """For views whose POST creates something: wraps `post` in `idempotent`."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        return idempotent(request, lambda: super(IdempotentCreateMixin, self).post(
            request, *args, **kwargs))
