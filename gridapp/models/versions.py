"""Tokens that the database itself changes, by trigger, so that what a process keeps in
memory (the grid index, users' roles) can tell with one cheap read whether it is current."""

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


class RolesVersion(models.Model):
    """Per user, a token the database changes, by trigger, with every write to what makes
    the user's roles: their staff roles, grid memberships and leader terms, and the
    community or code of a grid they lead or belong to.

    `selectors.roles` keeps recently loaded roles per process keyed by this token (one
    primary-key read per request instead of loading the roles). A user without a row has
    token 0: no role row of theirs was ever written, and their (empty) roles are loaded
    each time rather than kept. The migration gives every user who had roles a token. `user_id` is no
    foreign key on purpose: the trigger of a staff role deleted along with its user must
    not be refused for pointing at the user being deleted.
    """

    user_id = models.BigIntegerField(_("user id"), primary_key=True)
    token = models.BigIntegerField(_("token"), default=0)

    class Meta:
        verbose_name = _("roles version")
        verbose_name_plural = _("roles versions")
