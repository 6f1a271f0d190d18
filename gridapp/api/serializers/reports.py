"""Input and output shapes of the photo, category, report and map endpoints
(docs/api.md)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer, brief
from config.api.fields import FiniteFloatField, IdField, datetime_text, parse_id
from gridapp import geo, lifecycle
from gridapp.models import Category, Grid, Photo, Region, Report, ReportEvent, ReportLevel
from gridapp.selectors import routing
from gridapp.selectors.reports import ReportFilter, reportable_categories
from gridapp.selectors.roles import roles_of

from .fields import IdOrCodeField, PointFields


class CategorySerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    sla_hours = serializers.SerializerMethodField()
    reportable = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "code", "name", "full_name", "parent", "sla_hours", "duplicate_radius_m",
                  "reportable"]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_sla_hours(self, category: Category) -> dict[str, int]:
        return {level: category.sla_hours(level) for level in ReportLevel.values}

    def get_reportable(self, category: Category) -> bool:
        """A report takes a category without children (read from `child_count`)."""
        return not category.child_count


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}],
                      "description": "a category id, or its code such as `streetlight`"})
class CategoryField(IdOrCodeField):
    """A reportable category by id (`3`) or by code (`"streetlight"`)."""

    default_error_messages = {
        "does_not_exist": _("There is no active category {value}."),
        "invalid": _("A category is an id or a code."),
    }

    def get_queryset(self):
        return reportable_categories()


class PhotoUploadSerializer(PointFields):
    """`wx.uploadFile`'s multipart form: the file plus optional string fields."""

    file = serializers.FileField(allow_empty_file=True)
    lat = FiniteFloatField(min_value=-90, max_value=90, required=False)
    lng = FiniteFloatField(min_value=-180, max_value=180, required=False)

    def validate(self, attrs: dict) -> dict:
        if ("lat" in attrs) != ("lng" in attrs):
            raise serializers.ValidationError({"lat": [_("Send lat and lng together.")]})
        if "lat" in attrs:
            attrs["point"] = geo.to_gcj02(attrs["lat"], attrs["lng"], attrs["coord_type"])
        return attrs


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    gps = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "url", "thumbnail_url", "width", "height", "taken_at", "gps", "kind",
                  "content_type", "sha256", "created_at"]

    def to_representation(self, photo: Photo) -> dict:
        """By hand: a report's detail lists its photos (issue 19)."""
        return {"id": photo.pk, "url": self.get_url(photo),
                "thumbnail_url": self.get_thumbnail_url(photo), "width": photo.width,
                "height": photo.height, "taken_at": datetime_text(photo.taken_at),
                "gps": self.get_gps(photo), "kind": photo.kind,
                "content_type": photo.content_type, "sha256": photo.sha256,
                "created_at": datetime_text(photo.created_at)}

    def get_url(self, photo: Photo) -> str:
        return _absolute(self.context.get("request"), photo.image.url)

    def get_thumbnail_url(self, photo: Photo) -> str:
        return _absolute(self.context.get("request"), photo.thumbnail.url)

    @extend_schema_field({"type": "object", "nullable": True,
                          "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}}})
    def get_gps(self, photo: Photo) -> dict | None:
        return {"lat": photo.exif_lat, "lng": photo.exif_lng} if photo.gps else None


THUMBNAILS = Photo._meta.get_field("thumbnail").storage


def _absolute(request, url: str) -> str:
    """Local media URLs are paths; a client needs the host too. Signed S3 URLs are whole."""
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


class CallerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True,
                                   default="")


class ReportCreateSerializer(PointFields):
    category = CategoryField()
    description = serializers.CharField(max_length=10_000)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    photo_ids = serializers.ListField(child=IdField(), default=list,
                                      max_length=settings.REPORT_MAX_PHOTOS)
    urgent = serializers.BooleanField(default=False)
    source = serializers.ChoiceField(choices=[Report.Source.MINIPROGRAM, Report.Source.HOTLINE],
                                     default=Report.Source.MINIPROGRAM)
    caller = CallerSerializer(required=False, help_text="a hotline call's caller (source "
                                                        "`hotline` only): shown to staff only")

    def validate(self, attrs: dict) -> dict:
        if (attrs["source"] == Report.Source.HOTLINE) != ("caller" in attrs):
            raise serializers.ValidationError({"caller": [
                _("A hotline report names its caller, and only a hotline report does.")]})
        return attrs

    def validate_photo_ids(self, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(_("A photo is listed twice."))
        return ids


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(allow_null=True, read_only=True)
    from_status = serializers.SerializerMethodField()

    class Meta:
        model = ReportEvent
        fields = ["action", "actor", "from_status", "to_status", "level", "note", "at"]

    def to_representation(self, event: ReportEvent) -> dict:
        """By hand: every report's detail carries its timeline (issue 19)."""
        return {"action": event.action, "actor": brief(event.actor),
                "from_status": self.get_from_status(event), "to_status": event.to_status,
                "level": event.level, "note": event.note, "at": datetime_text(event.at)}

    def get_from_status(self, event: ReportEvent) -> str | None:
        return event.from_status or None


class ReportSerializer(serializers.ModelSerializer):
    """A report in a list. Reads what `report_selectors.with_list_details` prepared."""

    category_code = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.full_name", read_only=True)
    grid_code = serializers.CharField(source="grid.code", read_only=True)
    reporter = UserBriefSerializer(read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True,
                                            default=None)
    thumbnail_url = serializers.SerializerMethodField()
    photo_count = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    # the workflow (gridapp.workflow)
    suggested_department_name = serializers.CharField(source="suggested_department.name",
                                                      read_only=True, default=None)
    traffic_light = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "number", "status", "level", "category", "category_code",
                  "category_name", "description", "address", "lat", "lng", "grid", "grid_code",
                  "reporter", "source", "urgent", "department", "department_name", "due_at",
                  "duplicate_of", "thumbnail_url", "photo_count", "created_at", "updated_at",
                  "flags", "suggested_department", "suggested_department_name",
                  "sla_started_at", "traffic_light", "overdue", "supervised_at", "resolved_at",
                  "rating", "actions", "accept_due_at", "deadline_at"]

    def to_representation(self, report: Report) -> dict:
        """The declared fields written out by hand: a page of reports is the hottest read,
        and DRF's walk over 37 fields was two thirds of its CPU (docs/performance.md).
        The declarations above stay the contract (the schema is built from them);
        tests/gridapp/test_report_shapes.py holds this dict equal to DRF's walk over them."""
        category = report.category
        department, suggested = report.department, report.suggested_department
        light = self.get_traffic_light(report)
        return {
            "id": report.pk, "number": report.number, "status": report.status,
            "level": report.level, "category": report.category_id,
            "category_code": category.code, "category_name": category.full_name,
            "description": report.description, "address": report.address,
            "lat": report.lat, "lng": report.lng, "grid": report.grid_id,
            "grid_code": report.grid.code, "reporter": brief(report.reporter),
            "source": report.source, "urgent": report.urgent,
            "department": report.department_id,
            "department_name": department.name if department else None,
            "due_at": datetime_text(report.due_at), "duplicate_of": report.duplicate_of_id,
            "thumbnail_url": self.get_thumbnail_url(report),
            "photo_count": self.get_photo_count(report),
            "created_at": datetime_text(report.created_at),
            "updated_at": datetime_text(report.updated_at), "flags": self.get_flags(report),
            "suggested_department": report.suggested_department_id,
            "suggested_department_name": suggested.name if suggested else None,
            "sla_started_at": datetime_text(report.sla_started_at), "traffic_light": light,
            "overdue": light == "red", "supervised_at": datetime_text(report.supervised_at),
            "resolved_at": datetime_text(report.resolved_at), "rating": self.get_rating(report),
            "actions": self.get_actions(report),
            "accept_due_at": datetime_text(report.accept_due_at),
            "deadline_at": datetime_text(report.deadline_at),
        }

    @extend_schema_field({"type": "string", "enum": ["green", "yellow", "red"], "nullable": True})
    def get_traffic_light(self, report: Report) -> str | None:
        """green under 80 % of the level's SLA time used, yellow to 100 %, red past due;
        null while no clock runs."""
        return report.traffic_light()

    def get_overdue(self, report: Report) -> bool:
        return report.traffic_light() == "red"

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "score": {"type": "integer"}, "comment": {"type": "string"},
        "at": {"type": "string", "format": "date-time"}}})
    def get_rating(self, report: Report) -> dict | None:
        if report.rating is None:
            return None
        return {"score": report.rating, "comment": report.rating_comment,
                "at": datetime_text(report.rated_at)}

    def get_actions(self, report: Report) -> list[str]:
        """What the requesting user may do now (`POST /reports/{id}/{action}/`, `rating`)."""
        request = self.context.get("request")
        return lifecycle.allowed_actions(report, request.user) if request else []

    def get_thumbnail_url(self, report: Report) -> str | None:
        """The first photo before (the report keeps its thumbnail's name)."""
        name = report.thumbnail_name
        return _absolute(self.context.get("request"), THUMBNAILS.url(name)) if name else None

    def get_photo_count(self, report: Report) -> int:
        return report.photo_count

    @extend_schema_field({"type": "object", "nullable": True})
    def get_flags(self, report: Report) -> dict | None:
        """For the command centre only; null for everyone else."""
        if not self.context.get("show_flags"):
            return None
        return {"flagged": report.flagged, "content_check": report.content_check,
                "location_suspect": report.location_suspect,
                "photo_distance_m": report.photo_distance_m}


