from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    verbose_name = _("payroll")
    name = "payroll"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gridapp import home

        from .home import stipend

        home.register(stipend)  # the leader's stipend on the mini-program's home screen
