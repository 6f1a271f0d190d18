import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Polygon

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
BBOX_FIELDS = ("min_lat", "min_lng", "max_lat", "max_lng")


def _forget_grid_span() -> None:
    """Drop the cached largest grid extent (see `selectors.grid_max_span`) now, and again
    at commit: a request that recomputes it before our commit would cache the old value."""
    cache.delete(GRID_SPAN_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(GRID_SPAN_CACHE_KEY))


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
        _forget_grid_span()

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        result = super().delete(*args, **kwargs)
        _forget_grid_span()
        return result

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


# --- Categories, photos and reports ------------------------------------------------------


class ReportLevel(models.TextChoices):
    """The four loops of "whistle and report": a report climbs one level per escalation."""

    COMMUNITY = "community", _("community")
    STREET = "street", _("street")
    DISTRICT = "district", _("district")
    CITY = "city", _("city")


class Category(models.Model):
    """What a report is about, in two levels (市政设施 / 路灯不亮).

    Reports take a leaf: a category without children (a top-level one such as 其他 may
    be a leaf itself). The SLA is per escalation level; the duplicate radius says how
    near two reports must be to look like the same problem.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent"))
    sla_hours_community = models.PositiveIntegerField(_("SLA hours (community)"), default=72)
    sla_hours_street = models.PositiveIntegerField(_("SLA hours (street)"), default=72)
    sla_hours_district = models.PositiveIntegerField(_("SLA hours (district)"), default=72)
    sla_hours_city = models.PositiveIntegerField(_("SLA hours (city)"), default=72)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=100)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        """Both levels, as in 市政设施 / 路灯不亮 (reads `parent`: select it along)."""
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def sla_hours(self, level: str) -> int:
        return getattr(self, f"sla_hours_{ReportLevel(level).value}")

    def clean(self) -> None:
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Categories have two levels at most.")})


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


class ReportCounter(models.Model):
    """The last report number handed out on a day: `number` = prefix + day + counter.
    The row is incremented with a conditional UPDATE, so two creates never share one."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("report counter")
        verbose_name_plural = _("report counters")


