from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridappConfig(AppConfig):
    verbose_name = _("grids")
    name = "gridapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.authentication import annotate_user

        from .selectors.roles import TOKEN_WITH_USER

        # `selectors.roles` reads the token on every scoped request: with the user, it
        # costs no query of its own.
        annotate_user(*TOKEN_WITH_USER)
