"""The finance back office: policies, runs with their lines and history, and the run
transitions as admin actions. Actions call the same services as the API, so the same
roles, statuses and maker-checker rule apply; nothing here edits a run directly."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.admin_base import ReadOnlyAdmin, ReadOnlyInline
from config.api.errors import DomainError

from . import selectors, services
from .models import (Adjustment, BankAccount, BankAccountChange, Payment, Run, RunEvent,
                     RunExport, RunLine, StipendPolicy, Suspension)

INLINE_LINES_MAX = 200  # beyond this the run page links to the paginated line list


class PolicyForm(forms.ModelForm):
    """A new policy, checked by `services.validate_policy` (finance over the region, no
    retroactive start) so that its errors show on the form."""

    POLICY_FIELDS = ["region", "effective_from", "monthly_amount", "withholding_percent"]

    class Meta:
        model = StipendPolicy
        fields = ["region", "effective_from", "monthly_amount", "withholding_percent"]

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk is None and all(data.get(f) is not None for f in self.POLICY_FIELDS):
            try:
                services.validate_policy(**{f: data[f] for f in self.POLICY_FIELDS},
                                         actor=self.actor)
            except DomainError as exc:
                raise forms.ValidationError(str(exc.detail))
        return data


@admin.register(StipendPolicy)
class StipendPolicyAdmin(admin.ModelAdmin):
    """A policy is never edited once made: a change is a new policy from a later month,
    made through `services.create_policy` like every other."""

    form = PolicyForm
    list_display = ["region", "effective_from", "monthly_amount", "withholding_percent",
                    "proration", "created_by"]
    list_select_related = ["region", "created_by"]
    search_fields = ["region__name", "region__code"]
    autocomplete_fields = ["region"]

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [*PolicyForm.Meta.fields, "proration", "created_by", "created_at"] if obj else []

    def save_model(self, request: HttpRequest, obj: StipendPolicy, form, change: bool) -> None:
        if not change:
            created = services.create_policy(
                **{f: form.cleaned_data[f] for f in PolicyForm.POLICY_FIELDS}, actor=request.user)
            obj.pk = created.pk


class LineInline(ReadOnlyInline):
    model = RunLine
    fields = ["kind", "leader", "grid", "days_served", "base", "withheld", "adjustments", "net",
              "suspended", "note"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[RunLine]:
        return super().get_queryset(request).select_related("leader", "grid")


class EventInline(ReadOnlyInline):
    model = RunEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "total", "line_count", "note"]
    readonly_fields = fields


class RunActionForm(helpers.ActionForm):
    reason = forms.CharField(label=_("Reason (reject, cancel)"), required=False)


def _run_action(name: str, description: str,
                call: Callable[[Run, HttpRequest], Run]) -> Callable:
    """An admin action applying one service to each selected run, reporting each result."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, runs: QuerySet[Run]) -> None:
        for run in runs:
            try:
                call(run, request)
            except DomainError as exc:
                modeladmin.message_user(request, f"{run.number}: {exc.detail}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{run.number}: {description}", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description)(action)


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "")


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ["number", "period_label", "region", "status", "total", "line_count",
                    "prepared_by", "submitted_by", "approved_by"]
    list_filter = ["status", "period"]
    search_fields = ["number", "region__name", "region__code"]
    readonly_fields = ["number", "period_label", "region", "status", "total", "total_base",
                       "total_withheld", "total_adjustments", "line_count", "lines_link",
                       "prepared_by", "prepared_at", "submitted_by", "submitted_at",
                       "approved_by", "approved_at", "paid_by", "paid_at"]
    fields = readonly_fields
    action_form = RunActionForm
    actions = [
        _run_action("submit", _("Submit for approval"),
                    lambda run, request: services.submit_run(run, actor=request.user)),
        _run_action("approve", _("Approve"),
                    lambda run, request: services.approve_run(run, actor=request.user)),
        _run_action("reject", _("Reject (back to draft, with the reason)"),
                    lambda run, request: services.reject_run(run, actor=request.user,
                                                              reason=_reason(request))),
        _run_action("mark_paid", _("Mark paid"),
                    lambda run, request: services.mark_run_paid(run, actor=request.user)),
        _run_action("regenerate", _("Regenerate the draft"),
                    lambda run, request: services.regenerate_run(run, actor=request.user)),
        _run_action("cancel", _("Cancel"),
                    lambda run, request: services.cancel_run(run, actor=request.user,
                                                             reason=_reason(request))),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Run]:
        return selectors.visible_runs(request.user)

    def get_inlines(self, request: HttpRequest, obj: Run | None) -> list:
        if obj is not None and obj.line_count <= INLINE_LINES_MAX:
            return [LineInline, EventInline]
        return [EventInline]

    @admin.display(description=_("period"), ordering="period")
    def period_label(self, run: Run) -> str:
        return run.period_label

    @admin.display(description=_("lines"))
    def lines_link(self, run: Run) -> str:
        url = reverse("admin:payroll_runline_changelist") + f"?run__id__exact={run.pk}"
        return format_html('<a href="{}">{}</a>', url, _("All %(count)s lines") % {
            "count": run.line_count})