class Report(models.Model):
    """A problem someone saw, from submission to closing (ARCHITECTURE.md's lifecycle).

    `region_code` is the community code of the report's grid, copied here so that
    "everything under a region" is one range scan on an indexed column.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        DISPATCHED = "dispatched", _("dispatched")
        IN_PROGRESS = "in_progress", _("in progress")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REJECTED = "rejected", _("rejected")
        DUPLICATE = "duplicate", _("duplicate")

    # Not yet fixed: what a new report of the same problem may duplicate.
    OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS)
    Level = ReportLevel

    class Source(models.TextChoices):
        MINIPROGRAM = "miniprogram", _("mini-program")
        HOTLINE = "hotline", _("12345 hotline")
        PATROL = "patrol", _("patrol")
        OPEN311 = "open311", _("Open311")

    class ContentCheck(models.TextChoices):
        PENDING = "pending", _("pending (WeChat was unavailable)")
        PASSED = "pass", _("passed")
        REVIEW = "review", _("needs review")
        RISKY = "risky", _("risky")
        SKIPPED = "skipped", _("not checked (no WeChat identity)")

    number = models.CharField(_("number"), max_length=24, unique=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="reports", verbose_name=_("reporter"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices,
                              default=Source.MINIPROGRAM)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports",
                                 verbose_name=_("category"))
    description = models.TextField(_("description"), max_length=10_000)
    address = models.CharField(_("address"), max_length=255, blank=True)
    lat = models.FloatField(_("latitude (GCJ-02)"))
    lng = models.FloatField(_("longitude (GCJ-02)"))
    coord_type = models.CharField(_("datum the client sent"), max_length=8, default="gcj02")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="reports",
                             verbose_name=_("grid"))
    region_code = models.CharField(_("community code"), max_length=12, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.SUBMITTED)
    level = models.CharField(_("level"), max_length=16, choices=ReportLevel.choices,
                             default=ReportLevel.COMMUNITY)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="reports", verbose_name=_("department"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="duplicates", verbose_name=_("duplicate of"))
    content_check = models.CharField(_("content check"), max_length=8,
                                     choices=ContentCheck.choices, default=ContentCheck.PENDING)
    photo_distance_m = models.FloatField(
        _("largest distance of a photo's EXIF point (m)"), null=True, blank=True)
    location_suspect = models.BooleanField(_("photo taken far from the point"), default=False)
    # The workflow (gridapp.workflow): the department the responsibility table suggests on
    # accept, the SLA clock of the current level, the supervision flag, resolution and rating.
    suggested_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("suggested department"))
    sla_started_at = models.DateTimeField(_("SLA clock started at"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), max_length=2000, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "created_at"], name="report_region_idx"),
            models.Index(fields=["-created_at", "-id"], name="report_recent_idx"),
            models.Index(fields=["category", "lat", "lng"], name="report_category_point_idx"),
            models.Index(fields=["grid", "created_at"], name="report_grid_idx"),
            models.Index(fields=["reporter", "created_at"], name="report_reporter_idx"),
            models.Index(fields=["department", "status"], name="report_department_idx"),
            models.Index(fields=["status", "created_at"], name="report_status_idx"),
            # the supervision sweep: open reports past their due time
            models.Index(fields=["due_at"], name="report_due_idx", condition=Q(status__in=[
                "submitted", "accepted", "dispatched", "in_progress"])),
            # the automatic close: resolved reports nobody verified
            models.Index(fields=["resolved_at"], name="report_unverified_idx",
                         condition=Q(status="resolved")),
        ]
        constraints = [
            models.CheckConstraint(name="report_status_valid", condition=Q(status__in=[
                "submitted", "accepted", "dispatched", "in_progress", "resolved", "closed",
                "rejected", "duplicate"])),
            models.CheckConstraint(name="report_level_valid", condition=Q(level__in=[
                "community", "street", "district", "city"])),
            models.CheckConstraint(name="report_duplicate_has_original",
                                   condition=~Q(status="duplicate")
                                   | Q(duplicate_of__isnull=False)),
            models.CheckConstraint(name="report_point_in_range",
                                   condition=Q(lat__gte=-90, lat__lte=90,
                                               lng__gte=-180, lng__lte=180)),
            models.CheckConstraint(name="report_rating_in_range",
                                   condition=Q(rating__isnull=True)
                                   | Q(rating__gte=1, rating__lte=5)),
        ]

    def __str__(self) -> str:
        return self.number

    def traffic_light(self, now: dt.datetime | None = None) -> str | None:
        """green while under 80 % of the level's SLA time is used, yellow up to 100 %,
        red past due; None when no clock runs (not accepted yet, or no longer open)."""
        if self.due_at is None or self.sla_started_at is None \
                or self.status not in self.OPEN_STATUSES:
            return None
        total = (self.due_at - self.sla_started_at).total_seconds()
        used = ((now or timezone.now()) - self.sla_started_at).total_seconds()
        if used > total:
            return "red"
        return "green" if used < 0.8 * total else "yellow"

    @property
    def flagged(self) -> bool:
        """Something a dispatcher should look at before acting on the report."""
        return self.location_suspect or self.content_check in (
            self.ContentCheck.REVIEW, self.ContentCheck.RISKY)


class ReportEvent(models.Model):
    """One line of a report's timeline, append-only: who did what, when, from which
    status to which, at which level. Written in the transaction of the change."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("submit")
        ACCEPT = "accept", _("accept")
        DISPATCH = "dispatch", _("dispatch")
        START = "start", _("start")
        RESOLVE = "resolve", _("resolve")
        VERIFY = "verify", _("verify")
        REOPEN = "reopen", _("reopen")
        ESCALATE = "escalate", _("escalate")
        RETURN = "return", _("return")
        REJECT = "reject", _("reject")
        MERGE = "merge", _("merge")
        CONTENT_CHECK = "content_check", _("content check")
        SUPERVISE = "supervise", _("supervise (overdue)")
        CLOSE = "close", _("close (not verified in time)")
        RATE = "rate", _("rate")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events",
                               verbose_name=_("report"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("actor"))
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16)
    level = models.CharField(_("level"), max_length=16, choices=ReportLevel.choices)
    note = models.TextField(_("note"), blank=True)
    # The department the event concerns (dispatched to, returned by, resolved by): what the
    # department evaluation counts, kept even after the report moves on.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("department"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["report", "at"], name="reportevent_report_idx")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


# --- Dispatch: responsibility and notifications --------------------------------------------


class Responsibility(models.Model):
    """Which department handles a category in a region (DEMO.md "handled by"). On accept
    the workflow walks up from the report's region and suggests the nearest one."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE,
                                 related_name="responsibilities", verbose_name=_("category"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="responsibilities",
                               verbose_name=_("region"))
    department = models.ForeignKey(Department, on_delete=models.CASCADE,
                                   related_name="responsibilities", verbose_name=_("department"))

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        ordering = ["category", "region"]
        constraints = [
            models.UniqueConstraint(fields=["category", "region"],
                                    name="responsibility_one_per_category_region"),
        ]

    def __str__(self) -> str:
        return f"{self.category} @ {self.region} → {self.department}"


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

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="notification_pending_idx",
                         condition=Q(status="pending")),
        ]
        constraints = [
            models.CheckConstraint(name="notification_status_valid", condition=Q(
                status__in=["pending", "sent", "given_up", "refused"])),
            models.UniqueConstraint(fields=["event", "recipient", "kind"],
                                    name="notification_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.status})"
