from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in with WeChat (or, for the back office, a password).

    The openid identifies the user to our mini-program and must never leave the server:
    no serializer names it.
    """

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, unique=True, null=True, blank=True)
    wechat_openid = models.CharField(
        _("WeChat openid"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    wechat_unionid = models.CharField(
        _("WeChat unionid"), max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def phone_masked(self) -> str | None:
        return mask_phone(self.phone)


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise one's own number, useless to anyone else."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


class IdempotencyRecord(models.Model):
    """The first successful response to a creating POST, kept for 24 h per user and key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]
