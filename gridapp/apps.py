from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridappConfig(AppConfig):
    verbose_name = _("grids")
    name = "gridapp"
    default_auto_field = "django.db.models.BigAutoField"
