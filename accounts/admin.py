from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "phone_masked", "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = [*BaseUserAdmin.fieldsets, (_("Grid Link"), {"fields": ["display_name", "phone"]})]

    @admin.display(description=_("phone"))
    def phone_masked(self, user: User) -> str | None:
        return user.phone_masked
