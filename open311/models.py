"""Who may file and read through Open311, and what each request filed that way came with."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridapp.models import Region, Report


class ApiKey(models.Model):
    """One integration (the 12345 hotline, a district's app). The key itself is shown
    once, when it is made; only its SHA-256 is stored (a 256-bit random key needs no slow
    hash). Reports filed with it are reported by its own user, so the source of every
    report is known; `region`, when set, limits what the key reads and files."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="open311_key", editable=False,
                                verbose_name=_("reporting user"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("region"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def new_token() -> str:
    return secrets.token_hex(16)


class FiledRequest(models.Model):
    """A report filed through Open311: the key it came with, the token the client may
    poll, the media link it gave (stored, never fetched) and its device and account ids."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="open311",
                                  verbose_name=_("report"))
    key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="requests",
                            verbose_name=_("Open311 key"))
    token = models.CharField(_("token"), max_length=32, unique=True,
                             default=new_token)
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    device_id = models.CharField(_("device id"), max_length=128, blank=True)
    account_id = models.CharField(_("account id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