@admin.register(RunLine)
class RunLineAdmin(ReadOnlyAdmin):
    list_display = ["run", "kind", "leader", "grid", "days_served", "base", "withheld",
                    "adjustments", "net", "suspended"]
    list_filter = ["kind", "suspended"]
    list_select_related = ["run", "leader", "grid"]
    search_fields = ["leader__display_name", "leader__username", "grid__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RunLine]:
        runs = selectors.visible_runs(request.user).values("pk")
        return super().get_queryset(request).filter(run__in=runs)


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["leader", "period", "grid", "amount", "reason", "prepared_by",
                    "approved_by", "approved_at", "withdrawn_at"]
    list_select_related = ["leader", "grid", "prepared_by", "approved_by"]
    search_fields = ["leader__username", "leader__display_name", "reason"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Adjustment]:
        return selectors.visible_adjustments(request.user)


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    list_display = ["leader", "period", "reason", "created_by", "created_at", "lifted_by",
                    "lifted_at"]
    search_fields = ["leader__username", "leader__display_name", "reason"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Suspension]:
        return selectors.visible_suspensions(request.user)


@admin.register(RunExport)
class RunExportAdmin(ReadOnlyAdmin):
    list_display = ["run", "format", "sha256", "size", "created_by", "created_at"]
    exclude = ["content"]
    list_select_related = ["run", "created_by"]
    search_fields = ["run__number", "sha256", "created_by__display_name",
                     "created_by__username"]


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    """Read-only: bank details change only through an approved bank account change
    (POST /api/v1/payroll/bank-account-changes/, then another person approves)."""

    list_display = ["leader", "account_name", "bank_name", "masked_number", "updated_at"]
    search_fields = ["leader__username", "leader__display_name", "account_name"]
    exclude = ["account_number"]
    readonly_fields = ["masked_number"]

    @admin.display(description=_("account number"))
    def masked_number(self, account: BankAccount) -> str:
        return account.masked_number


@admin.register(BankAccountChange)
class BankAccountChangeAdmin(ReadOnlyAdmin):
    """Every bank account's history: who asked for what, who decided, what it replaced."""

    list_display = ["leader", "account_name", "bank_name", "status", "requested_by",
                    "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["leader", "requested_by", "decided_by"]
    search_fields = ["leader__username", "leader__display_name", "account_name"]
    exclude = ["account_number", "previous_account_number"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BankAccountChange]:
        return selectors.visible_bank_account_changes(request.user)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["run", "position", "leader", "amount", "shortfall", "account_name"]
    list_select_related = ["run", "leader"]
    search_fields = ["leader__username", "leader__display_name", "account_name", "run__number"]
    exclude = ["account_number"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        runs = selectors.visible_runs(request.user).values("pk")
        return super().get_queryset(request).filter(run__in=runs)


from .yearend import admin as year_end_admin  # noqa: E402, F401  (registers its pages)
