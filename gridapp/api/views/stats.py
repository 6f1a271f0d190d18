"""The statistics overview: the reports the user sees, counted (docs/evaluation.md)."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.queries import validated_query
from config.api.replica import LagTolerantReads
from gridapp.api.serializers.stats import StatsQuerySerializer
from gridapp.selectors import stats

HOURS = inline_serializer("Hours", fields={"median": serializers.CharField(allow_null=True),
                                           "p90": serializers.CharField(allow_null=True)})
COUNTS = serializers.DictField(child=serializers.IntegerField())
OVERVIEW = inline_serializer("StatsOverview", fields={
    "total": serializers.IntegerField(), "by_status": COUNTS, "by_category": COUNTS,
    "by_level": COUNTS, "by_source": COUNTS, "response_hours": HOURS,
    "resolution_hours": HOURS, "on_time_rate": serializers.CharField(allow_null=True),
    "reopen_rate": serializers.CharField(allow_null=True),
    "trend": serializers.ListField(child=serializers.DictField()),
    "routing": serializers.DictField(), "from": serializers.DateField(),
    "to": serializers.DateField(), "region": serializers.IntegerField(allow_null=True)})
EXAMPLE = {
    "from": "2026-11-01", "to": "2026-11-30", "region": 3, "total": 42,
    "by_status": {"closed": 30, "dispatched": 8, "submitted": 4},
    "by_category": {"clutter": 25, "streetlight": 17}, "by_level": {"community": 38, "street": 4},
    "by_source": {"hotline": 6, "miniprogram": 36},
    "response_hours": {"median": "1.50", "p90": "20.00"},
    "resolution_hours": {"median": "30.25", "p90": "70.10"},
    "on_time_rate": "0.9333", "reopen_rate": "0.0333",
    "trend": [{"date": "2026-11-01", "submitted": 2, "closed": 1}],
    "routing": {"dispatches": 34, "returned": 2, "accuracy": "0.9412", "by_department": [
        {"department": "bh-lighting", "dispatches": 16, "returned": 1, "accuracy": "0.9375"}]}}


class StatsOverview(LagTolerantReads, APIView):
    """Counts and timings of the reports the user sees, submitted in a date range.

    Scoped like `GET /reports/`: a leader's grids, a dispatcher's regions, a department's
    reports. `response_hours` run from submission to the first accept, `resolution_hours`
    to resolving; `on_time_rate` and `reopen_rate` are over the reports resolved; `routing`
    is the share of dispatches the department did not return (docs/evaluation.md)."""

    @extend_schema(parameters=[StatsQuerySerializer], responses=OVERVIEW,
                   examples=[OpenApiExample("a street's November", response_only=True,
                                            value=EXAMPLE)])
    def get(self, request: Request) -> Response:
        """Statistics of the visible reports: by status, category, level and source, timings,
        rates, a daily trend and the routing accuracy."""
        query = validated_query(request, StatsQuerySerializer)
        region = query.get("region")
        figures = stats.overview_for(request.user, stats.Window(query["from"], query["to"]),
                                     region)
        return Response({"from": query["from"].isoformat(), "to": query["to"].isoformat(),
                         "region": region.pk if region else None, **figures})
