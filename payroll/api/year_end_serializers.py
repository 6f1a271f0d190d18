"""Input and output shapes of the year-end distribution (docs/api.md "Payroll", year-end
rows). Money and scores are decimal strings; `score_breakdown` lists every metric's raw
value, normalised value and weight."""

import datetime as dt
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..bank_templates import TEMPLATES
from ..yearend.models import Appeal, Distribution, DistributionEvent, Share, YearEndPayment
from . import serializers as base
from .serializers import Money, RegionField

BREAKDOWN_EXAMPLE = {
    "metrics": {"reports_filed": {"raw": "24", "normalised": "1.0000", "weight": "0.25"},
                "reopen_rate": {"raw": "0.0417", "normalised": "0.8000", "weight": "0.10"}},
    "composite": "0.6350", "days_served": 365, "days_in_year": 365, "eligible": True,
    "min_days": 0, "bound": None, "quota": "412.3456"}


class ErrorSerializer(serializers.Serializer):
    """The error body of every endpoint (docs/api.md "Errors")."""

    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(required=False)


class YearField(serializers.IntegerField):
    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=2000, max_value=dt.MAXYEAR, **kwargs)


class DistributionCreateSerializer(serializers.Serializer):
    year = YearField()
    region = RegionField()
    extra_pool = Money(min_value=Decimal("0.00"), max_value=Decimal("99999999999.99"),
                       required=False, default=Decimal("0.00"))


class DistributionFilterSerializer(serializers.Serializer):
    year = YearField(required=False)
    status = serializers.ChoiceField(choices=Distribution.Status.choices, required=False)


class PublishSerializer(serializers.Serializer):
    publish_days = serializers.IntegerField(min_value=0, max_value=30, required=False, default=7)


class AppealCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ExportQuerySerializer(serializers.Serializer):
    template = serializers.ChoiceField(choices=sorted(TEMPLATES), default="standard")


class ShareSerializer(serializers.ModelSerializer):
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    score = serializers.DecimalField(max_digits=12, decimal_places=6, coerce_to_string=True)
    score_breakdown = serializers.JSONField(source="breakdown")
    share = Money(source="amount")

    class Meta:
        model = Share
        fields = ["id", "leader", "leader_name", "leader_term", "grid", "grid_code",
                  "days_served", "score", "score_breakdown", "share"]
        read_only_fields = fields


class DistributionSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    pool = Money()
    withheld_pool = Money()
    extra_pool = Money()
    prepared_by_name = serializers.CharField(source="prepared_by.__str__", read_only=True)
    approved_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Distribution
        fields = ["id", "number", "year", "region", "region_code", "region_name", "status",
                  "pool", "withheld_pool", "extra_pool", "share_count", "payment_count",
                  "as_of", "policy", "publish_days", "published_by", "published_at",
                  "notice_ends_at", "prepared_by", "prepared_by_name", "prepared_at",
                  "submitted_by", "submitted_at", "approved_by", "approved_by_name",
                  "approved_at", "paid_by", "paid_at", "created_at"]
        read_only_fields = fields

    def get_approved_by_name(self, distribution: Distribution) -> str | None:
        return str(distribution.approved_by) if distribution.approved_by else None


class DistributionDetailSerializer(DistributionSerializer):
    """With the first page of shares (term order); `shares_next` continues the list."""

    shares = serializers.SerializerMethodField()
    shares_next = serializers.SerializerMethodField()

    class Meta(DistributionSerializer.Meta):
        fields = [*DistributionSerializer.Meta.fields, "shares", "shares_next"]
        read_only_fields = fields

    @extend_schema_field(ShareSerializer(many=True))
    def get_shares(self, distribution: Distribution) -> list[dict]:
        return ShareSerializer(self.context["shares"], many=True).data

    def get_shares_next(self, distribution: Distribution) -> str | None:
        return self.context.get("shares_next")


class YearEndPaymentSerializer(serializers.ModelSerializer):
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    amount = Money()
    account_number = serializers.CharField(source="masked_number", read_only=True)

    class Meta:
        model = YearEndPayment
        fields = ["id", "position", "leader", "leader_name", "grid", "grid_code", "amount",
                  "line_count", "days_served", "account_name", "bank_name", "account_number"]
        read_only_fields = fields


class AppealSerializer(serializers.ModelSerializer):
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)

    class Meta:
        model = Appeal
        fields = ["id", "distribution", "leader", "leader_name", "reason", "status",
                  "created_at", "decided_by", "decided_at", "decision_note"]
        read_only_fields = fields


class DistributionEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    pool = Money()

    class Meta:
        model = DistributionEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "actor_name", "appeal",
                  "at", "pool", "note"]
        read_only_fields = fields

    def get_actor_name(self, event: DistributionEvent) -> str | None:
        return str(event.actor) if event.actor else None


class MyShareSerializer(ShareSerializer):
    """A leader's own share, with the distribution it belongs to."""

    distribution = serializers.IntegerField(source="distribution_id", read_only=True)
    number = serializers.CharField(source="distribution.number", read_only=True)
    year = serializers.IntegerField(source="distribution.year", read_only=True)
    status = serializers.CharField(source="distribution.status", read_only=True)
    notice_ends_at = serializers.DateTimeField(source="distribution.notice_ends_at",
                                               read_only=True)

    class Meta(ShareSerializer.Meta):
        fields = ["distribution", "number", "year", "status", "notice_ends_at",
                  *(f for f in ShareSerializer.Meta.fields if f not in ("leader",
                                                                          "leader_name"))]
        read_only_fields = fields


class MyPayrollSerializer(base.MyPayrollSerializer):
    year_end_shares = MyShareSerializer(many=True)
