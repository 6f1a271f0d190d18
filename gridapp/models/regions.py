"""The administrative divisions (12-digit statistical codes) and the departments that
belong to them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .. import divisions


class Region(models.Model):
    """An administrative division, identified by its 12-digit statistical code.

    The code nests (province 2 digits, city 2, county 2, township 3, village 3), so every
    descendant of a region shares its `prefix`: "everything under this district" is one
    range on an indexed code column (`gridapp.divisions`).
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        STREET = "street", _("street")
        COMMUNITY = "community", _("community")

    PREFIX_LENGTH = divisions.PREFIX_LENGTH

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
        return divisions.prefix(self.code, self.level)

    def contains(self, other: "Region") -> bool:
        return divisions.is_under(other.code, self.prefix)

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
