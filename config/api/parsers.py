"""The JSON parser of every API view: bounded in size and in nesting.

DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never
applies to a JSON body, and DRF's parser catches only ValueError, so a body of a
thousand `[` escapes as RecursionError (a 500). Here a body over MAX_JSON_BODY_BYTES is
413 `body_too_large` before a byte of it is decoded (by its Content-Length, and by
counting while reading when there is none), and anything json cannot decode, nesting
too deep included, is 400 `invalid_json`. Multipart photo uploads use their own parser
and limits (PHOTO_MAX_BYTES).
"""

import json
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

from .errors import DomainError


class InvalidJSON(DomainError, exceptions.ParseError):
    default_code = "invalid_json"
    default_detail = _("The request body is not valid JSON.")


class BodyTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"
    default_detail = _("The request body is too large (at most %(bytes)s bytes).")


def body_too_large() -> BodyTooLarge:
    return BodyTooLarge(BodyTooLarge.default_detail % {"bytes": settings.MAX_JSON_BODY_BYTES})


class BoundedJSONParser(JSONParser):
    def parse(self, stream: IO[bytes] | None, media_type: str | None = None,
              parser_context: dict | None = None) -> Any:
        limit = settings.MAX_JSON_BODY_BYTES
        if _declared_length(parser_context) > limit:
            raise body_too_large()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise body_too_large()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            return json.loads(text, parse_constant=_refuse_constant if api_settings.STRICT_JSON
                              else None)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise InvalidJSON() from exc


def _refuse_constant(name: str) -> None:
    """DRF's STRICT_JSON: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def _declared_length(parser_context: dict | None) -> int:
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {})
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
