"""Photos, categories, reports, their workflow actions and the map (API.md "Photos and
reports"). Thin: parse, authorize, call one service or selector, serialize."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.idempotency import HEADER, idempotent
from accounts.models import IdempotencyRecord
from config.api.errors import Forbidden
from gridapp import photos, report_selectors, report_services, selectors, workflow
from gridapp.models import Category, Report, ReportEvent

from . import report_serializers as s
from . import workflow_serializers as ws

MAP_MAX_FEATURES = 5000  # a safety cap until clustering and truncation are designed


class CreateThrottle(ScopedRateThrottle):
    """The view's `throttle_scope` rate for POST only: reading stays unthrottled."""

    def allow_request(self, request: Request, view) -> bool:
        return request.method != "POST" or super().allow_request(request, view)


class PhotoUpload(APIView):
    """One image per request in the multipart field `file`, as `wx.uploadFile` sends it."""

    parser_classes = [MultiPartParser]
    throttle_classes = [CreateThrottle]
    throttle_scope = "upload"

    @extend_schema(request={"multipart/form-data": s.PhotoUploadSerializer},
                   responses={201: s.PhotoSerializer})
    def post(self, request: Request) -> Response:
        # Before the body is parsed: the limit is enforced while it streams in.
        request.upload_handlers.insert(0, photos.SizeLimitUploadHandler(request))
        form = s.PhotoUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _one_file_only(request)
        # The CPU-bound pipeline runs before the idempotency transaction, so that no
        # database lock is held while an image decodes.
        processed = photos.process(form.validated_data["file"])
        return idempotent(request, lambda: Response(
            s.PhotoSerializer(report_services.upload_photo(
                processed, actor=request.user, point=form.validated_data.get("point")),
                context={"request": request}).data,
            status=status.HTTP_201_CREATED))


def _one_file_only(request: Request) -> None:
    files = [f for _name, uploads in request.FILES.lists() for f in uploads]
    if len(files) > 1:
        raise serializers.ValidationError({"file": [_("Send one file per request.")]})


class CategoryList(generics.ListAPIView):
    """Active categories, both levels; `reportable` marks the ones a report may take."""

    serializer_class = s.CategorySerializer

    def get_queryset(self) -> QuerySet[Category]:
        return (Category.objects.filter(active=True).select_related("parent")
                .annotate(child_count=Count("children")).order_by("sort_order", "code"))


class ReportListCreate(generics.ListAPIView):
    serializer_class = s.ReportSerializer
    filter_backends: list = []
    throttle_classes = [CreateThrottle]
    throttle_scope = "report"

    def get_queryset(self) -> QuerySet[Report]:
        query = s.ReportFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        reports = report_selectors.filter_reports(
            report_selectors.visible_reports(self.request.user), query.to_filter(),
            user=self.request.user)
        return report_selectors.with_list_details(reports).order_by("-created_at", "-pk")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(),
                "show_flags": report_selectors.sees_flags(self.request.user)}

    @extend_schema(parameters=[s.ReportFilterSerializer])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.ReportCreateSerializer, responses={201: s.ReportCreatedSerializer})
    def post(self, request: Request) -> Response:
        body = s.ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        report_services.ensure_can_report(request.user)
        verdict = _screen(request, report_services.report_text(data["description"],
                                                               data["address"]))
        return idempotent(request, lambda: self._created(request, data, verdict))

    def _created(self, request: Request, data: dict, verdict: str) -> Response:
        submitted = report_services.submit_report(actor=request.user, content_check=verdict,
                                                  **data)
        report = report_selectors.with_details(Report.objects.filter(pk=submitted.report.pk)).get()
        context = {**self.get_serializer_context(),
                   "possible_duplicates": submitted.possible_duplicates}
        return Response(s.ReportCreatedSerializer(report, context=context).data,
                        status=status.HTTP_201_CREATED)


def _screen(request: Request, text: str) -> str:
    """The content check, outside any transaction (it is a network call). A retry of a
    request that already succeeded is answered from its stored response: don't ask
    WeChat again, whose verdict could differ."""
    key = request.headers.get(HEADER)
    if key and IdempotencyRecord.objects.filter(user=request.user, key=key).exists():
        # `idempotent` replays the first answer; should the record expire meanwhile, the
        # report is created pending and the periodic sweep asks WeChat.
        return Report.ContentCheck.PENDING
    return report_services.screen_text(actor=request.user, text=text)


class ReportDetail(generics.RetrieveAPIView):
    serializer_class = s.ReportDetailSerializer

    def get_queryset(self) -> QuerySet[Report]:
        return report_selectors.with_details(report_selectors.visible_reports(self.request.user))

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(),
                "show_flags": report_selectors.sees_flags(self.request.user)}


GEOJSON = {"type": "object", "properties": {"type": {"type": "string"},
                                            "features": {"type": "array",
                                                         "items": {"type": "object"}}}}


class MapReports(APIView):
    """Visible reports as GeoJSON points (`[lng, lat]`, GCJ-02), newest first."""

    @extend_schema(parameters=[s.MapReportsQuerySerializer], responses={200: GEOJSON})
    def get(self, request: Request) -> Response:
        query = s.MapReportsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reports = report_selectors.filter_reports(
            report_selectors.visible_reports(request.user), query.to_filter(), user=request.user)
        rows = report_selectors.map_rows(reports, MAP_MAX_FEATURES + 1)
        return Response({"type": "FeatureCollection",
                         "features": [_report_feature(row) for row in rows[:MAP_MAX_FEATURES]],
                         "truncated": len(rows) > MAP_MAX_FEATURES})


