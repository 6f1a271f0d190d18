from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from config.admin_base import ReadOnlyAdmin, ReadOnlyInline
from config.api.errors import DomainError
from gridapp.models import Department, Grid, GridEvent, GridMembership, Invite, LeaderTerm, Region
from gridapp.services import leaders

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


class LeaderTermInline(ReadOnlyInline):
    model = LeaderTerm
    fields = ["user", "start_date", "end_date"]
    show_change_link = True


class GridEventInline(ReadOnlyInline):
    model = GridEvent
    fields = ["at", "action", "subject", "actor", "note"]


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
    inlines = [LeaderTermInline, GridEventInline]

    def get_inlines(self, request: HttpRequest, obj=None) -> list:
        return self.inlines if obj else []  # a new grid has no terms or history yet


class AppointForm(forms.ModelForm):
    """A new term through `leaders.appoint_leader`: an open term of the grid that started
    earlier is handed over (ended the day before)."""

    note = forms.CharField(label=_("note"), required=False, max_length=500)

    class Meta:
        model = LeaderTerm
        fields = ["grid", "user", "start_date"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("grid") and data.get("start_date"):
            try:
                leaders.check_appointment(data["grid"], data["start_date"])
            except DomainError as error:
                raise ValidationError(str(error.detail)) from error
        return data

    def _post_clean(self) -> None:
        """Only fill the instance: the model's own overlap check would refuse the handover
        that `appoint_leader` performs, and the service checks again with the grid locked."""
        forms.models.construct_instance(self, self.instance, self._meta.fields)


class EndTermForm(forms.ModelForm):
    note = forms.CharField(label=_("note"), required=False, max_length=500)

    class Meta:
        model = LeaderTerm
        fields = ["end_date"]

    def clean_end_date(self):
        end_date = self.cleaned_data["end_date"]
        if end_date is None:
            raise ValidationError(_("Give the last day served."))
        if end_date < self.instance.start_date:
            raise ValidationError(_("A term cannot end before it starts."))
        return end_date


@admin.register(LeaderTerm)
class LeaderTermAdmin(admin.ModelAdmin):
    """Leaders are appointed and terms ended here, through the services, which write the
    grid's history; a term is never deleted (payroll pays by it) and an ended one is read
    only."""

    list_display = ["grid", "user", "start_date", "end_date"]
    list_filter = ["end_date"]
    search_fields = ["grid__code", "user__display_name", "user__username"]
    autocomplete_fields = ["grid", "user"]
    date_hierarchy = "start_date"

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        return super().get_form(request, obj, change=change,
                                form=EndTermForm if obj else AppointForm, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["grid", "user", "start_date", "end_date", "note"] if obj else \
            ["grid", "user", "start_date", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["grid", "user", "start_date"] if obj else []

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None
                                                                or obj.end_date is None)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LeaderTerm, form, change: bool) -> None:
        note = form.cleaned_data.get("note", "")
        if change:
            ended = leaders.end_term(LeaderTerm.objects.get(pk=obj.pk), actor=request.user,
                                     end_date=obj.end_date, note=note)
        else:
            ended = leaders.appoint_leader(obj.grid, obj.user, start_date=obj.start_date,
                                           actor=request.user, note=note)
        obj.pk, obj.end_date = ended.pk, ended.end_date


@admin.register(GridMembership)
class GridMembershipAdmin(ReadOnlyAdmin):
    """Read only: residents join through invites and leaders decide in the mini-program
    (gridapp.services.memberships), each step in the grid's history."""

    list_display = ["grid", "user", "member_type", "status", "created_at", "decided_by"]
    list_filter = ["status", "member_type"]
    search_fields = ["grid__code", "user__display_name", "user__username"]


@admin.register(GridEvent)
class GridEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "grid", "action", "subject", "actor", "note"]
    list_filter = ["action"]
    search_fields = ["grid__code", "subject__display_name", "actor__display_name"]
    date_hierarchy = "at"


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["grid", "created_by", "created_at", "expires_at", "used_at"]
    list_select_related = ["grid", "created_by"]
    search_fields = ["grid__code", "grid__name", "created_by__display_name",
                     "created_by__username"]
    readonly_fields = ["code", "created_by", "expires_at", "used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # leaders create invites through the API

