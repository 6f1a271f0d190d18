"""Back office for scorecards: read only, as published (the database refuses any change)."""

from django.contrib import admin

from gridapp.models import Publication, Scorecard


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(ReadOnly):
    list_display = ["region", "period", "version", "published_by", "published_at"]
    list_filter = ["period"]
    list_select_related = ["region", "published_by"]


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnly):
    list_display = ["department", "publication", "reports", "response_hours_median",
                    "effect_rate", "quadrant"]
    list_filter = ["quadrant", "publication__period"]
    list_select_related = ["department", "publication__region"]
