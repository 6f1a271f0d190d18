from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridapp.models import Department, Grid, GridMembership, Invite, LeaderTerm, Region

# The back office is where an administrator sets up a city; it says so in its own name
# instead of Django's (all three are translated: zh-hans by default).
admin.site.site_header = _("Grid Link administration")
admin.site.site_title = _("Grid Link")
admin.site.index_title = _("Regions, grids, categories, departments and stipends")


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


class GridForm(forms.ModelForm):
    """The boundary is typed in as GeoJSON: say how, since a wrong one is refused."""

    class Meta:
        model = Grid
        fields = "__all__"
        help_texts = {"boundary": _(
            'A GeoJSON Polygon in GCJ-02 (the datum of Chinese maps): one closed ring of '
            '[longitude, latitude] positions whose last position repeats the first, e.g. '
            '{"type": "Polygon", "coordinates": [[[109.112, 21.482], [109.114, 21.482], '
            '[109.114, 21.484], [109.112, 21.484], [109.112, 21.482]]]}')}
        widgets = {"boundary": forms.Textarea(attrs={"rows": 6, "cols": 80})}


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    form = GridForm
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

