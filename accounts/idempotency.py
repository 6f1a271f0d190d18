"""`Idempotency-Key` for every creating POST (docs/api.md "Retries").

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from config.api.errors import Conflict, DomainError

from .models import IdempotencyRecord, User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 64
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used with a different request.")


class IdempotencyKeyInUse(Conflict):
    default_code = "idempotency_key_in_use"
    default_detail = _("A request with this Idempotency-Key is still being processed; "
                       "retry in a moment.")


class IdempotencyKeyInvalid(DomainError):
    default_code = "idempotency_key_invalid"
    default_detail = _("The Idempotency-Key header must be 1 to 64 printable characters.")


def expiry_cutoff() -> datetime:
    """Records created before this moment are forgotten: their keys are fresh again."""
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def purge_expired() -> int:
    """Delete the records no request can replay any more; returns how many."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=expiry_cutoff()).delete()
    return deleted


def fingerprint(request: Request) -> str:
    """A digest of what was asked: path and parsed body, files by their content, so that
    a retried multipart upload with a new boundary still matches."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    items = sorted(data.lists()) if hasattr(data, "lists") else data
    digest.update(json.dumps(items, sort_keys=True, cls=JSONEncoder, default=str).encode())
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest.update(name.encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    """Run `handler` at most once per (user, Idempotency-Key); replay its response.

    Keys are per user, so an anonymous caller's key is ignored: there is no one to keep
    it for. Only a 2xx is stored; after an error the key is free for a corrected retry.
    """
    key = request.headers.get(HEADER)
    if key is None or not request.user.is_authenticated:
        return handler()
    if not (1 <= len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        # isprintable: control characters (NUL above all, which PostgreSQL refuses in
        # text) would otherwise fail at the INSERT as a 500.
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
        _store(record, response)
        return response


def _claim(user: User, key: str, request_print: str) -> tuple[IdempotencyRecord, bool]:
    """Insert our record (True), or return the live one an earlier request stored (False).

    Under READ COMMITTED the INSERT waits while another transaction holds the same
    (user, key) uncommitted, then fails once it commits; the next statement takes a new
    snapshot and so sees that record. The savepoint around the INSERT keeps our outer
    transaction usable after the IntegrityError.
    """
    IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=expiry_cutoff()).delete()
    try:
        with transaction.atomic():
            with _lock_wait_limit(settings.IDEMPOTENCY_WAIT_SECONDS):
                return IdempotencyRecord.objects.create(
                    user=user, key=key, fingerprint=request_print, status_code=0, body=""), True
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=user, key=key), False
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise IdempotencyKeyInUse() from error
        raise


@contextmanager
def _lock_wait_limit(seconds: float) -> Iterator[None]:
    """On PostgreSQL, give up waiting for a first request that holds the key after
    `seconds` (the client gets 409 `idempotency_key_in_use` and retries) rather than
    hold a worker indefinitely. The limit covers the INSERT only: it is restored before
    the handler runs, and a failed INSERT's savepoint rollback undoes it by itself.
    SQLite needs none: writers already queue at BEGIN IMMEDIATE, bounded by its busy
    timeout."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        # at least 1 ms: 0 would mean "wait forever"
        cursor.execute("SELECT set_config('lock_timeout', %s, true)",
                       [f"{max(1, round(seconds * 1000))}ms"])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _store(record: IdempotencyRecord, response: Response) -> None:
    """Keep the response as rendered JSON text, not as a JSON document: PostgreSQL's
    jsonb would reorder the keys, and a replay must be the same body byte for byte."""
    record.status_code = response.status_code
    record.body = JSONRenderer().render(response.data).decode()  # b"" for no body
    record.save(update_fields=["status_code", "body"])


def _replay(record: IdempotencyRecord, request_print: str) -> Response:
    if record.fingerprint != request_print:
        raise IdempotencyKeyReused()
    data = json.loads(record.body) if record.body else None
    response = Response(data, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotentCreateMixin:
    """For views whose POST creates something: wraps `post` in `idempotent`."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        return idempotent(request, lambda: super(IdempotentCreateMixin, self).post(
            request, *args, **kwargs))