class ReportDetailSerializer(ReportSerializer):
    photos = serializers.SerializerMethodField()
    timeline = TimelineEventSerializer(source="events", many=True, read_only=True)
    suggestion_evidence = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()
    caller = serializers.SerializerMethodField()
    extension = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "suggestion_evidence", "photos", "timeline",
                  "project", "caller", "extension"]

    def to_representation(self, report: Report) -> dict:
        """By hand too (see `ReportSerializer.to_representation`)."""
        timeline = TimelineEventSerializer()  # not self.fields: that builds all 43 fields
        return {**super().to_representation(report),
                "suggestion_evidence": self.get_suggestion_evidence(report),
                "photos": self.get_photos(report),
                "timeline": [timeline.to_representation(e) for e in report.events.all()],
                "project": self.get_project(report), "caller": self.get_caller(report),
                "extension": self.get_extension(report)}

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "hours": {"type": "integer"}, "requested_at": {"type": "string", "format": "date-time"}}})
    def get_extension(self, report: Report) -> dict | None:
        """The extension (延期) the department asked for, waiting for the dispatcher."""
        if report.extension_hours is None:
            return None
        return {"hours": report.extension_hours,
                "requested_at": datetime_text(report.extension_requested_at)}

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"}}})
    def get_caller(self, report: Report) -> dict | None:
        """Who called the hotline (or wrote through Open311), for the staff who handle the
        report: its dispatchers and department, administrators. Null for everyone else,
        and for a report filed in the mini-program."""
        if not (report.caller_name or report.caller_phone or report.caller_email):
            return None
        request = self.context.get("request")
        if not (self.context.get("show_flags") or request is not None and report.department_id
                in {d.pk for d in roles_of(request.user).handler_departments}):
            return None
        return {"name": report.caller_name, "phone": report.caller_phone,
                "email": report.caller_email}

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "department": {"type": "integer"}, "department_name": {"type": "string"},
        "finished": {"type": "integer"}, "of": {"type": "integer"},
        "returned": {"type": "integer"}, "instead_of": {"type": "integer"},
        "instead_of_name": {"type": "string"}, "text": {"type": "string"}}})
    def get_suggestion_evidence(self, report: Report) -> dict | None:
        """Why the suggestion is not the responsibility table's (learned routing): of the
        last `of` reports of the category and region finished at this level, `finished`
        went to the suggested department, `returned` of them after `instead_of` (the
        table's) sent them back. Null when the suggestion is the table's."""
        return routing.explained(report.suggestion_evidence)


    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}}})
    def get_project(self, report: Report) -> dict | None:
        """The governance project the report is part of (治理一类问题), if any."""
        project = report.project
        return None if project is None else {"id": project.pk, "title": project.title}

    @extend_schema_field({"type": "object", "properties": {
        "before": {"type": "array", "items": {"type": "object"}},
        "after": {"type": "array", "items": {"type": "object"}}}})
    def get_photos(self, report: Report) -> dict[str, list[dict]]:
        """`{"before": [...], "after": [...]}`: what the reporter saw, what the handler left."""
        photos = PhotoSerializer(report.photos.all(), many=True, context=self.context).data
        return {kind: [p for p in photos if p["kind"] == kind] for kind in Photo.Kind.values}


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="report_id")
    number = serializers.CharField()
    distance_m = serializers.FloatField()


