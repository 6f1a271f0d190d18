"""Celery tasks of gridapp: thin, idempotent wrappers around services."""

from celery import shared_task

from gridapp.services import evaluations, intake, notifications, photos, projects, supervision


@shared_task
def delete_orphan_photos() -> int:
    """Photos not attached to a report within PHOTO_ORPHAN_HOURS, files included."""
    return photos.delete_orphan_photos()


@shared_task
def check_pending_report_content() -> int:
    """Reports stored while WeChat's content check was unreachable, asked again."""
    return intake.recheck_pending_content()


# --- workflow: notifications, supervision, the automatic close ----------------------------


@shared_task(bind=True, max_retries=None, ignore_result=True)
def send_notification(self, notification_id: int) -> str | None:
    """One outbox row, queued when its transition commits. WeChat unreachable: retried
    with exponential backoff until NOTIFICATION_MAX_ATTEMPTS (the row counts them); the
    relay is the safety net should this task itself be lost."""
    outcome = notifications.deliver(notification_id)
    if outcome is None:
        return None  # already sent, given up, or being sent by the relay
    if outcome.retry_in is not None and not self.request.is_eager:
        # Eager (the embedded default) never sleeps in a request: the relay retries.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task
def relay_notifications() -> dict[str, int]:
    """Pending outbox rows that are due (their task never reached the broker, a retry)."""
    return notifications.relay_pending()


@shared_task
def supervise_reports() -> dict[str, int]:
    """Overdue reports flagged and notified; a second SLA period later, escalated."""
    result = supervision.supervise()
    return {"flagged": result.flagged, "escalated": result.escalated}


@shared_task
def close_unverified_reports() -> int:
    """Resolved reports nobody verified within REPORT_VERIFY_DAYS, closed."""
    return supervision.close_unverified()


@shared_task
def publish_monthly_scorecards() -> int:
    """On the 1st: last month's department scorecards for every region with a dispatcher."""
    return evaluations.publish_last_month()


@shared_task
def announce_project_suggestions() -> int:
    """Daily: dispatchers told of the classes of problems that became suggestions."""
    return projects.announce_suggestions()
