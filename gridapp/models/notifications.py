"""The outbox of WeChat subscribe messages."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .reports import Report, ReportEvent


class Notification(models.Model):
    """The outbox: one WeChat subscribe message to one user, written in the transaction of
    the change it tells about and sent after commit by a task, or by the relay when the
    task broker was down. Nothing is deleted: a row ends `sent`, `refused` (the user did
    not subscribe: 43101) or `given_up` (bad template data, no template or openid, or
    out of attempts), so every message is accounted for.

    `next_attempt_at` is both the backoff and the lease: a sender claims a row by moving
    it into the future, so two senders never send one row at the same time, and a
    sender that died leaves a row the relay picks up again once the lease is over.
    """

    class Kind(models.TextChoices):
        NEW_REPORT = "new_report", _("a new report in your grid")
        ACCEPTED = "accepted", _("your report was accepted")
        DISPATCHED = "dispatched", _("a report was dispatched to you")
        RESOLVED = "resolved", _("your report was resolved")
        CLOSED = "closed", _("your report was closed")
        OVERDUE = "overdue", _("a report is overdue")
        ESCALATED = "escalated", _("a report was escalated")
        RETURNED = "returned", _("a report was returned")
        EXTENSION_ASKED = "extension_asked", _("more time is asked for a report")
        EXTENSION_REPLY = "extension_reply", _("your request for more time was answered")
        SUGGESTION = "suggestion", _("similar reports suggest a governance project")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        GIVEN_UP = "given_up", _("given up")
        REFUSED = "refused", _("refused by the user")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("recipient"))
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notifications",
                               verbose_name=_("report"))
    event = models.ForeignKey(ReportEvent, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="notifications", verbose_name=_("event"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    data = models.JSONField(_("message fields"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    errcode = models.IntegerField(_("WeChat errcode"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("sent or given up at"), null=True, blank=True)
    # the mini-program's own inbox: every outbox row is also a message there
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="notification_pending_idx",
                         condition=Q(status="pending")),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(fields=["recipient"], name="notification_unread_idx",
                         condition=Q(read_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(name="notification_status_valid", condition=Q(
                status__in=["pending", "sent", "given_up", "refused"])),
            models.UniqueConstraint(fields=["event", "recipient", "kind"],
                                    name="notification_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.status})"
