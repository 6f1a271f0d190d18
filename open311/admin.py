from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import keys
from .models import ApiKey, FiledRequest


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made here (or with `manage.py create_open311_key`): the key is shown once,
    in the message after saving; only its hash is kept. Revoking is the only change."""

    list_display = ["name", "prefix", "region", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    fields = ["name", "region", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None):
        return [*self.readonly_fields, "name", "region"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            return
        key, raw = keys.create_key(obj.name, region=obj.region)
        obj.pk, obj.prefix, obj.key_hash, obj.user_id = key.pk, key.prefix, key.key_hash, \
            key.user_id
        messages.warning(request, _("The key for %(name)s, shown only now: %(key)s")
                         % {"name": key.name, "key": raw})

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(FiledRequest)
class FiledRequestAdmin(admin.ModelAdmin):
    list_display = ["report", "key", "created_at", "media_url"]
    list_filter = ["key"]
    search_fields = ["report__number", "token"]
    readonly_fields = ["report", "key", "token", "media_url", "device_id", "account_id",
                       "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
