from celery import shared_task

from . import idempotency


@shared_task
def purge_idempotency_records() -> int:
    """Forget stored responses older than the idempotency window (hourly, by beat).
    Safe to run twice or concurrently: it only deletes what is already expired."""
    return idempotency.purge_expired()