class ReportFilterSerializer(serializers.Serializer):
    """The query parameters of `GET /reports/` (and, in part, of the map)."""

    status = serializers.CharField(required=False, help_text="one status or several, comma-separated")
    category = serializers.CharField(required=False, help_text="id or code")
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.all(), required=False)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    mine = serializers.BooleanField(required=False, default=False)
    bbox = serializers.CharField(required=False, help_text="minLng,minLat,maxLng,maxLat")
    level = serializers.ChoiceField(choices=ReportLevel.choices, required=False)
    urgent = serializers.BooleanField(required=False, allow_null=True, default=None)
    flagged = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_status(self, value: str) -> tuple[str, ...]:
        statuses = tuple(s.strip() for s in value.split(",") if s.strip())
        unknown = [s for s in statuses if s not in Report.Status.values]
        if unknown:
            raise serializers.ValidationError(_("Unknown status: %(s)s") % {"s": ", ".join(unknown)})
        return statuses

    def validate_category(self, value: str) -> Category:
        pk = parse_id(value)
        category = Category.objects.filter(**({"pk": pk} if pk is not None else {"code": value})).first()
        if category is None:
            raise serializers.ValidationError(_("There is no such category."))
        return category

    def validate_bbox(self, value: str) -> tuple[float, float, float, float]:
        return parse_bbox(value)

    def to_filter(self) -> ReportFilter:
        data = self.validated_data
        grid = data.get("grid")
        return ReportFilter(statuses=data.get("status", ()), category=data.get("category"),
                            grid_id=grid.pk if grid else None, region=data.get("region"),
                            mine=data["mine"], bbox=data.get("bbox"), level=data.get("level"),
                            urgent=data["urgent"], flagged=data["flagged"])


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """`minLng,minLat,maxLng,maxLat` in degrees (GeoJSON's order)."""
    try:
        min_lng, min_lat, max_lng, max_lat = (float(part) for part in value.split(","))
    except ValueError:
        raise serializers.ValidationError(_("bbox is minLng,minLat,maxLng,maxLat."))
    # NaN fails every comparison below, so it can't slip through as "in range"
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise serializers.ValidationError(_("bbox is out of range or inverted."))
    return min_lng, min_lat, max_lng, max_lat


class MapReportsQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(required=False, help_text="minLng,minLat,maxLng,maxLat")
    status = serializers.CharField(required=False, help_text="one status or several, comma-separated")

    validate_bbox = ReportFilterSerializer.validate_bbox
    validate_status = ReportFilterSerializer.validate_status

    def to_filter(self) -> ReportFilter:
        return ReportFilter(statuses=self.validated_data.get("status", ()),
                            bbox=self.validated_data.get("bbox"))


class MapGridsQuerySerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)


class ReportCreatedSerializer(ReportDetailSerializer):
    """The 201 of `POST /reports/`: the report, plus the open reports it may duplicate."""

    possible_duplicates = serializers.SerializerMethodField()

    class Meta(ReportDetailSerializer.Meta):
        fields = [*ReportDetailSerializer.Meta.fields, "possible_duplicates"]

    def to_representation(self, report: Report) -> dict:
        return {**super().to_representation(report),
                "possible_duplicates": self.get_possible_duplicates(report)}

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_possible_duplicates(self, report: Report) -> list[dict]:
        return DuplicateSerializer(self.context["possible_duplicates"], many=True).data
