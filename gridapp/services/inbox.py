"""Marking the inbox's messages read."""

from collections.abc import Iterable

from django.utils import timezone

from accounts.models import User
from gridapp.models import Notification


def mark_read(user: User, *, ids: Iterable[int] | None = None) -> int:
    """The user's own messages among `ids` (None: all) marked read, once: a read message
    keeps its first reading time; someone else's id is ignored, never an error that would
    tell it exists. Answers how many stay unread."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    unread.update(read_at=timezone.now())
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
