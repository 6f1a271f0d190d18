"""Database helpers every app may use (config is the ground everyone stands on)."""

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet


def skip_locked(rows: QuerySet) -> QuerySet:
    """`FOR UPDATE SKIP LOCKED` where the database has it (PostgreSQL): rows another
    transaction holds are left for the next run instead of waited for. SQLite has no row
    locks: its writers take turns on the database lock, which is the same guarantee."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True)
    return rows


def execute_in_batches(cursor, sql: str, rows: Iterable[Sequence], size: int) -> None:
    """`executemany` of `sql` over `rows`, `size` rows at a time: a hundred thousand rows
    written without model instances and never all in memory."""
    rows = iter(rows)
    for batch in iter(lambda: list(itertools.islice(rows, size)), []):
        cursor.executemany(sql, batch)


# --- The read replica -------------------------------------------------------------------
# With DATABASE_REPLICA_URL set, the GETs of views marked `LagTolerantReads` (maps, lists,
# statistics: screens that may be a second behind) read from a PostgreSQL streaming
# replica; everything else, every write and every read inside a write, uses the primary.
# A user who has just written is pinned to the primary for REPLICA_PIN_SECONDS, so that
# their own report shows in their own list at once (read-your-own-writes).

REPLICA = "replica"
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)
PIN_KEY = "replica-pin:{user_id}"


class ReplicaRouter:
    """Sends a read to the replica only inside `replica_reads()` and outside a transaction
    on the primary (a read inside a write must see that write)."""

    def db_for_read(self, model, **hints) -> str | None:
        if _replica_reads.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db != REPLICA  # the replica follows the primary's schema by itself


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def start_replica_reads() -> Token:
    """Reads from here on may use the replica (if one is configured); hand the token to
    `stop_replica_reads`. `replica_reads()` is the same as a `with` block."""
    return _replica_reads.set(replica_configured())


def stop_replica_reads(token: Token) -> None:
    _replica_reads.reset(token)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = start_replica_reads()
    try:
        yield
    finally:
        stop_replica_reads(token)


def pin_to_primary(user_id: int) -> None:
    """After a write by this user, their reads go to the primary for a while."""
    if replica_configured():
        cache.set(PIN_KEY.format(user_id=user_id), True, settings.REPLICA_PIN_SECONDS)


def pinned_to_primary(user_id: int | None) -> bool:
    return user_id is not None and bool(cache.get(PIN_KEY.format(user_id=user_id)))
