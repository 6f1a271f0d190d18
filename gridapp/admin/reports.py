"""Back office for categories, reports and photos ."""

from django.contrib import admin

from gridapp.models import Category, Photo, Report, ReportEvent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "sla_hours_community", "sla_hours_street",
                    "sla_hours_district", "sla_hours_city", "duplicate_radius_m", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["code", "name"]


class ReportEventInline(admin.TabularInline):
    """The timeline is append-only: shown, never edited here."""

    model = ReportEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "from_status", "to_status", "level", "note", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the workflow services, not this form."""

    list_display = ["number", "category", "status", "level", "grid", "reporter", "created_at"]
    list_filter = ["status", "level", "category", "content_check", "location_suspect"]
    search_fields = ["number", "description", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["category__parent", "grid", "reporter"]
    readonly_fields = [f.name for f in Report._meta.fields]
    inlines = [ReportEventInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "report", "kind", "width", "height", "taken_at", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["owner", "report"]
    readonly_fields = [f.name for f in Photo._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
