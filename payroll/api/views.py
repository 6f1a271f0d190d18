"""Payroll endpoints: parse, scope by `selectors` (someone else's run is a 404), call one
service, serialize."""

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.errors import Forbidden
from config.api.openapi import errors
from config.api.queries import validated_query

from .. import selectors, services
from ..bank_templates import TEMPLATES
from ..models import Run, RunExport
from . import examples
from . import serializers as s

NOT_FINANCE = _("Only finance staff can do this.")


def _require_finance_role(request: Request) -> None:
    if not selectors.has_finance_role(request.user):
        raise Forbidden(NOT_FINANCE)


def visible_run(request: Request, pk: int) -> Run:
    return get_object_or_404(selectors.visible_runs(request.user), pk=pk)


class RunListCreate(generics.ListAPIView):
    """GET: runs of the regions under the requester's finance roles. POST: a new draft."""

    serializer_class = s.RunSerializer

    @extend_schema(parameters=[s.RunFilterSerializer], examples=examples.RUN_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Payroll runs of the regions under the requester's finance roles."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Run]:
        return selectors.runs_for(self.request.user,
                                  **validated_query(self.request, s.RunFilterSerializer))

    @extend_schema(request=s.RunCreateSerializer, responses={201: s.RunCreatedSerializer},
                   examples=examples.RUN_CREATE)
    @errors({400: ["period_in_future", "no_policy", "run_too_large"], 403: ["permission_denied"],
             409: ["run_exists", "run_overlaps"]})
    def post(self, request: Request) -> Response:
        """Create a draft run for a month and region, with its lines, payments and totals."""
        _require_finance_role(request)
        body = s.RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: self._create(request, **body.validated_data))

    def _create(self, request: Request, **fields) -> Response:
        run = services.create_run(actor=request.user, **fields)
        run = selectors.visible_runs(request.user).get(pk=run.pk)
        page = settings.MAX_PAGE_SIZE
        lines = list(selectors.run_lines(run)[:page + 1])
        context = {"lines": lines[:page], "lines_next": None}
        if len(lines) > page:
            url = reverse("payroll-run-lines", kwargs={"pk": run.pk})
            context["lines_next"] = request.build_absolute_uri(f"{url}?limit={page}&offset={page}")
        return Response(s.RunCreatedSerializer(run, context=context).data,
                        status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(examples=examples.RUN_READ))
class RunDetail(generics.RetrieveAPIView):
    """One run: status, totals, counts, who prepared and approved it."""

    serializer_class = s.RunSerializer

    def get_queryset(self) -> QuerySet[Run]:
        return selectors.visible_runs(self.request.user)


@extend_schema_view(get=extend_schema(examples=examples.RUN_LINES))
class RunLines(generics.ListAPIView):
    """The run's lines: one per leader and grid, with days served, withholdings and net."""

    serializer_class = s.LineSerializer

    def get_queryset(self):
        return selectors.run_lines(visible_run(self.request, self.kwargs["pk"]))


@extend_schema_view(get=extend_schema(examples=examples.RUN_PAYMENTS))
class RunPayments(generics.ListAPIView):
    """The run's payments, one per payee (their lines netted, never below 0.00): what the
    bank file lists, with the bank details copied at approval."""

    serializer_class = s.PaymentSerializer

    def get_queryset(self):
        return selectors.run_payments(visible_run(self.request, self.kwargs["pk"]))


@extend_schema_view(get=extend_schema(examples=examples.RUN_EVENTS))
class RunEvents(generics.ListAPIView):
    """The run's history: every transition, regeneration and bank-file download."""

    serializer_class = s.EventSerializer

    def get_queryset(self):
        return selectors.run_events(visible_run(self.request, self.kwargs["pk"]))


@errors({400: ["reason_required"], 403: ["maker_checker", "permission_denied"],
         409: ["invalid_transition", "bank_account_missing"]})
class RunAction(APIView):
    """A step of a run's maker-checker lifecycle.

    submit / approve / reject / mark-paid / cancel / regenerate; `reject` and `cancel`
    take `{"reason"}`."""

    action: str = ""
    SERVICES = {
        "submit": lambda run, actor, reason: services.submit_run(run, actor=actor),
        "approve": lambda run, actor, reason: services.approve_run(run, actor=actor),
        "reject": lambda run, actor, reason: services.reject_run(run, actor=actor, reason=reason),
        "mark-paid": lambda run, actor, reason: services.mark_run_paid(run, actor=actor),
        "cancel": lambda run, actor, reason: services.cancel_run(run, actor=actor, reason=reason),
        "regenerate": lambda run, actor, reason: services.regenerate_run(run, actor=actor),
    }

    @extend_schema(request=s.ReasonSerializer, responses=s.RunSerializer,
                   examples=examples.RUN_ACTION)
    def post(self, request: Request, pk: int) -> Response:
        run = visible_run(request, pk)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.SERVICES[self.action](run, request.user, body.reason_text)
        return Response(s.RunSerializer(selectors.visible_runs(request.user).get(pk=pk)).data)


