from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import StaffRole, User


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 0
    autocomplete_fields = ["region", "department"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "phone_masked", "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = [*BaseUserAdmin.fieldsets, (_("Grid Link"), {"fields": ["display_name", "phone"]})]
    inlines = [StaffRoleInline]

    @admin.display(description=_("phone"))
    def phone_masked(self, user: User) -> str | None:
        return user.phone_masked


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "department"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "region", "department"]
