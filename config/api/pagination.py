"""The one list shape of docs/api.md: {"results": [...], "next": <url|null>}, by limit and
offset (with a count), or by cursor for the lists that grow without bound."""

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.response import Response


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`. A limit above MAX_PAGE_SIZE is clamped and a malformed limit or
    offset (`abc`, `-1`) falls back to the default: a list request is never an error."""

    @property
    def max_limit(self) -> int:
        # read per request, not at import: MAX_PAGE_SIZE stays one setting to override
        return settings.MAX_PAGE_SIZE

    def get_paginated_response(self, data: list) -> Response:
        return Response({"results": data, "next": self.get_next_link(), "count": self.count})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri",
                         "example": "https://example.org/api/v1/reports/?limit=20&offset=20"},
                "count": {"type": "integer", "example": 57},
            },
        }


class NewestFirst(CursorPagination):
    """Keyset pages for a list that grows without bound (a city's reports): newest first,
    `?limit=` as everywhere, and `next` carrying an opaque `cursor`. No count and no
    offset: the first page of millions of rows costs what the first page of ten does, and
    a page never repeats or skips a row that arrived meanwhile. A cursor that cannot be
    read is 400 naming `cursor`."""

    ordering = ("-created_at", "-pk")
    page_size_query_param = "limit"

    @property
    def max_page_size(self) -> int:
        return settings.MAX_PAGE_SIZE

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            malformed = True
        else:
            malformed = cursor is not None and cursor.position is not None and \
                parse_datetime(cursor.position) is None
        if malformed:
            raise ValidationError({self.cursor_query_param: [_("This cursor cannot be read: "
                                                               "follow `next` as given.")]})
        return cursor

    def get_paginated_response(self, data: list) -> Response:
        return Response({"results": data, "next": self.get_next_link(),
                         "previous": self.get_previous_link()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri",
                "example": "https://example.org/api/v1/reports/?cursor=cD0yMDI2LTExLTI2&limit=20"}
        return {"type": "object", "required": ["results", "next"],
                "properties": {"results": schema, "next": link, "previous": link}}
