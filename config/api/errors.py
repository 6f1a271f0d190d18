"""Domain errors and the one exception handler that renders every error as API.md says.

Body: {"code": "<machine_code>", "detail": "<message>", "fields": {...}} where `fields`
appears only for validation errors. Services raise `DomainError` subclasses; DRF's own
exceptions and Django's Http404/PermissionDenied are mapped to the same shape.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(exceptions.APIException):
    """A business rule said no. Subclasses fix the status and the machine code."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = _("The request is invalid.")

    def __init__(self, detail: Any = None, code: str | None = None) -> None:
        super().__init__(detail or self.default_detail, code or self.default_code)
        self.code = code or self.default_code


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = _("The request conflicts with the current state.")


class InvalidTransition(Conflict):
    default_code = "invalid_transition"
    default_detail = _("This action is not allowed in the current status.")


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = _("You do not have permission to perform this action.")


class Hidden(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = _("Not found.")


class ServiceUnavailable(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = _("A service we depend on is unavailable; please retry later.")


class DatabaseBusy(ServiceUnavailable):
    default_code = "database_busy"
    default_detail = _("The server is busy; please retry in a moment.")


_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "invalid",
}


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, DomainError):
        return exc.code
    for cls, code in _CODES.items():
        if isinstance(exc, cls):
            return code
    return getattr(exc, "default_code", "error")


def _first_message(detail: Any) -> str:
    """The first human message in a nested DRF error structure. Empty entries are
    skipped: a list serializer reports `{}` for each item that was valid."""
    if not isinstance(detail, (dict, list)):
        return str(detail)
    for value in detail.values() if isinstance(detail, dict) else detail:
        if message := _first_message(value):
            return message
    return ""


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list) and all(not isinstance(m, (list, dict)) for m in detail):
        return [str(m) for m in detail]
    return [_first_message(detail)]


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, OperationalError) and "locked" in str(exc):
        # SQLite's writer waited its whole busy timeout: a retry will succeed.
        exc = DatabaseBusy()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _messages(msgs) for name, msgs in detail.items()}
        message = str(_("Invalid input: {}")).format(_first_message(detail))
        response.data = error_body(_code_of(exc), message, fields)
    else:
        response.data = error_body(_code_of(exc), _first_message(exc.detail))
    return response


def json_404(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body("not_found", str(_("Not found."))), status=404)


def json_500(request) -> JsonResponse:
    return JsonResponse(error_body("server_error", str(_("Internal server error."))), status=500)
