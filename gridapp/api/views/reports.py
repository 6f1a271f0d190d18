"""Categories and reports: the list, a new report, the detail (docs/api.md "Photos and
reports"). Thin: parse, authorize, call one service or selector, serialize."""

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.idempotency import HEADER, idempotent
from accounts.models import IdempotencyRecord
from config.api.errors import Forbidden
from config.api.openapi import errors
from config.api.pagination import NewestFirst
from config.api.replica import LagTolerantReads
from config.api.throttling import CreateThrottle
from gridapp.api import examples
from gridapp.api.serializers import reports as s
from gridapp.models import Category, Report
from gridapp.selectors import reports as report_selectors
from gridapp.selectors.roles import roles_of
from gridapp.services import intake


@extend_schema_view(get=extend_schema(examples=examples.CATEGORIES))
class CategoryList(generics.ListAPIView):
    """Active categories, both levels; `reportable` marks the ones a report may take."""

    serializer_class = s.CategorySerializer

    def get_queryset(self) -> QuerySet[Category]:
        return (Category.objects.filter(active=True).select_related("parent")
                .annotate(child_count=Count("children")).order_by("sort_order", "code"))


class ReportListCreate(LagTolerantReads, generics.ListAPIView):
    serializer_class = s.ReportSerializer
    pagination_class = NewestFirst  # a city's dispatcher sees millions: no count
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

    @extend_schema(parameters=[s.ReportFilterSerializer], examples=examples.REPORT_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Reports visible to the user, newest first, filtered by the query."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.ReportCreateSerializer, responses={201: s.ReportCreatedSerializer},
                   examples=examples.CREATE_REPORT)
    @errors({400: ["outside_all_grids", "photo_invalid", "content_rejected"],
             403: ["not_a_member", "permission_denied", "outside_your_regions"]})
    def post(self, request: Request) -> Response:
        """Report a problem at a point with its photos; its grid is found from the point.

        A dispatcher (a 12345 operator) files a call with `"source": "hotline"` and the
        `caller`'s name and phone: no membership needed, the point must lie under their
        regions, the caller is shown only to staff."""
        body = s.ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        hotline = data.pop("source") == Report.Source.HOTLINE
        caller = data.pop("caller", None)
        if hotline:
            roles = roles_of(request.user)
            if not (roles.is_admin or roles.is_dispatcher):
                raise Forbidden(_("Only the command centre takes hotline calls."))
        else:
            intake.ensure_can_report(request.user)
        verdict = _screen(request, intake.report_text(data["description"], data["address"]))
        return idempotent(request, lambda: self._created(request, data, verdict, caller))

    def _created(self, request: Request, data: dict, verdict: str,
                 caller: dict | None) -> Response:
        if caller is None:
            submitted = intake.submit_report(actor=request.user, content_check=verdict, **data)
        else:
            submitted = intake.file_for_caller(
                intake=request.user, caller=intake.Caller(**caller),
                source=Report.Source.HOTLINE, content_check=verdict, **data)
        report = report_selectors.filed_with_details(
            submitted.report, photos=submitted.photos, submission=submitted.submission)
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
    return intake.screen_text(actor=request.user, text=text)


class ReportDetail(generics.RetrieveAPIView):
    """One report with its photos, timeline, due time and departments."""

    serializer_class = s.ReportDetailSerializer

    def get_queryset(self) -> QuerySet[Report]:
        return report_selectors.with_details(report_selectors.visible_reports(self.request.user))

    @extend_schema(examples=examples.REPORT_READ)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(),
                "show_flags": report_selectors.sees_flags(self.request.user)}
