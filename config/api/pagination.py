"""The one list shape of docs/api.md: {"results": [...], "next": <url|null>}."""

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination
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
