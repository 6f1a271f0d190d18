"""Input and output shapes of docs/api.md "Payroll". Money is a two-decimal string; a period
is "YYYY-MM"; people, grids and regions are ids, with their names beside them."""

import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from gridapp.api.serializers.fields import RegionField
from gridapp.models import Grid

from ..bank_templates import TEMPLATES
from ..models import (Adjustment, BankAccountChange, Payment, Run, RunEvent, RunLine, Suspension,
                      mask_account_number)
from ..money import format_period, parse_period


def Money(**kwargs) -> serializers.DecimalField:  # noqa: N802 (reads like a field class)
    return serializers.DecimalField(max_digits=13, decimal_places=2, coerce_to_string=True,
                                    **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class PeriodField(serializers.Field):
    default_error_messages = {"invalid": _("A period is written YYYY-MM, e.g. 2026-11.")}

    def to_representation(self, value: dt.date) -> str:
        return format_period(value)

    def to_internal_value(self, data: object) -> dt.date:
        try:
            return parse_period(str(data))
        except ValueError:
            self.fail("invalid")


class RunCreateSerializer(serializers.Serializer):
    period = PeriodField()
    region = RegionField()


# --- list filters: the query string, validated; a malformed value is 400 naming it -------


class RunFilterSerializer(serializers.Serializer):
    period = PeriodField(required=False)
    region = RegionField(required=False)
    status = serializers.ChoiceField(choices=Run.Status.choices, required=False)


class AdjustmentFilterSerializer(serializers.Serializer):
    leader = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class MyPayrollFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=dt.MINYEAR, max_value=dt.MAXYEAR, required=False)


class ReasonSerializer(serializers.Serializer):
    """`reason` (`note` is accepted too, as for reports)."""

    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @property
    def reason_text(self) -> str:
        return self.validated_data.get("reason") or self.validated_data.get("note") or ""


class RunSerializer(serializers.ModelSerializer):
    period = PeriodField()
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    total = Money()
    total_base = Money()
    total_withheld = Money()
    total_adjustments = Money()
    total_carried = Money()
    prepared_by_name = serializers.SerializerMethodField()
    approved_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ["id", "number", "period", "region", "region_code", "region_name", "status",
                  "total", "total_base", "total_withheld", "total_adjustments",
                  "total_carried", "line_count", "payment_count",
                  "prepared_by", "prepared_by_name", "prepared_at", "submitted_by",
                  "submitted_at", "approved_by", "approved_by_name", "approved_at", "paid_by",
                  "paid_at", "created_at"]
        read_only_fields = fields

    def get_prepared_by_name(self, run: Run) -> str | None:
        return str(run.prepared_by) if run.prepared_by else None

    def get_approved_by_name(self, run: Run) -> str | None:
        return str(run.approved_by) if run.approved_by else None


class LineSerializer(serializers.ModelSerializer):
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True, default=None)
    monthly_amount = Money()
    base = Money()
    withheld = Money()
    adjustments = Money()
    net = Money()

    class Meta:
        model = RunLine
        fields = ["id", "kind", "leader", "leader_name", "grid", "grid_code", "days_served",
                  "days_in_month", "monthly_amount", "withholding_percent", "base", "withheld",
                  "adjustments", "net", "suspended", "note", "adjustment"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """One line of the bank file. Bank details are the copy made at approval (empty
    before), the account number masked."""

    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    amount = Money()
    shortfall = Money()
    account_number = serializers.CharField(source="masked_number", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "position", "leader", "leader_name", "grid", "grid_code", "amount",
                  "shortfall", "line_count", "days_served", "account_name", "bank_name",
                  "account_number"]
        read_only_fields = fields


class ExportQuerySerializer(serializers.Serializer):
    template = serializers.ChoiceField(choices=sorted(TEMPLATES), default="standard")


class RunCreatedSerializer(RunSerializer):
    """The new run with its first page of lines; `lines_next` continues the list."""

    lines = serializers.SerializerMethodField()
    lines_next = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "lines", "lines_next"]
        read_only_fields = fields

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, run: Run) -> list[dict]:
        return LineSerializer(self.context["lines"], many=True).data

    def get_lines_next(self, run: Run) -> str | None:
        return self.context.get("lines_next")


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    total = Money()

    class Meta:
        model = RunEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "actor_name", "at",
                  "total", "line_count", "note"]
        read_only_fields = fields

    def get_actor_name(self, event: RunEvent) -> str | None:
        return str(event.actor) if event.actor else None


