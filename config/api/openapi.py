"""The schema class every view gets (settings `DEFAULT_SCHEMA_CLASS`): what docs/api.md's
conventions promise about each operation, derived once instead of written on every view.

- **summary**: the first line of the method's docstring, else of the view's (the rest is
  the description). Never DRF's own docstrings: a view with an `action` attribute
  (`dispatch`!) is not a viewset.
- **tag**: the area of the URL, `/api/v1/<area>/…` (`AREAS` merges a few).
- **error responses**, each the error body of `config.api.errors` with its codes and one
  example per code: 401 on every authenticated operation; 400 `invalid` where a body or a
  query is validated; 400 `invalid_json`, 413 `body_too_large` and 415 where a JSON body
  is read; 404 `not_found` where the path names an object; 429 where a throttle applies;
  the idempotency codes on every creating POST. What only the view knows (403, 409, its
  domain codes) it declares with `@errors({403: [...], 409: [...]})`.

A new operation therefore needs a docstring, `extend_schema` with its serializers and
`OpenApiExample`s, and `@errors` for its own codes; `tests/test_openapi.py` fails naming
any operation without them.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc
from rest_framework import permissions, serializers
from rest_framework.fields import empty

from config.api import errors as api_errors

T = TypeVar("T")
ERRORS_ATTRIBUTE = "documented_errors"

# The first path segment after /api/v1/ → the tag shown in /api/docs/.
AREAS = {
    "auth": "sign-in", "me": "sign-in", "ping": "sign-in",
    "regions": "grids", "departments": "grids", "grids": "grids", "memberships": "grids",
    "photos": "reports", "categories": "reports", "reports": "reports",
    "map": "map", "payroll": "payroll", "evaluations": "evaluations",
}

AUTHENTICATION = {401: ["not_authenticated", "token_expired", "token_invalid"]}
BODY = {400: ["invalid", "invalid_json"], 413: ["body_too_large"], 415: ["unsupported_media"]}
QUERY = {400: ["invalid"]}
OBJECT = {404: ["not_found"]}
THROTTLED = {429: ["throttled"]}
CREATING = {400: ["idempotency_key_invalid"],
            409: ["idempotency_key_reused", "idempotency_key_in_use"]}


def errors(codes: dict[int, Iterable[str]]) -> Callable[[T], T]:
    """Declare the error codes a view or one of its methods can answer beyond the ones
    the schema class infers: `@errors({403: ["maker_checker"], 409: ["invalid_transition"]})`."""

    def mark(target: T) -> T:
        declared = {**getattr(target, ERRORS_ATTRIBUTE, {})}
        for status, names in codes.items():
            declared[status] = [*declared.get(status, []), *names]
        setattr(target, ERRORS_ATTRIBUTE, declared)
        return target

    return mark


class ErrorSerializer(serializers.Serializer):
    """The error body of every 4xx and 5xx (docs/api.md "Conventions")."""

    code = serializers.CharField(help_text="machine code, listed per status in docs/api.md")
    detail = serializers.CharField(help_text="what to fix, in the request's language")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="validation errors only: the messages of each malformed field")

    class Meta:
        ref_name = "Error"


def _messages_by_code() -> dict[str, str]:
    """Each domain error's own message, for the examples."""
    found: dict[str, str] = {}
    pending: list[type] = [api_errors.DomainError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        found.setdefault(cls.default_code, str(cls.default_detail))
    return found


def _merge(target: dict[int, list[str]], more: dict[int, Iterable[str]]) -> None:
    for status, names in more.items():
        target.setdefault(status, [])
        target[status] += [name for name in names if name not in target[status]]


class AutoSchema(SpectacularAutoSchema):
    def _handler(self) -> Any:
        return getattr(self.view, self.method.lower(), None)

    def _docstring(self) -> str:
        return get_doc(self._handler()) or get_doc(self.view.__class__)

    def get_summary(self) -> str | None:
        """The docstring's first sentence; for a view class per action (`action =
        "approve"`), prefixed with the action."""
        paragraph = " ".join(self._docstring().strip().split("\n\n", 1)[0].split())
        first = re.split(r"(?<=[.!?。])\s", paragraph, maxsplit=1)[0].rstrip(".")
        action = getattr(self.view, "action", None)
        per_action = isinstance(action, str) and action and not hasattr(
            self.view, "get_extra_action_url_map")  # a viewset's `action` is not one
        if first and per_action:
            return f"{action}: {first}"
        return first or None

    def get_description(self) -> str:  # type: ignore[override]
        return self._docstring().strip()

    def get_tags(self) -> list[str]:
        segments = [s for s in self.path.split("/") if s]
        area = segments[2] if segments[:2] == ["api", "v1"] and len(segments) > 2 else segments[0]
        area = area.split(".")[0]
        return [AREAS.get(area, area)]

    def error_codes(self, responses: dict) -> dict[int, list[str]]:
        """Every error status of this operation → its codes, inferred then declared."""
        codes: dict[int, list[str]] = {}
        view = self.view
        authenticated = bool(view.get_authenticators()) and not any(
            isinstance(p, permissions.AllowAny) for p in view.get_permissions())
        if authenticated:
            _merge(codes, AUTHENTICATION)
        if self.method in ("POST", "PUT", "PATCH"):
            _merge(codes, BODY)
        elif any(p.get("in") == "query" and p.get("name") not in ("limit", "offset")
                 for p in self._get_parameters()):
            _merge(codes, QUERY)
        if "{" in self.path:
            _merge(codes, OBJECT)
        if view.get_throttles():
            _merge(codes, THROTTLED)
        if self.method == "POST" and "201" in responses:
            _merge(codes, CREATING)
        _merge(codes, getattr(view.__class__, ERRORS_ATTRIBUTE, {}))
        _merge(codes, getattr(self._handler(), ERRORS_ATTRIBUTE, {}))
        return codes

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A read-only field whose default is None (`source="department.name",
        default=None`: null until dispatch) is nullable, whatever its type says."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if field.read_only and getattr(field, "default", empty) is None and "$ref" not in schema:
            schema["nullable"] = True
        return schema

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error_ref = self.resolve_serializer(ErrorSerializer(), "response").ref
        messages = _messages_by_code()
        for status, codes in sorted(self.error_codes(responses).items()):
            if str(status) in responses:
                continue
            examples = {code: {"value": api_errors.error_body(code, messages.get(code, "…"))}
                        for code in codes}
            responses[str(status)] = {
                "description": "codes: " + ", ".join(f"`{code}`" for code in codes),
                "content": {"application/json": {"schema": error_ref, "examples": examples}},
            }
        return responses
