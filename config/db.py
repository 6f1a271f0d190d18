"""Database helpers every app may use (config is the ground everyone stands on)."""

from django.db import connection
from django.db.models import QuerySet


def skip_locked(rows: QuerySet) -> QuerySet:
    """`FOR UPDATE SKIP LOCKED` where the database has it (PostgreSQL): rows another
    transaction holds are left for the next run instead of waited for. SQLite has no row
    locks: its writers take turns on the database lock, which is the same guarantee."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True)
    return rows
