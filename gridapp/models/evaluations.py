"""Department scorecards (四象限评价): published once, never changed.

A `Publication` is one publishing of a region's scorecards for a period; publishing the
same period again is a new publication with the next `version`. Each `Scorecard` holds a
department's figures, and its `ScorecardLine`s the facts of every report behind them as
they stood at publication, so that every figure is the aggregate of its lines. All three
tables are append-only, in the database itself (migration 0009's triggers).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .regions import Department, Region
from .reports import Report


class Publication(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    period = models.CharField(_("period"), max_length=7)  # 2026-11, 2026-Q4, 2026
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    version = models.PositiveIntegerField(_("version"))
    # The thresholds in force when published: the quadrants are reproducible from them.
    fast_hours = models.DecimalField(_("fast: median response hours at most"), max_digits=8,
                                     decimal_places=2)
    effect_rate = models.DecimalField(_("effective: effect rate at least"), max_digits=5,
                                      decimal_places=4)
    min_reports = models.PositiveIntegerField(_("fewest reports to be placed"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("scorecard publication")
        verbose_name_plural = _("scorecard publications")
        ordering = ["region", "period", "version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "period", "version"],
                                    name="publication_one_version"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.period} v{self.version}"


class Scorecard(models.Model):
    class Quadrant(models.TextChoices):
        A = "A", _("fast and effective")
        B = "B", _("slow but effective")
        C = "C", _("fast but ineffective")
        D = "D", _("slow and ineffective")

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT,
                                    related_name="scorecards", verbose_name=_("publication"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    reports = models.PositiveIntegerField(_("reports"))
    response_hours_median = models.DecimalField(_("median response hours"), max_digits=10,
                                                decimal_places=2, null=True)
    response_hours_p90 = models.DecimalField(_("90th percentile response hours"),
                                             max_digits=10, decimal_places=2, null=True)
    effect_rate = models.DecimalField(_("effect rate"), max_digits=5, decimal_places=4,
                                      null=True)
    on_time_rate = models.DecimalField(_("on-time rate"), max_digits=5, decimal_places=4,
                                       null=True)
    rating_mean = models.DecimalField(_("mean rating"), max_digits=3, decimal_places=2,
                                      null=True)
    returns = models.PositiveIntegerField(_("returns"))
    reopens = models.PositiveIntegerField(_("reopens"))
    quadrant = models.CharField(_("quadrant"), max_length=1, choices=Quadrant.choices,
                                null=True)
    too_few_reports = models.BooleanField(_("too few reports to be placed"))

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["publication", "department__code"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "department"],
                                    name="scorecard_one_per_department"),
            models.CheckConstraint(name="scorecard_quadrant_valid", condition=Q(
                quadrant__isnull=True) | Q(quadrant__in=["A", "B", "C", "D"])),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.publication}"


class ScorecardLine(models.Model):
    """One report behind a scorecard, with the facts it contributed at publication."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="lines",
                                  verbose_name=_("scorecard"))
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("report"))
    dispatched_at = models.DateTimeField(_("first dispatched in the period at"))
    started_at = models.DateTimeField(_("started at"), null=True)
    response_hours = models.DecimalField(_("response hours"), max_digits=10, decimal_places=2,
                                         null=True)
    effective = models.BooleanField(_("closed without a reopen or a return"))
    on_time = models.BooleanField(_("resolved on time"), null=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True)
    returns = models.PositiveIntegerField(_("returns"))
    reopens = models.PositiveIntegerField(_("reopens"))

    class Meta:
        verbose_name = _("scorecard line")
        verbose_name_plural = _("scorecard lines")
        ordering = ["scorecard", "report"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "report"],
                                    name="scorecardline_one_per_report"),
        ]
