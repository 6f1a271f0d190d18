"""Scorecards (docs/api.md "Evaluation"): the query, the publishing body and the rows."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gridapp.models import Region, Scorecard, ScorecardLine
from gridapp.selectors.evaluations import Period, parse_period


class PeriodField(serializers.CharField):
    """2026-11 (a month), 2026-Q4 (a quarter) or 2026 (a year)."""

    def to_internal_value(self, data) -> Period:
        period = parse_period(super().to_internal_value(data))
        if period is None:
            raise serializers.ValidationError(
                _("A period is a month (2026-11), a quarter (2026-Q4) or a year (2026)."))
        return period


class ScorecardQuerySerializer(serializers.Serializer):
    period = PeriodField(help_text="2026-11, 2026-Q4 or 2026")
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    version = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000,
                                       help_text="an earlier publication; default the latest")


class ScorecardPublishSerializer(serializers.Serializer):
    period = PeriodField(help_text="2026-11, 2026-Q4 or 2026")
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())


class ScorecardSerializer(serializers.ModelSerializer):
    """One department's figures (docs/evaluation.md); rates and hours as strings."""

    department_name = serializers.CharField(source="department.name", read_only=True)
    region = serializers.IntegerField(source="publication.region_id", read_only=True)
    period = serializers.CharField(source="publication.period", read_only=True)
    version = serializers.IntegerField(source="publication.version", read_only=True)
    published_at = serializers.DateTimeField(source="publication.published_at", read_only=True)

    class Meta:
        model = Scorecard
        fields = ["id", "department", "department_name", "region", "period", "reports",
                  "response_hours_median", "response_hours_p90", "effect_rate",
                  "on_time_rate", "rating_mean", "returns", "reopens", "quadrant",
                  "too_few_reports", "version", "published_at"]


class ScorecardLineSerializer(serializers.ModelSerializer):
    """A report behind a scorecard and what it contributed to each figure."""

    number = serializers.CharField(source="report.number", read_only=True)

    class Meta:
        model = ScorecardLine
        fields = ["report", "number", "dispatched_at", "started_at", "response_hours",
                  "effective", "on_time", "rating", "returns", "reopens"]