class MyLineSerializer(LineSerializer):
    run = serializers.IntegerField(source="run_id", read_only=True)
    run_number = serializers.CharField(source="run.number", read_only=True)
    run_status = serializers.CharField(source="run.status", read_only=True)
    period = PeriodField(read_only=True)

    class Meta(LineSerializer.Meta):
        fields = ["run", "run_number", "run_status", "period",
                  *(f for f in LineSerializer.Meta.fields if f not in ("leader", "leader_name"))]
        read_only_fields = fields


class MyPayrollSerializer(serializers.Serializer):
    lines = MyLineSerializer(many=True)
    year_end_shares = serializers.ListField(child=serializers.DictField())


class AdjustmentCreateSerializer(serializers.Serializer):
    leader = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    period = PeriodField()
    # Any number of decimal places reaches the service, which answers a fraction of a fen
    # with its own code (amount_invalid) rather than the generic one.
    amount = serializers.DecimalField(max_digits=20, decimal_places=None, coerce_to_string=True,
                                      help_text="yuan, whole fen")
    reason = serializers.CharField(max_length=2000)
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.all(), required=False,
                                              allow_null=True, default=None)


class AdjustmentSerializer(serializers.ModelSerializer):
    period = PeriodField()
    amount = Money()
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    status = serializers.SerializerMethodField()
    run = serializers.SerializerMethodField()

    class Meta:
        model = Adjustment
        fields = ["id", "leader", "leader_name", "period", "grid", "grid_code", "amount",
                  "reason", "status", "run", "prepared_by", "created_at", "approved_by",
                  "approved_at", "withdrawn_by", "withdrawn_at", "withdrawal_reason"]
        read_only_fields = fields

    def get_status(self, adjustment: Adjustment) -> str:
        """pending (waiting for a run) → in_run → approved (with the run); or withdrawn."""
        if adjustment.approved_by_id:
            return "approved"
        if adjustment.withdrawn_at:
            return "withdrawn"
        return "in_run" if self.get_run(adjustment) else "pending"

    def get_run(self, adjustment: Adjustment) -> int | None:
        return getattr(adjustment, "run_id", None)


class SuspensionCreateSerializer(serializers.Serializer):
    leader = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    period = PeriodField()
    reason = serializers.CharField(max_length=255)


class SuspensionSerializer(serializers.ModelSerializer):
    period = PeriodField()
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)

    class Meta:
        model = Suspension
        fields = ["id", "leader", "leader_name", "period", "reason", "created_by", "created_at",
                  "active", "lifted_by", "lifted_at", "lift_reason"]
        read_only_fields = fields


class BankAccountChangeCreateSerializer(serializers.Serializer):
    leader = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    # Blank reaches the service, which names what is missing (bank_details_required).
    account_name = serializers.CharField(max_length=64, allow_blank=True)
    bank_name = serializers.CharField(max_length=128, allow_blank=True)
    account_number = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=255)


class BankAccountChangeSerializer(serializers.ModelSerializer):
    """A request and its decision; account numbers masked (the full one reaches only the
    bank file of finance staff allowed to see it)."""

    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    account_number = serializers.SerializerMethodField()
    previous_account_number = serializers.SerializerMethodField()

    class Meta:
        model = BankAccountChange
        fields = ["id", "leader", "leader_name", "account_name", "bank_name", "account_number",
                  "reason", "status", "requested_by", "requested_at", "decided_by",
                  "decided_at", "decision_note", "previous_account_name",
                  "previous_bank_name", "previous_account_number"]
        read_only_fields = fields

    def get_account_number(self, change: BankAccountChange) -> str:
        return mask_account_number(change.account_number)

    def get_previous_account_number(self, change: BankAccountChange) -> str:
        return mask_account_number(change.previous_account_number)