class FileRenderer(BaseRenderer):
    """Lets a client that asks for the file's type get it (and errors as JSON bytes)."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class CSVRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


class FileView(APIView):
    """A view answering a file: its errors are JSON with a JSON content type, as the
    schema says, even for a client that asked for the file's type (`Accept: text/csv`,
    `?format=csv`)."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


@errors({400: ["template_format"], 409: ["run_not_approved", "not_encodable"]})
class RunExportView(FileView):
    """The bank file of an approved run in a template (`?template=`, `standard` by
    default; docs/payroll.md shows each): built on the first download, then the same bytes
    (and the same `X-Content-SHA256`) on every download."""

    fmt: str = ""
    content_type = ""

    def get(self, request: Request, pk: int) -> HttpResponse:
        run = visible_run(request, pk)
        template = TEMPLATES[validated_query(request, s.ExportQuerySerializer)["template"]]
        export = services.export_run(run, template=template, fmt=self.fmt, actor=request.user)
        content_type = self.content_type
        if self.fmt == RunExport.Format.CSV:
            content_type = f"text/csv; charset={template.formats['csv'].removesuffix('-sig')}"
        response = HttpResponse(bytes(export.content), content_type=content_type)
        name = run.number if template.code == "standard" else f"{run.number}-{template.code}"
        response["Content-Disposition"] = f'attachment; filename="{name}.{self.fmt}"'
        response["X-Content-SHA256"] = export.sha256
        return response


class RunExportCSV(RunExportView):
    fmt, content_type = RunExport.Format.CSV, "text/csv; charset=utf-8"
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(operation_id="payroll_run_export_csv", parameters=[s.ExportQuerySerializer],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)


class RunExportXLSX(RunExportView):
    fmt, content_type = RunExport.Format.XLSX, XLSXRenderer.media_type
    renderer_classes = [JSONRenderer, XLSXRenderer]

    @extend_schema(operation_id="payroll_run_export_xlsx", parameters=[s.ExportQuerySerializer],
                   responses={(200, XLSXRenderer.media_type): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)


class AdjustmentListCreate(generics.ListAPIView):
    serializer_class = s.AdjustmentSerializer

    @extend_schema(parameters=[s.AdjustmentFilterSerializer],
                   examples=examples.ADJUSTMENT_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Adjustments to leaders' stipends under the requester's regions."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.adjustments_for(
            self.request.user, **validated_query(self.request, s.AdjustmentFilterSerializer))

    @extend_schema(request=s.AdjustmentCreateSerializer, responses={201: s.AdjustmentSerializer},
                   examples=examples.ADJUSTMENT_CREATE)
    @errors({400: ["amount_over_limit", "amount_zero", "amount_invalid", "not_a_leader",
                   "grid_required"], 403: ["permission_denied"]})
    def post(self, request: Request) -> Response:
        """Add a bonus or deduction to a leader's stipend for a month."""
        _require_finance_role(request)
        body = s.AdjustmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: self._create(request, **body.validated_data))

    def _create(self, request: Request, **fields) -> Response:
        adjustment = services.create_adjustment(actor=request.user, **fields)
        adjustment = selectors.visible_adjustments(request.user).get(pk=adjustment.pk)
        return Response(s.AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(examples=examples.ADJUSTMENT_READ))
class AdjustmentDetail(generics.RetrieveAPIView):
    """One adjustment and its status (pending, in_run, approved, withdrawn)."""

    serializer_class = s.AdjustmentSerializer

    def get_queryset(self):
        return selectors.visible_adjustments(self.request.user)


@errors({409: ["invalid_transition", "adjustment_applied"]})
class AdjustmentWithdraw(APIView):
    """Withdraw an adjustment not yet applied (pending or in a draft); it stays, marked
    withdrawn, with who did it and why."""

    @extend_schema(request=s.ReasonSerializer, responses=s.AdjustmentSerializer,
                   examples=examples.ADJUSTMENT_WITHDRAW)
    def post(self, request: Request, pk: int) -> Response:
        adjustment = get_object_or_404(selectors.visible_adjustments(request.user), pk=pk)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.withdraw_adjustment(adjustment, actor=request.user, reason=body.reason_text)
        adjustment = selectors.visible_adjustments(request.user).get(pk=pk)
        return Response(s.AdjustmentSerializer(adjustment).data)


