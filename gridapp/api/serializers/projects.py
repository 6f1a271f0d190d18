"""Bodies and answers of the governance project endpoints and of the map's clusters."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import IdField
from gridapp.models import Project, Report

from .fields import RegionField
from .reports import CategoryField, MapReportsQuerySerializer
from .workflow import DepartmentField


class ProjectCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=128)
    category = CategoryField()
    region = RegionField()
    department = DepartmentField()
    goal = serializers.CharField(max_length=2000)
    report_ids = serializers.ListField(child=IdField(), max_length=1000, default=list)


class ProjectFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Project.Status.choices, required=False)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                    default="")


class ProjectReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "number", "status", "level", "created_at"]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer):
    """A project in a list: what it is about, where, who owns it, how far it is."""

    category_code = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.full_name", read_only=True)
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "title", "status", "category", "category_code", "category_name",
                  "region", "region_code", "region_name", "department", "department_name",
                  "goal", "outcome", "created_by", "created_at", "started_at", "completed_at",
                  "completed_by"]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    """A project with its reports and its outcome figures (`figures` from the context)."""

    reports = ProjectReportSerializer(many=True, read_only=True)
    figures = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "reports", "figures"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "properties": {
        name: {"type": "integer"} for name in ("reports", "open", "resolved", "joined_later")}})
    def get_figures(self, project: Project) -> dict:
        """reports; open; resolved (resolved or closed); joined_later (reports that joined
        by themselves after the project was made)."""
        return self.context["figures"]


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["region", "nearby"])
    category = serializers.IntegerField(source="category_id")
    region = serializers.IntegerField(source="region.pk")
    region_code = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    report_ids = serializers.ListField(child=serializers.IntegerField())
    count = serializers.SerializerMethodField()
    centroid = serializers.SerializerMethodField()
    radius_m = serializers.FloatField()

    def get_count(self, suggestion) -> int:
        return len(suggestion.report_ids)

    @extend_schema_field({"type": "object", "properties": {
        "lat": {"type": "number"}, "lng": {"type": "number"}}})
    def get_centroid(self, suggestion) -> dict:
        lat, lng = suggestion.centroid
        return {"lat": lat, "lng": lng}


class ClustersQuerySerializer(MapReportsQuerySerializer):
    zoom = serializers.IntegerField(min_value=0, max_value=22,
                                    help_text="the map's zoom level: clusters of about a "
                                              "quarter of a 256-pixel tile")
