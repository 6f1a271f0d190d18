from django.contrib import admin

from .models import Department, Grid, GridMembership, Invite, LeaderTerm, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]


class LeaderTermInline(admin.TabularInline):
    model = LeaderTerm
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community"]
    list_filter = ["community"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["community"]
    inlines = [LeaderTermInline]


@admin.register(GridMembership)
class GridMembershipAdmin(admin.ModelAdmin):
    list_display = ["grid", "user", "member_type", "status", "created_at"]
    list_filter = ["status", "member_type"]
    search_fields = ["grid__code", "user__display_name"]
    autocomplete_fields = ["grid", "user"]
    readonly_fields = ["invite", "decided_at", "decided_by"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["grid", "created_by", "created_at", "expires_at", "used_at"]
    readonly_fields = ["code", "created_by", "expires_at", "used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # leaders create invites through the API


from . import report_admin  # noqa: E402,F401  (categories, reports, photos)