class SuspensionListCreate(generics.ListAPIView):
    serializer_class = s.SuspensionSerializer

    def get_queryset(self):
        return selectors.visible_suspensions(self.request.user).order_by("-period", "id")

    @extend_schema(examples=examples.SUSPENSION_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Stipend suspensions of leaders under the requester's regions."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.SuspensionCreateSerializer, responses={201: s.SuspensionSerializer},
                   examples=examples.SUSPENSION_CREATE)
    @errors({403: ["permission_denied"], 409: ["month_closed", "already_suspended"]})
    def post(self, request: Request) -> Response:
        """Suspend a leader's stipend for a month."""
        _require_finance_role(request)
        body = s.SuspensionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: Response(
            s.SuspensionSerializer(services.suspend_leader(actor=request.user,
                                                           **body.validated_data)).data,
            status=status.HTTP_201_CREATED))


@extend_schema_view(get=extend_schema(examples=examples.SUSPENSION_READ))
class SuspensionDetail(generics.RetrieveDestroyAPIView):
    """One suspension; DELETE lifts it.

    DELETE lifts the suspension (as POST …/lift/ does, without a reason): the record
    stays, with who lifted it and when."""

    serializer_class = s.SuspensionSerializer

    def get_queryset(self):
        return selectors.visible_suspensions(self.request.user)

    def perform_destroy(self, suspension) -> None:
        services.lift_suspension(suspension, actor=self.request.user)


class SuspensionLift(APIView):
    """Lift a suspension with a reason; the record stays, with who lifted it and when."""

    @extend_schema(request=s.ReasonSerializer, responses=s.SuspensionSerializer,
                   examples=examples.SUSPENSION_LIFT)
    def post(self, request: Request, pk: int) -> Response:
        suspension = get_object_or_404(selectors.visible_suspensions(request.user), pk=pk)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        suspension = services.lift_suspension(suspension, actor=request.user,
                                              reason=body.reason_text)
        return Response(s.SuspensionSerializer(suspension).data)


class BankAccountChangeListCreate(generics.ListAPIView):
    """GET: the bank account history of leaders under the requester's regions. POST: ask
    for a leader's details to change; someone else approves (maker-checker)."""

    serializer_class = s.BankAccountChangeSerializer

    def get_queryset(self):
        return selectors.visible_bank_account_changes(self.request.user)

    @extend_schema(examples=examples.BANK_ACCOUNT_CHANGE_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        """The bank account history of leaders under the requester's regions."""
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.BankAccountChangeCreateSerializer,
                   responses={201: s.BankAccountChangeSerializer},
                   examples=examples.BANK_ACCOUNT_CHANGE_CREATE)
    @errors({400: ["account_number_invalid", "bank_details_required", "not_a_leader"],
             403: ["permission_denied"],
             409: ["change_pending"]})
    def post(self, request: Request) -> Response:
        """Ask for a leader's bank details to change; someone else approves (maker-checker)."""
        _require_finance_role(request)
        body = s.BankAccountChangeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: Response(
            s.BankAccountChangeSerializer(services.request_bank_account_change(
                actor=request.user, **body.validated_data)).data,
            status=status.HTTP_201_CREATED))


@extend_schema_view(get=extend_schema(examples=examples.BANK_ACCOUNT_CHANGE_READ))
class BankAccountChangeDetail(generics.RetrieveAPIView):
    """One bank account change request and its decision."""

    serializer_class = s.BankAccountChangeSerializer

    def get_queryset(self):
        return selectors.visible_bank_account_changes(self.request.user)


@errors({400: ["reason_required"], 403: ["maker_checker", "permission_denied"],
         409: ["invalid_transition"]})
class BankAccountChangeDecision(APIView):
    """Decide on a bank account change requested by someone else.

    approve / reject (`note`: why; required to reject)."""

    action: str = ""
    SERVICES = {"approve": services.approve_bank_account_change,
                "reject": services.reject_bank_account_change}

    @extend_schema(request=s.ReasonSerializer, responses=s.BankAccountChangeSerializer,
                   examples=examples.BANK_ACCOUNT_CHANGE_DECISION)
    def post(self, request: Request, pk: int) -> Response:
        change = get_object_or_404(selectors.visible_bank_account_changes(request.user), pk=pk)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = self.SERVICES[self.action](change, actor=request.user, note=body.reason_text)
        return Response(s.BankAccountChangeSerializer(change).data)