def _report_feature(row: dict) -> dict:
    return {"type": "Feature", "id": row["pk"],
            "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
            "properties": {"id": row["pk"], "number": row["number"], "status": row["status"],
                           "level": row["level"], "urgent": row["urgent"],
                           "category": row["category__code"],
                           "category_name": row["category__name"],
                           "created_at": serializers.DateTimeField().to_representation(
                               row["created_at"])}}


class MapGrids(APIView):
    """Visible grids' boundaries as GeoJSON polygons, optionally under one region."""

    @extend_schema(parameters=[s.MapGridsQuerySerializer], responses={200: GEOJSON})
    def get(self, request: Request) -> Response:
        query = s.MapGridsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        grids = selectors.visible_grids(request.user)
        if region := query.validated_data.get("region"):
            grids = grids.filter(community__code__range=report_selectors.code_range(region.prefix))
        rows = grids.order_by("code").values("pk", "code", "name", "boundary", "community_id",
                                             "community__name")
        return Response({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": g["pk"], "geometry": g["boundary"],
             "properties": {"id": g["pk"], "code": g["code"], "name": g["name"],
                            "community": g["community_id"],
                            "community_name": g["community__name"]}} for g in rows]})


# --- the workflow: POST /reports/{id}/{action}/ and /rating/ ------------------------------


def actionable_report(request: Request, pk: int) -> Report:
    """The report if the user can see it (else 404), with what the rules read."""
    reports = report_selectors.visible_reports(request.user).select_related(
        "category__parent", "grid", "department__region", "suggested_department__region")
    return get_object_or_404(reports, pk=pk)


class ReportAction(APIView):
    """One transition of ARCHITECTURE.md's lifecycle → 200 the report. 404 when the user
    can't see the report, 403 when it isn't theirs to do (checked before the body, so
    that a forbidden caller learns nothing more), 409 `invalid_transition` from the wrong
    status or when someone else was faster. Accepts an Idempotency-Key: a retried click
    gets the first answer instead of a 409."""

    action: str = ""
    body_class: type[serializers.Serializer] = ws.ActionNoteSerializer

    def post(self, request: Request, pk: int) -> Response:
        report = actionable_report(request, pk)
        if not workflow.may(request.user, self.action, report):
            raise Forbidden()
        body = self.body_class(data=request.data)
        body.is_valid(raise_exception=True)
        arguments = self.arguments(request, body.validated_data)
        return idempotent(request, lambda: self.done(request, report, arguments))

    def arguments(self, request: Request, data: dict) -> dict:
        if self.action != ReportEvent.Action.MERGE:
            return data
        original = report_selectors.visible_reports(request.user).filter(
            pk=data["duplicate_of"]).first()
        if original is None:
            raise serializers.ValidationError({"duplicate_of": [_("There is no such report.")]})
        return {**data, "duplicate_of": original}

    def done(self, request: Request, report: Report, arguments: dict) -> Response:
        workflow.ACTIONS[self.action](report, actor=request.user, **arguments)
        fresh = report_selectors.with_details(Report.objects.filter(pk=report.pk)).get()
        return Response(s.ReportDetailSerializer(fresh, context={
            "request": request, "show_flags": report_selectors.sees_flags(request.user)}).data)


ACTION_BODIES: dict[str, type[serializers.Serializer]] = {
    "accept": ws.ActionNoteSerializer, "dispatch": ws.ActionDispatchSerializer, "start": ws.ActionNoteSerializer,
    "resolve": ws.ActionResolveSerializer, "verify": ws.ActionNoteSerializer, "reopen": ws.ActionReasonSerializer,
    "escalate": ws.ActionReasonSerializer, "return": ws.ActionReasonSerializer,
    "reject": ws.ActionReasonSerializer, "merge": ws.ActionMergeSerializer,
}


def action_view(action: str) -> type[ReportAction]:
    """A view class per action, so that the schema documents each one's body."""
    body_class = ACTION_BODIES[action]

    @extend_schema(request=body_class, responses={200: s.ReportDetailSerializer},
                   operation_id=f"reports_{action}", summary=f"{action} a report")
    def post(self, request: Request, pk: int) -> Response:
        return ReportAction.post(self, request, pk)

    name = "Report" + action.title() + "Action"
    return type(name, (ReportAction,), {"action": action, "body_class": body_class,
                                        "post": post, "__doc__": ReportAction.__doc__})


class ReportRating(APIView):
    """评哨: the reporter rates a resolved or closed report once → 201 the rating."""

    @extend_schema(request=ws.RatingBodySerializer, responses={201: ws.ReportRatingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = actionable_report(request, pk)
        if not workflow.may(request.user, workflow.RATE, report):
            raise Forbidden()
        body = ws.RatingBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: Response(
            ws.ReportRatingSerializer(workflow.rate_report(
                report, actor=request.user, **body.validated_data)).data,
            status=status.HTTP_201_CREATED))
