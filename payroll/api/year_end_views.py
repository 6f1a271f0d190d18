"""Year-end distribution endpoints: parse, scope (someone else's distribution is a 404),
call one service, serialize. Appeals are filed by leaders, everything else is finance."""

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.openapi import errors
from config.api.queries import validated_query

from .. import selectors as run_selectors
from ..bank_templates import TEMPLATES
from ..yearend import selectors, services
from ..yearend.models import Distribution, DistributionExport
from . import examples
from . import year_end_serializers as s
from .views import CSVRenderer, FileView, XLSXRenderer, _require_finance_role


DISTRIBUTION = {
    "id": 1, "number": "YE2026-450502001001-1", "year": 2026, "region": 4,
    "region_code": "450502001001", "region_name": "黄海路社区", "status": "published",
    "pool": "3600.00", "withheld_pool": "0.00", "extra_pool": "3600.00", "share_count": 10,
    "payment_count": 10, "as_of": "2026-12-05",
    "policy": {"weights": {"reports_filed": "0.25", "resolved_rate": "0.20"}, "floor": None,
               "cap": None, "min_days": 0},
    "publish_days": 7, "published_by": 3, "published_at": "2026-12-05T10:00:00+08:00",
    "notice_ends_at": "2026-12-12T10:00:00+08:00", "prepared_by": 3,
    "prepared_by_name": "finance1", "prepared_at": "2026-12-05T09:30:00+08:00",
    "submitted_by": None, "submitted_at": None, "approved_by": None, "approved_by_name": None,
    "approved_at": None, "paid_by": None, "paid_at": None,
    "created_at": "2026-12-05T09:30:00+08:00"}
DISTRIBUTION_EXAMPLE = OpenApiExample("a published distribution", response_only=True,
                                      value=DISTRIBUTION)
SHARE = {"id": 7, "leader": 12, "leader_name": "leader1", "leader_term": 3,
                 "grid": 5, "grid_code": "HHL-01", "days_served": 365, "score": "0.635000",
                 "score_breakdown": s.BREAKDOWN_EXAMPLE, "share": "412.35"}

APPEAL = {"id": 1, "distribution": 1, "leader": 12, "leader_name": "leader1",
          "reason": "我的上报数量统计有误", "status": "open",
          "created_at": "2026-12-08T09:00:00+08:00", "decided_by": None, "decided_at": None,
          "decision_note": ""}


def _answers(title: str, value: dict) -> list[OpenApiExample]:
    return [OpenApiExample(title, response_only=True, value=value)]


def visible_distribution(request: Request, pk: int) -> Distribution:
    return get_object_or_404(selectors.visible_distributions(request.user), pk=pk)


def _detail(request: Request, distribution: Distribution) -> dict:
    """The distribution with its first page of shares."""
    page = settings.MAX_PAGE_SIZE
    shares = list(selectors.distribution_shares(distribution)[:page + 1])
    context = {"shares": shares[:page], "shares_next": None}
    if len(shares) > page:
        url = reverse("payroll-year-end-shares", kwargs={"pk": distribution.pk})
        context["shares_next"] = request.build_absolute_uri(f"{url}?limit={page}&offset={page}")
    return s.DistributionDetailSerializer(distribution, context=context).data


class DistributionListCreate(generics.ListAPIView):
    """GET: distributions of the regions under the requester's finance roles. POST: a
    new draft, scored and shared to the fen."""

    serializer_class = s.DistributionSerializer

    @extend_schema(parameters=[s.DistributionFilterSerializer],
                   examples=[DISTRIBUTION_EXAMPLE])
    def get(self, request: Request, *args, **kwargs) -> Response:
        """The year-end distributions the requester handles, newest year first."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Distribution]:
        return selectors.distributions_for(
            self.request.user, **validated_query(self.request, s.DistributionFilterSerializer))

    @extend_schema(
        request=s.DistributionCreateSerializer,
        responses={201: s.DistributionDetailSerializer},
        examples=[OpenApiExample("2026 for 黄海路社区", request_only=True,
                                 value={"year": 2026, "region": "450502001001",
                                        "extra_pool": "3600.00"}),
                  OpenApiExample("the new draft", response_only=True, status_codes=["201"],
                                 value={**DISTRIBUTION, "status": "draft", "publish_days": None,
                                        "published_by": None, "published_at": None,
                                        "notice_ends_at": None, "shares": [SHARE],
                                        "shares_next": None})])
    @errors({400: ["period_in_future", "nothing_to_share", "run_too_large"],
             403: ["permission_denied"], 409: ["run_exists", "run_overlaps"]})
    def post(self, request: Request) -> Response:
        """Create a draft distribution: one share per leader term, summing to the pool."""
        _require_finance_role(request)
        body = s.DistributionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: self._create(request, **body.validated_data))

    def _create(self, request: Request, **fields) -> Response:
        distribution = services.create_distribution(actor=request.user, **fields)
        distribution = selectors.visible_distributions(request.user).get(pk=distribution.pk)
        return Response(_detail(request, distribution), status=status.HTTP_201_CREATED)


class DistributionDetail(APIView):
    """A distribution with its first page of shares."""

    @extend_schema(responses=s.DistributionDetailSerializer,
                   examples=[OpenApiExample("a published one", response_only=True,
                                            value={**DISTRIBUTION, "shares": [SHARE],
                                                   "shares_next": None})])
    def get(self, request: Request, pk: int) -> Response:
        """One distribution, its status, pool and first page of shares."""
        return Response(_detail(request, visible_distribution(request, pk)))


class DistributionShares(generics.ListAPIView):
    """Every share of a distribution, in term order."""

    serializer_class = s.ShareSerializer

    @extend_schema(responses=s.ShareSerializer(many=True),
                   examples=_answers("a leader's share and why", SHARE))
    def get(self, request: Request, *args, **kwargs) -> Response:
        """The shares, paginated, each with its score breakdown."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.distribution_shares(visible_distribution(self.request,
                                                                  self.kwargs["pk"]))


