"""Back office for the workflow: the responsibility table, and the notification outbox
to look at ."""

from django.contrib import admin

from gridapp.models import Notification, Responsibility


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    """Which department handles a category in a region: what `accept` suggests."""

    list_display = ["category", "region", "department"]
    list_filter = ["category", "department"]
    list_select_related = ["category__parent", "region", "department"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the workflow and finished by the senders."""

    list_display = ["id", "kind", "recipient", "report", "status", "attempts", "errcode",
                    "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["recipient", "report"]
    search_fields = ["report__number", "recipient__display_name", "recipient__username",
                     "errcode"]
    raw_id_fields = ["recipient", "report", "event"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
