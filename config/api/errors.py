"""Domain errors and the one exception handler that renders every error as docs/api.md says.

Body: {"code": "<machine_code>", "detail": "<message>", "fields": {...}} where `fields`
appears only for validation errors. Services raise `DomainError` subclasses; DRF's own
exceptions and Django's Http404/PermissionDenied are mapped to the same shape.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings


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


class TokenExpired(DomainError, exceptions.AuthenticationFailed):
    """401 for a token past its lifetime: the client refreshes (or, for a refresh token,
    signs in again). An AuthenticationFailed, so that DRF adds WWW-Authenticate."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "token_expired"
    default_detail = _("Your sign-in has expired; refresh the token.")


class TokenInvalid(DomainError, exceptions.AuthenticationFailed):
    """401 for a token that will never work (forged, malformed, of the wrong type, used,
    of a deleted or disabled user): the client signs in again."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "token_invalid"
    default_detail = _("This token is not valid; please sign in again.")


class PathNotFound(Hidden):
    default_detail = _("There is no such path; see docs/api.md.")


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


# A validation error whose only problem is that one of these fields is missing or blank
# answers the field's own code, the one the docs promise (docs/workflow.md).
MISSING_FIELD_CODES = {"note": "note_required"}
MISSING = {"required", "blank", "null"}

# What a field is called in an error message, where its serializer gives no label of its
# own (a plain serializer's default label is the field name, untranslated).
FIELD_LABELS = {
    "note": _("note"),
    "code": _("code"),
    "refresh": _("refresh token"),
    "display_name": _("display name"),
    "invite_code": _("invite code"),
    "member_type": _("member type"),
    "file": _("file"),
    "lat": _("latitude"),
    "lng": _("longitude"),
    "category": _("category"),
    "description": _("description"),
    "address": _("address"),
    "photo_ids": _("photos"),
    "urgent": _("urgent"),
    "department": _("department"),
    "duplicate_of": _("duplicate of"),
    "score": _("score"),
    "comment": _("comment"),
    "period": _("period"),
    "region": _("region"),
    "leader": _("leader"),
    "amount": _("amount"),
    "reason": _("reason"),
}


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, DomainError):
        return exc.code
    if isinstance(exc, exceptions.ValidationError) and (code := _missing_field_code(exc)):
        return code
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


def _missing_field_code(exc: exceptions.ValidationError) -> str | None:
    codes = exc.get_codes()
    if not isinstance(codes, dict) or len(codes) != 1:
        return None
    (name, problems), = codes.items()
    if name in MISSING_FIELD_CODES and isinstance(problems, list) and set(problems) <= MISSING:
        return MISSING_FIELD_CODES[name]
    return None


def _raising_serializer(exc: Exception) -> serializers.BaseSerializer | None:
    """The serializer whose `is_valid(raise_exception=True)` raised `exc`, if one did.
    DRF's ValidationError does not carry it, but the frame that raised it does: the
    innermost frame whose `self` is a serializer."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("self")
        if isinstance(candidate, serializers.BaseSerializer):
            found = candidate
        tb = tb.tb_next
    return found


def _label(name: str, serializer: serializers.BaseSerializer | None) -> str:
    """A field named in words: our glossary, else the serializer field's own label (a
    model field's verbose name), else the name itself."""
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    fields = getattr(serializer, "fields", None) or {}
    field = fields.get(name) if hasattr(fields, "get") else None
    return str(field.label) if field is not None and field.label else name


def _validation_message(detail: dict, serializer: serializers.BaseSerializer | None) -> str:
    """`说明：该字段是必填项。`: the first problem, with the field it is about."""
    for name, messages in detail.items():
        if message := _first_message(messages):
            if name == api_settings.NON_FIELD_ERRORS_KEY:
                return message
            return str(_("{field}: {message}")).format(
                field=capfirst(_label(name, serializer)), message=message)
    return str(_("The request is invalid."))


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Imported here: rest_framework.views loads the authentication classes, and ours
    # (accounts.authentication) import the errors of this module.
    from rest_framework.views import exception_handler as drf_exception_handler

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
        message = _validation_message(detail, _raising_serializer(exc))
        response.data = error_body(_code_of(exc), message, fields)
    else:
        response.data = error_body(_code_of(exc), _first_message(exc.detail))
    return response


def json_404(request, exception=None) -> JsonResponse:
    return JsonResponse(error_body("not_found", not_found_detail(request.path)), status=404)


def not_found_detail(path: str) -> str:
    """Paths are exact (APPEND_SLASH is off): name the one that was probably meant."""
    twin = path[:-1] if path.endswith("/") else path + "/"
    try:
        resolve(twin)
    except Resolver404:
        return str(PathNotFound.default_detail)
    return _("There is no such path; did you mean %(path)s?") % {"path": twin}


def json_500(request) -> JsonResponse:
    return JsonResponse(error_body("server_error", str(_("Internal server error."))), status=500)