class DistributionPayments(generics.ListAPIView):
    """One payment per payee (their shares netted), with the bank details copied at
    approval."""

    serializer_class = s.YearEndPaymentSerializer

    @extend_schema(responses=s.YearEndPaymentSerializer(many=True), examples=_answers(
        "one payee, shares netted", {
            "id": 1, "position": 1, "leader": 12, "leader_name": "leader1", "grid": 5,
            "grid_code": "HHL-01", "amount": "412.35", "line_count": 1, "days_served": 365,
            "account_name": "张三", "bank_name": "中国工商银行北海分行",
            "account_number": "6222********1234"}))
    def get(self, request: Request, *args, **kwargs) -> Response:
        """The payments the bank file lists."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.distribution_payments(visible_distribution(self.request,
                                                                    self.kwargs["pk"]))


class DistributionEvents(generics.ListAPIView):
    """The distribution's history."""

    serializer_class = s.DistributionEventSerializer

    @extend_schema(responses=s.DistributionEventSerializer(many=True), examples=_answers(
        "published", {"id": 2, "action": "published", "from_status": "draft",
                      "to_status": "published", "actor": 3, "actor_name": "finance1",
                      "appeal": None, "at": "2026-12-05T10:00:00+08:00", "pool": "3600.00",
                      "note": "7 days"}))
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Every transition, appeal, decision and download."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.distribution_events(visible_distribution(self.request,
                                                                  self.kwargs["pk"]))


class DistributionAction(APIView):
    """publish / submit / approve / mark-paid / cancel."""

    action: str = ""
    SERVICES = {
        "publish": lambda d, actor, data: services.publish_distribution(
            d, actor=actor, publish_days=data["publish_days"]),
        "submit": lambda d, actor, data: services.submit_distribution(d, actor=actor),
        "approve": lambda d, actor, data: services.approve_distribution(d, actor=actor),
        "mark-paid": lambda d, actor, data: services.mark_distribution_paid(d, actor=actor),
        "cancel": lambda d, actor, data: services.cancel_distribution(d, actor=actor,
                                                                      reason=data["reason"]),
    }

    @extend_schema(
        request=s.PublishSerializer,
        responses=s.DistributionSerializer,
        examples=[OpenApiExample("publish for 7 days", request_only=True,
                                 value={"publish_days": 7}), DISTRIBUTION_EXAMPLE])
    @errors({403: ["permission_denied", "maker_checker"],
             409: ["invalid_transition", "notice_not_over", "appeal_open",
                   "bank_account_missing"]})
    def post(self, request: Request, pk: int) -> Response:
        """Move the distribution on (`publish_days` for publish, `reason` for cancel)."""
        distribution = visible_distribution(request, pk)
        serializer = s.PublishSerializer if self.action == "publish" else s.ReasonSerializer
        body = serializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.SERVICES[self.action](distribution, request.user, body.validated_data)
        distribution = selectors.visible_distributions(request.user).get(pk=pk)
        return Response(s.DistributionSerializer(distribution).data)


