"""The year-end distributions in the back office: read only, with their shares, appeals
and history; the transitions are admin actions calling the same services as the API
(publish, decide appeals and create through the API)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from config.admin_base import ReadOnlyAdmin, ReadOnlyInline

from ..admin import INLINE_LINES_MAX, RunActionForm, _reason, _run_action
from . import selectors, services
from .models import Appeal, Distribution, DistributionEvent, Share


class ShareInline(ReadOnlyInline):
    model = Share
    fields = ["leader", "grid", "days_served", "score", "amount"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Share]:
        return super().get_queryset(request).select_related("leader", "grid")


class AppealInline(ReadOnlyInline):
    model = Appeal
    fields = ["leader", "reason", "status", "created_at", "decided_by", "decision_note"]
    readonly_fields = fields


class DistributionEventInline(ReadOnlyInline):
    model = DistributionEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "pool", "note"]
    readonly_fields = fields


@admin.register(Distribution)
class DistributionAdmin(ReadOnlyAdmin):
    list_display = ["number", "year", "region", "status", "pool", "share_count",
                    "prepared_by", "submitted_by", "approved_by"]
    list_filter = ["status", "year"]
    search_fields = ["number", "region__name", "region__code"]
    readonly_fields = ["number", "year", "region", "status", "as_of", "withheld_pool",
                       "extra_pool", "pool", "share_count", "payment_count", "policy",
                       "publish_days", "published_at", "notice_ends_at", "prepared_by",
                       "prepared_at", "submitted_by", "submitted_at", "approved_by",
                       "approved_at", "paid_by", "paid_at"]
    fields = readonly_fields
    action_form = RunActionForm
    actions = [
        _run_action("submit", _("Submit for approval"),
                    lambda d, request: services.submit_distribution(d, actor=request.user)),
        _run_action("approve", _("Approve"),
                    lambda d, request: services.approve_distribution(d, actor=request.user)),
        _run_action("mark_paid", _("Mark paid"),
                    lambda d, request: services.mark_distribution_paid(d, actor=request.user)),
        _run_action("cancel", _("Cancel"),
                    lambda d, request: services.cancel_distribution(d, actor=request.user,
                                                                    reason=_reason(request))),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Distribution]:
        return selectors.visible_distributions(request.user)

    def get_inlines(self, request: HttpRequest, obj: Distribution | None) -> list:
        if obj is not None and obj.share_count <= INLINE_LINES_MAX:
            return [ShareInline, AppealInline, DistributionEventInline]
        return [AppealInline, DistributionEventInline]
