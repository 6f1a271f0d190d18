"""Back-office roles: on their own list and inline on each user's page (the user admin
is accounts'; gridapp, which owns roles, adds the inline)."""

from django.contrib import admin

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.models import User
from gridapp.models import StaffRole


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 0
    autocomplete_fields = ["region", "department"]


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountsUserAdmin):
    inlines = [*AccountsUserAdmin.inlines, StaffRoleInline]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "department"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name"]
    autocomplete_fields = ["user", "region", "department"]
