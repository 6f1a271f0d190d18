"""Categories and who handles them, reports and their timeline."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .grids import Grid
from .regions import Department, Region


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


class Responsibility(models.Model):
    """Which department handles a category in a region (docs/demo.md "handled by"). On accept
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


class ReportCounter(models.Model):
    """The last report number handed out on a day: `number` = prefix + day + counter.
    The row is incremented with a conditional UPDATE, so two creates never share one."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("report counter")
        verbose_name_plural = _("report counters")


class Report(models.Model):
    """A problem someone saw, from submission to closing (the lifecycle of docs/api.md).

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
    # who called the 12345 hotline or wrote through Open311: shown to staff only, never
    # published
    caller_name = models.CharField(_("caller's name"), max_length=64, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=32, blank=True)
    caller_email = models.CharField(_("caller's e-mail"), max_length=254, blank=True)
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
    # the receiving (受理) deadline, set at submission; and the overall deadline from
    # submission, which escalation does not reset (docs/workflow.md)
    accept_due_at = models.DateTimeField(_("accept due at"), null=True, blank=True)
    # an extension (延期) the department asked for and the level's dispatcher has not
    # decided yet: one at a time; `due_at` moves only when it is approved
    extension_hours = models.PositiveSmallIntegerField(_("extension asked (hours)"), null=True,
                                                       blank=True)
    extension_requested_at = models.DateTimeField(_("extension asked at"), null=True,
                                                  blank=True)
    deadline_at = models.DateTimeField(_("overall deadline"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # the governance project the report belongs to (gridapp/models/projects.py)
    project = models.ForeignKey("gridapp.Project", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="reports", verbose_name=_("project"))
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="duplicates", verbose_name=_("duplicate of"))
    content_check = models.CharField(_("content check"), max_length=8,
                                     choices=ContentCheck.choices, default=ContentCheck.PENDING)
    photo_distance_m = models.FloatField(
        _("largest distance of a photo's EXIF point (m)"), null=True, blank=True)
    location_suspect = models.BooleanField(_("photo taken far from the point"), default=False)
    # What a page of reports shows of the photos, kept here by the two services that attach
    # them (intake's before photos, resolve's after photos): counted on every page, they
    # cost the list two subqueries, about 1 ms of a page's 7 (docs/performance.md).
    photo_count = models.PositiveIntegerField(_("photos"), default=0)
    thumbnail_name = models.CharField(_("first before photo's thumbnail"), max_length=255,
                                      blank=True, default="")
    # The workflow (gridapp.workflow): the department the responsibility table suggests on
    # accept, the SLA clock of the current level, the supervision flag, resolution and rating.
    suggested_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("suggested department"))
    # What a learned suggestion rests on ("8 of the last 10 went to X",
    # gridapp.selectors.routing); null when the suggestion is the responsibility table's.
    suggestion_evidence = models.JSONField(_("suggestion evidence"), null=True, blank=True)
    sla_started_at = models.DateTimeField(_("SLA clock started at"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Facts of the timeline kept on the report for the statistics, which would otherwise
    # join a year's events (docs/evaluation.md): written by `transitions.commit` with the
    # event, in the same UPDATE.
    accepted_at = models.DateTimeField(_("first accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened = models.BooleanField(_("reopened at least once"), default=False)
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
            # a command centre's queue: waiting (status) at its level under its region
            models.Index(fields=["level", "status", "region_code"], name="report_queue_idx"),
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

    # what `traffic_light` reads: load these (`.only(*Report.CLOCK_FIELDS)`) and no more
    CLOCK_FIELDS = ("status", "due_at", "sla_started_at", "accept_due_at", "created_at")

    def traffic_light(self, now: dt.datetime | None = None) -> str | None:
        """green while under 80 % of the level's SLA time is used, yellow up to 100 %,
        red past due; before the first accept, the same of the receiving time limit
        (`accept_due_at`); None when no clock runs (no longer open)."""
        started, due = self.sla_started_at, self.due_at
        if due is None and self.status == self.Status.SUBMITTED and self.accept_due_at:
            started, due = self.created_at, self.accept_due_at  # the receiving clock
        if due is None or started is None or self.status not in self.OPEN_STATUSES:
            return None
        total, used = due - started, (now or timezone.now()) - started
        if used > total:
            return "red"
        # used < 80 % of total, in whole microseconds (no float to round at the edge);
        # gridapp.selectors.reports.traffic_lights counts the same in SQL
        return "green" if 5 * used < 4 * total else "yellow"

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
        REQUEST_EXTENSION = "request_extension", _("request an extension")
        APPROVE_EXTENSION = "approve_extension", _("approve the extension")
        DENY_EXTENSION = "deny_extension", _("deny the extension")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events",
                               verbose_name=_("report"))
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
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
        indexes = [
            models.Index(fields=["report", "at"], name="reportevent_report_idx"),
            # the evaluation: a month's dispatches (scorecards), the dispatches and returns
            # of a year's reports (routing accuracy), without reading every event; on
            # PostgreSQL it carries the report and department, so routing reads it alone
            models.Index(fields=["action", "at"], include=["report", "department"],
                         name="reportevent_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
