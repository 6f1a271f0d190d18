"""Back-office roles with their scope (residents and leaders get theirs from memberships
and leader terms instead); `gridapp.selectors.roles` reads them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .regions import Department, Region


class StaffRole(models.Model):
    """A back-office role with its scope: a region for dispatchers and finance, a
    department for handlers. Residents and leaders get their roles from grid
    memberships and leader terms instead."""

    class Role(models.TextChoices):
        DISPATCHER = "dispatcher", _("command-centre dispatcher")
        HANDLER = "handler", _("department handler")
        FINANCE = "finance", _("finance staff")
        ADMIN = "admin", _("administrator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("region"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="staff_roles",
                                   verbose_name=_("department"))

    class Meta:
        db_table = "accounts_staffrole"  # where it lived before roles became gridapp's
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.CheckConstraint(
                name="staffrole_scope_matches_role",
                condition=(
                    Q(role__in=["dispatcher", "finance"], region__isnull=False, department__isnull=True)
                    | Q(role="handler", department__isnull=False, region__isnull=True)
                    | Q(role="admin", department__isnull=True)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region or self.department or ''}"
