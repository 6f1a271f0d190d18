from django.apps import AppConfig
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _


class GridappConfig(AppConfig):
    verbose_name = _("grids")
    name = "gridapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.authentication import annotate_user
        from accounts.models import User

        from .models import RolesVersion

        # `selectors.roles` reads the token on every scoped request: with the user, it
        # costs no query of its own. Written out: the ORM would compile a Subquery at every
        # authentication, 0.1 ms of CPU, as much as the query it saves (docs/performance.md).
        annotate_user("roles_token", RawSQL(
            f'SELECT token FROM "{RolesVersion._meta.db_table}"'
            f' WHERE user_id = "{User._meta.db_table}"."{User._meta.pk.column}"', (),
            output_field=BigIntegerField()))