class DistributionAppeals(generics.ListAPIView):
    """GET: the appeals (finance all, a leader their own). POST: a leader in the published
    distribution appeals it."""

    serializer_class = s.AppealSerializer

    @extend_schema(responses=s.AppealSerializer(many=True),
                   examples=_answers("an open appeal", APPEAL))
    def get(self, request: Request, *args, **kwargs) -> Response:
        """The distribution's appeals and their decisions."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        distribution = get_object_or_404(
            selectors.appealable_distributions(self.request.user), pk=self.kwargs["pk"])
        return selectors.appeals_of(distribution, self.request.user)

    @extend_schema(
        request=s.AppealCreateSerializer,
        responses={201: s.AppealSerializer},
        examples=[OpenApiExample("an appeal", request_only=True,
                                 value={"reason": "我的上报数量统计有误"}),
                  OpenApiExample("filed", response_only=True, status_codes=["201"],
                                 value=APPEAL)])
    @errors({403: ["not_in_distribution"], 409: ["invalid_transition", "notice_over"]})
    def post(self, request: Request, pk: int) -> Response:
        """Appeal one's share during the public notice."""
        # API.md: anyone not in it is answered 403, not 404
        distribution = get_object_or_404(Distribution.objects.all(), pk=pk)
        body = s.AppealCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: Response(
            s.AppealSerializer(services.file_appeal(distribution, leader=request.user,
                                                    reason=body.validated_data["reason"])).data,
            status=status.HTTP_201_CREATED))


class AppealDecision(APIView):
    """uphold / dismiss an appeal, with a note."""

    action: str = ""

    @extend_schema(
        request=s.DecisionSerializer,
        responses=s.AppealSerializer,
        examples=[OpenApiExample("a decision", request_only=True,
                                 value={"note": "已核实，数据无误"}),
                  OpenApiExample("dismissed", response_only=True,
                                 value={**APPEAL, "status": "dismissed", "decided_by": 4,
                                        "decided_at": "2026-12-09T10:00:00+08:00",
                                        "decision_note": "已核实，数据无误"})])
    @errors({403: ["maker_checker", "permission_denied"], 409: ["invalid_transition"]})
    def post(self, request: Request, pk: int) -> Response:
        """Decide an open appeal; upholding it cancels the distribution."""
        appeal = get_object_or_404(selectors.visible_appeals(request.user), pk=pk)
        body = s.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = services.decide_appeal(appeal, actor=request.user,
                                        uphold=self.action == "uphold",
                                        note=body.validated_data["note"])
        return Response(s.AppealSerializer(appeal).data)


@errors({400: ["template_format"],
         409: ["run_not_approved", "not_published", "not_encodable"]})
class DistributionFile(FileView):
    """A distribution's file: the bank file (approved or paid, `?template=`) or the 公示
    list (published or later); the same bytes on every download."""

    fmt: str = ""
    notice: bool = False

    def get(self, request: Request, pk: int) -> HttpResponse:
        distribution = visible_distribution(request, pk)
        template = None
        if not self.notice:
            template = TEMPLATES[validated_query(request, s.ExportQuerySerializer)["template"]]
        export = services.export_distribution(distribution, template=template, fmt=self.fmt,
                                              actor=request.user)
        content_type = XLSXRenderer.media_type
        if self.fmt == DistributionExport.Format.CSV:
            encoding = "utf-8" if template is None else template.formats["csv"]
            content_type = f"text/csv; charset={encoding.removesuffix('-sig')}"
        response = HttpResponse(bytes(export.content), content_type=content_type)
        name = distribution.number + ("-notice" if self.notice else (
            "" if template.code == "standard" else f"-{template.code}"))
        response["Content-Disposition"] = f'attachment; filename="{name}.{self.fmt}"'
        response["X-Content-SHA256"] = export.sha256
        return response


def _file_view(fmt: str, notice: bool) -> type[DistributionFile]:
    renderer = CSVRenderer if fmt == "csv" else XLSXRenderer
    kind = "notice" if notice else "export"

    class View(DistributionFile):
        renderer_classes = [JSONRenderer, renderer]

        @extend_schema(operation_id=f"payroll_year_end_{kind}_{fmt}",
                       parameters=[] if notice else [s.ExportQuerySerializer],
                       responses={(200, renderer.media_type): OpenApiTypes.BINARY})
        def get(self, request: Request, pk: int) -> HttpResponse:
            """Download the file (stored on the first download, then the same bytes)."""
            return super().get(request, pk)

    View.fmt, View.notice = fmt, notice
    View.__name__ = f"Distribution{kind.title()}{fmt.upper()}"
    return View


DistributionExportCSV = _file_view("csv", notice=False)
DistributionExportXLSX = _file_view("xlsx", notice=False)
DistributionNoticeCSV = _file_view("csv", notice=True)
DistributionNoticeXLSX = _file_view("xlsx", notice=True)


class MyPayroll(APIView):
    """A leader's own lines (approved and paid runs) and year-end shares (published on)."""

    @extend_schema(parameters=[s.base.MyPayrollFilterSerializer],
                   responses=s.MyPayrollSerializer, examples=examples.MY_PAYROLL)
    def get(self, request: Request) -> Response:
        """The requester's own stipend lines and year-end shares, of one year if given."""
        query = validated_query(request, s.base.MyPayrollFilterSerializer)
        lines = run_selectors.my_lines(request.user, **query)
        shares = selectors.my_shares(request.user, **query)
        return Response({"lines": s.base.MyLineSerializer(lines, many=True).data,
                         "year_end_shares": s.MyShareSerializer(shares, many=True).data})
