"""The token that tells every process its in-process grid index is out of date."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GridIndexVersion(models.Model):
    """One row (id 1) whose `token` the database itself changes, by trigger, with every
    insert, update or delete on the grid table, whoever writes it: the admin, a service,
    a bulk load, another process or a migration.

    `selectors.grid_index` reads it before each locate (one primary-key read) and
    rebuilds its index when it differs. The token is random rather than a counter: a
    rolled-back edit restores the old token, and a counter would then hand the same
    number to the next, different edit, so that an index built inside the rolled-back
    transaction could pass for current.
    """

    token = models.BigIntegerField(_("token"), default=0)

    class Meta:
        verbose_name = _("grid index version")
        verbose_name_plural = _("grid index versions")
