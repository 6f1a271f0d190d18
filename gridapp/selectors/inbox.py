"""The mini-program's own inbox: every message the outbox writes, readable in the app
whether or not WeChat delivered it (subscribe messages are one-shot and often refused)."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from gridapp.models import Notification


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's messages, newest first."""
    messages = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    return messages.filter(read_at__isnull=True) if unread_only else messages


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def title(message: Notification) -> str:
    """What happened, in the request's language."""
    text = str(message.get_kind_display())
    return text[:1].upper() + text[1:]


def body(message: Notification) -> str:
    """The report's number and category, where it stands, and the note that came with
    the change: from the message fields stored when it was written."""
    data = message.data
    parts = [data.get("number", ""), data.get("category", ""), data.get("result", "")]
    text = " · ".join(part for part in parts if part)
    note = data.get("note", "")
    return f"{text}\n{_('Note')}: {note}" if note else text
