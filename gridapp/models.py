import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import geo


class Region(models.Model):
    """An administrative division, identified by its 12-digit statistical code.

    The code nests (province 2 digits, city 2, county 2, township 3, village 3), so every
    descendant of a region shares its `prefix`: "everything under this district" is one
    indexed `code LIKE '450502%'`.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        STREET = "street", _("street")
        COMMUNITY = "community", _("community")

    PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12}

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent"))

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(name="region_level_valid",
                                   condition=Q(level__in=["province", "city", "district",
                                                          "street", "community"])),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: self.PREFIX_LENGTH[self.level]]

    def contains(self, other: "Region") -> bool:
        return other.code.startswith(self.prefix)

    def clean(self) -> None:
        if not (len(self.code) == 12 and self.code.isdigit()):
            raise ValidationError({"code": _("A division code has exactly 12 digits.")})
        if self.code[self.PREFIX_LENGTH.get(self.level, 12):].strip("0"):
            raise ValidationError({"code": _("The code has digits below its level.")})
        if self.parent and not self.parent.contains(self):
            raise ValidationError({"parent": _("The code does not lie under the parent's code.")})


class Department(models.Model):
    """A department that handles reports (承办部门), belonging to a region's level."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments",
                               verbose_name=_("region"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


GRID_SPAN_CACHE_KEY = "gridapp:grid-max-span"


class Grid(models.Model):
    """A grid of a community: a GCJ-02 polygon, with its bounding box in indexed
    columns for the SQL prefilter of `locate`."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="grids",
                                  limit_choices_to={"level": "community"},
                                  verbose_name=_("community"))
    boundary = models.JSONField(_("boundary (GeoJSON Polygon, GCJ-02)"))
    min_lat = models.FloatField(editable=False)
    min_lng = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    max_lng = models.FloatField(editable=False)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lat", "min_lng"], name="grid_bbox_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        try:
            geo.polygon_from_geojson(self.boundary)
        except ValidationError as exc:
            raise ValidationError({"boundary": exc.messages})
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            raise ValidationError({"community": _("A grid belongs to a community.")})

    def save(self, *args, **kwargs) -> None:
        """Validates the boundary on every save (admin, services, seed alike)."""
        polygon = geo.polygon_from_geojson(self.boundary)
        self.min_lng, self.min_lat, self.max_lng, self.max_lat = polygon.bounds
        super().save(*args, **kwargs)
        cache.delete(GRID_SPAN_CACHE_KEY)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        cache.delete(GRID_SPAN_CACHE_KEY)
        return result

    def current_leader_term(self, on: dt.date | None = None) -> "LeaderTerm | None":
        on = on or timezone.localdate()
        return next((t for t in self.leader_terms.all() if t.covers(on)), None)


class LeaderTerm(models.Model):
    """Who led a grid and when: the payroll pays by these dates, so they are history,
    never overwritten. `end_date` is the last day served (inclusive)."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="leader_terms",
                             verbose_name=_("grid"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="leader_terms", verbose_name=_("leader"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("leader term")
        verbose_name_plural = _("leader terms")
        ordering = ["grid", "start_date"]
        constraints = [
            models.CheckConstraint(name="leaderterm_end_after_start",
                                   condition=Q(end_date__isnull=True)
                                   | Q(end_date__gte=models.F("start_date"))),
            models.UniqueConstraint(fields=["grid", "start_date"], name="leaderterm_grid_start"),
        ]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.user} {self.start_date}–{self.end_date or ''}"

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def clean(self) -> None:
        if self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The term ends before it starts.")})
        overlapping = LeaderTerm.objects.filter(grid_id=self.grid_id).exclude(pk=self.pk).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=self.start_date))
        if self.end_date:
            overlapping = overlapping.filter(start_date__lte=self.end_date)
        if overlapping.exists():
            raise ValidationError(_("The term overlaps another leader term of this grid."))


def current_terms_q(on: dt.date, prefix: str = "") -> Q:
    """Leader terms that cover the day `on` (prefix for lookups through a relation)."""
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on}))


class Invite(models.Model):
    """An expiring, single-use code a leader shares to let someone join their grid."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="invites")
    code = models.CharField(max_length=32, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")

    def __str__(self) -> str:
        return f"{self.grid.code} · {self.code[:4]}…"


class GridMembership(models.Model):
    """A resident's membership of a grid: pending → active → left, or rejected."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACTIVE = "active", _("active")
        LEFT = "left", _("left")
        REJECTED = "rejected", _("rejected")

    class MemberType(models.TextChoices):
        VOLUNTEER = "volunteer", _("volunteer resident")
        ALLEY_HEAD = "alley_head", _("alley head")
        PROPERTY_STAFF = "property_staff", _("property staff")
        OTHER = "other", _("other")

    LIVE = (Status.PENDING, Status.ACTIVE)

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="memberships",
                             verbose_name=_("grid"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="memberships", verbose_name=_("user"))
    member_type = models.CharField(_("member type"), max_length=16, choices=MemberType.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    invite = models.ForeignKey(Invite, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("grid membership")
        verbose_name_plural = _("grid memberships")
        ordering = ["grid", "created_at"]
        constraints = [
            models.CheckConstraint(name="membership_status_valid",
                                   condition=Q(status__in=["pending", "active", "left", "rejected"])),
            models.UniqueConstraint(fields=["grid", "user"], name="membership_one_live_per_grid",
                                    condition=Q(status__in=["pending", "active"])),
        ]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.user} ({self.get_status_display()})"
