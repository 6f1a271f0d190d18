"""Uploaded photos (before and after), attached to reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def photo_upload_to(instance: "Photo", filename: str) -> str:
    """Keys are random: a photo URL can't be guessed from another one."""
    return f"photos/{timezone.localdate():%Y/%m/%d}/{filename}"


class Photo(models.Model):
    """One uploaded image, re-encoded without metadata, with its thumbnail.

    Uploaded first, attached to a report later (before photos on submission, after
    photos on resolve); an unattached photo is deleted after `PHOTO_ORPHAN_HOURS`.
    The EXIF point (GCJ-02) stays here as data: the stored image has none.
    """

    class Kind(models.TextChoices):
        BEFORE = "before", _("before")
        AFTER = "after", _("after")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="photos", verbose_name=_("owner"))
    report = models.ForeignKey("Report", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="photos", verbose_name=_("report"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, blank=True)
    image = models.FileField(_("image"), upload_to=photo_upload_to, max_length=255)
    thumbnail = models.FileField(_("thumbnail"), upload_to=photo_upload_to, max_length=255)
    content_type = models.CharField(_("content type"), max_length=32)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    original_format = models.CharField(_("original format"), max_length=8)
    original_bytes = models.PositiveIntegerField(_("original size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, db_index=True)
    taken_at = models.DateTimeField(_("taken at (EXIF)"), null=True, blank=True)
    exif_lat = models.FloatField(_("EXIF latitude (GCJ-02)"), null=True, blank=True)
    exif_lng = models.FloatField(_("EXIF longitude (GCJ-02)"), null=True, blank=True)
    client_lat = models.FloatField(_("phone latitude (GCJ-02)"), null=True, blank=True)
    client_lng = models.FloatField(_("phone longitude (GCJ-02)"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    attached_at = models.DateTimeField(_("attached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]
        indexes = [
            # the orphan sweep: unattached photos older than the cut-off
            models.Index(fields=["created_at"], name="photo_orphan_idx",
                         condition=Q(report__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(name="photo_kind_with_report",
                                   condition=Q(report__isnull=True, kind="")
                                   | Q(report__isnull=False, kind__in=["before", "after"])),
        ]

    def __str__(self) -> str:
        return f"photo {self.pk}"

    @property
    def gps(self) -> tuple[float, float] | None:
        return (self.exif_lat, self.exif_lng) if self.exif_lat is not None else None
