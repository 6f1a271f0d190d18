"""Grids, who leads them (leader terms: what payroll pays from) and who belongs to them
(invites and memberships)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Polygon

from .. import geo
from .regions import Region

BBOX_FIELDS = ("min_lat", "min_lng", "max_lat", "max_lng")


class Grid(models.Model):
    """A grid of a community: a GCJ-02 polygon, with its bounding box in indexed
    columns for filters by area in SQL. Every write to this table changes
    `GridIndexVersion.token` (a database trigger), which `locate` watches."""

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
        self._boundary_polygon()
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            raise ValidationError({"community": _("A grid belongs to a community.")})

    def save(self, *args, **kwargs) -> None:
        """Validates the boundary on every save (admin, services, seed alike): an invalid
        polygon raises ValidationError and nothing is written."""
        self.min_lng, self.min_lat, self.max_lng, self.max_lat = self._boundary_polygon().bounds
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "boundary" in update_fields:
            # The bounding box must never disagree with the polygon `locate` tests.
            kwargs["update_fields"] = {*update_fields, *BBOX_FIELDS}
        super().save(*args, **kwargs)

    def _boundary_polygon(self) -> Polygon:
        try:
            return geo.polygon_from_geojson(self.boundary)
        except ValidationError as exc:
            raise ValidationError({"boundary": exc.messages})

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

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="invites",
                             verbose_name=_("grid"))
    code = models.CharField(_("invite code"), max_length=32, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

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
                               related_name="+", verbose_name=_("invite"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))

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


class GridEvent(models.Model):
    """The history of a grid's people, one row per change, never edited: who asked to
    join, who decided, who was appointed leader and when a term ended. Written only by
    gridapp.services (memberships, leaders); payroll and appeals read it."""

    class Action(models.TextChoices):
        JOIN_REQUESTED = "join_requested", _("asked to join")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        REMOVED = "removed", _("removed")
        TERM_APPOINTED = "term_appointed", _("appointed leader")
        TERM_ENDED = "term_ended", _("leader term ended")

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="events",
                             verbose_name=_("grid"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("member or leader"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("by"))
    membership = models.ForeignKey(GridMembership, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="events",
                                   verbose_name=_("membership"))
    term = models.ForeignKey(LeaderTerm, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="events", verbose_name=_("leader term"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("grid history entry")
        verbose_name_plural = _("grid history")
        ordering = ["grid", "at", "pk"]
        indexes = [models.Index(fields=["grid", "at"], name="gridevent_grid_at_idx")]
        constraints = [
            models.CheckConstraint(name="gridevent_names_its_object", condition=(
                Q(action__startswith="term_", term__isnull=False, membership__isnull=True)
                | (~Q(action__startswith="term_") & Q(membership__isnull=False,
                                                      term__isnull=True)))),
        ]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.get_action_display()} {self.subject} {self.at:%Y-%m-%d}"
