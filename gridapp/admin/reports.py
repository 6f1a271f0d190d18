"""Back office for categories, reports and photos: what an operator needs to find a
report (by date, grid, region, department, reporter, overdue) and to see it whole."""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gridapp import divisions
from gridapp.models import Category, Photo, Region, Report, ReportEvent


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


def thumbnail(photo: Photo) -> str:
    if not photo.thumbnail:
        return "—"
    return format_html('<a href="{}"><img src="{}" alt="{}" style="max-height:96px"></a>',
                       photo.image.url, photo.thumbnail.url, photo.get_kind_display())


class ReportPhotoInline(admin.TabularInline):
    """The report's photos, before and after, as thumbnails linking to the image."""

    model = Photo
    fk_name = "report"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["preview", "kind", "owner", "width", "height", "taken_at", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, photo: Photo) -> str:
        return thumbnail(photo)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def overdue_q(now) -> Q:
    """Open with its due time passed: the red of `Report.traffic_light`."""
    return Q(status__in=Report.OPEN_STATUSES, due_at__lt=now)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset: QuerySet[Report]) -> QuerySet[Report]:
        if self.value() == "yes":
            return queryset.filter(overdue_q(timezone.now()))
        if self.value() == "no":
            return queryset.exclude(overdue_q(timezone.now()))
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """Reports under a city, district or street (a community is its grids' filter)."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        regions = Region.objects.exclude(level=Region.Level.COMMUNITY).order_by("code")
        return [(r.code, f"{r.code} {r.name}") for r in regions]

    def queryset(self, request, queryset: QuerySet[Report]) -> QuerySet[Report]:
        region = Region.objects.filter(code=self.value()).first() if self.value() else None
        if region is None:
            return queryset
        return queryset.filter(divisions.under_q(
            "region_code", [divisions.prefix(region.code, region.level)]))


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the workflow services, not this form."""

    list_display = ["number", "category", "status", "level", "grid", "department", "due_at",
                    "is_overdue", "reporter", "created_at"]
    list_filter = ["status", "level", OverdueFilter, ("created_at", admin.DateFieldListFilter),
                   RegionFilter, ("grid", admin.RelatedOnlyFieldListFilter),
                   ("department", admin.RelatedOnlyFieldListFilter), "category",
                   "content_check", "location_suspect"]
    search_fields = ["number", "description", "address", "reporter__display_name",
                     "reporter__username"]
    date_hierarchy = "created_at"
    list_select_related = ["category__parent", "grid", "reporter", "department"]
    readonly_fields = [f.name for f in Report._meta.fields]
    inlines = [ReportPhotoInline, ReportEventInline]

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, report: Report) -> bool:
        return report.traffic_light() == "red"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "preview", "owner", "report", "kind", "width", "height", "taken_at",
                    "created_at"]
    list_filter = ["kind"]
    list_select_related = ["owner", "report"]
    search_fields = ["report__number", "owner__display_name", "owner__username", "sha256"]

    @admin.display(description=_("photo"))
    def preview(self, photo: Photo) -> str:
        return thumbnail(photo)
    raw_id_fields = ["owner", "report"]
    readonly_fields = [f.name for f in Photo._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """A report's photos are its evidence, and the report keeps their count and its
        thumbnail: no one deletes them here (unattached ones are swept by a task)."""
        return False
