"""Governance projects (解决一个问题 → 治理一类问题): a class of problems in a region, taken
on as one piece of work by an owner department, with the reports that show it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .regions import Department, Region
from .reports import Category


class Project(models.Model):
    """Open, then in progress, then completed with an outcome. Reports join it when it is
    made (chosen by the dispatcher) and afterwards by themselves: a new report of its
    category under its region, while it is not completed (`Report.project`)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    LIVE = (Status.OPEN, Status.IN_PROGRESS)

    title = models.CharField(_("title"), max_length=128)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="projects",
                                 verbose_name=_("category"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="projects",
                               verbose_name=_("region"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT,
                                   related_name="projects", verbose_name=_("owner department"))
    goal = models.TextField(_("goal"), max_length=2000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    outcome = models.TextField(_("outcome"), max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("completed by"))

    class Meta:
        verbose_name = _("governance project")
        verbose_name_plural = _("governance projects")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["category", "status"], name="project_live_idx",
                                condition=Q(status__in=["open", "in_progress"]))]
        constraints = [models.CheckConstraint(
            name="project_status_valid",
            condition=Q(status__in=["open", "in_progress", "completed"]))]

    def __str__(self) -> str:
        return self.title
