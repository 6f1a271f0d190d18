"""The one list shape of API.md: {"results": [...], "next": <url|null>}."""

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`; a limit above MAX_PAGE_SIZE is clamped, never an error."""

    max_limit = settings.MAX_PAGE_SIZE

    def get_paginated_response(self, data: list) -> Response:
        return Response({"results": data, "next": self.get_next_link(), "count": self.count})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "count": {"type": "integer"},
            },
        }
