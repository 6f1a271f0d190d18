from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    verbose_name = _("payroll")
    name = "payroll"
    default_auto_field = "django.db.models.BigAutoField"
