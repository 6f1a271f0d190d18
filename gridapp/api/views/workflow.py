"""The lifecycle through the API: `POST /reports/{id}/{action}/` and `/rating/`."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.errors import Forbidden
from config.api.openapi import errors
from gridapp import lifecycle
from gridapp.api import examples
from gridapp.api.serializers import reports as s
from gridapp.api.serializers import workflow as ws
from gridapp.models import Report, ReportEvent
from gridapp.selectors import reports as report_selectors
from gridapp.services import transitions


def actionable_report(request: Request, pk: int) -> Report:
    """The report if the user can see it (else 404), with what the rules read."""
    reports = report_selectors.visible_reports(request.user).select_related(
        "category__parent", "grid", "department__region", "suggested_department__region")
    return get_object_or_404(reports, pk=pk)


@errors({403: ["permission_denied"], 409: ["invalid_transition"]})
class ReportAction(APIView):
    """One transition of the lifecycle of docs/api.md → 200 the report. 404 when the user
    can't see the report, 403 when it isn't theirs to do (checked before the body, so
    that a forbidden caller learns nothing more), 409 `invalid_transition` from the wrong
    status or when someone else was faster. Accepts an Idempotency-Key: a retried click
    gets the first answer instead of a 409."""

    action: str = ""
    body_class: type[serializers.Serializer] = ws.ActionNoteSerializer

    def post(self, request: Request, pk: int) -> Response:
        report, data = permitted_body(request, pk, self.action, self.body_class)
        arguments = self.arguments(request, data)
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
        transitions.ACTIONS[self.action](report, actor=request.user, **arguments)
        fresh = report_selectors.with_details(Report.objects.filter(pk=report.pk)).get()
        return Response(s.ReportDetailSerializer(fresh, context={
            "request": request, "show_flags": report_selectors.sees_flags(request.user)}).data)


ACTION_BODIES: dict[str, type[serializers.Serializer]] = {
    "accept": ws.ActionNoteSerializer, "dispatch": ws.ActionDispatchSerializer, "start": ws.ActionNoteSerializer,
    "resolve": ws.ActionResolveSerializer, "verify": ws.ActionNoteSerializer, "reopen": ws.ActionReasonSerializer,
    "escalate": ws.ActionReasonSerializer, "return": ws.ActionReasonSerializer,
    "reject": ws.ActionReasonSerializer, "merge": ws.ActionMergeSerializer,
    lifecycle.REQUEST_EXTENSION: ws.ExtensionRequestSerializer,
    lifecycle.APPROVE_EXTENSION: ws.ActionNoteSerializer,
    lifecycle.DENY_EXTENSION: ws.ActionReasonSerializer,
}


ACTION_EXAMPLES = {**examples.ACTIONS, "dispatch": examples.DISPATCH}
ACTION_ERRORS = {lifecycle.REQUEST_EXTENSION: {400: ["note_required"],
                                               409: ["extension_pending"]},
                 lifecycle.APPROVE_EXTENSION: {409: ["no_extension_pending"]},
                 lifecycle.DENY_EXTENSION: {400: ["note_required"],
                                            409: ["no_extension_pending"]}}


def action_view(action: str) -> type[ReportAction]:
    """A view class per action, so that the schema documents each one's body."""
    body_class = ACTION_BODIES[action]

    @extend_schema(request=body_class, responses={200: s.ReportDetailSerializer},
                   operation_id=f"reports_{action.replace('-', '_')}",
                   summary=f"{action} a report", examples=ACTION_EXAMPLES.get(action, []))
    @errors(ACTION_ERRORS.get(action, {}))
    def post(self, request: Request, pk: int) -> Response:
        return ReportAction.post(self, request, pk)

    name = "Report" + action.title().replace("-", "") + "Action"
    return type(name, (ReportAction,), {"action": action, "body_class": body_class,
                                        "post": post, "__doc__": ReportAction.__doc__})


@errors({403: ["permission_denied"], 409: ["already_rated"]})
class ReportRating(APIView):
    """评哨: the reporter rates a resolved or closed report once → 201 the rating."""

    @extend_schema(request=ws.RatingBodySerializer, responses={201: ws.ReportRatingSerializer},
                   examples=examples.RATING)
    def post(self, request: Request, pk: int) -> Response:
        report, data = permitted_body(request, pk, lifecycle.RATE, ws.RatingBodySerializer)
        return idempotent(request, lambda: Response(
            ws.ReportRatingSerializer(transitions.rate_report(
                report, actor=request.user, **data)).data,
            status=status.HTTP_201_CREATED))


def permitted_body(request: Request, pk: int, action: str,
                   body_class: type[serializers.Serializer]) -> tuple[Report, dict]:
    """The report and the validated body, role first: a caller who may not act learns
    nothing from the body's errors."""
    report = actionable_report(request, pk)
    if not lifecycle.may(request.user, action, report):
        raise Forbidden()
    body = body_class(data=request.data)
    body.is_valid(raise_exception=True)
    return report, body.validated_data
