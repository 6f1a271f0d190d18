"""`GET /api/v1/ping`: the framework's own ceiling, for the load benchmark.

It answers a constant body, but only after everything a real endpoint goes through: the
middleware, JWT authentication (which loads the user: one query), DRF's content
negotiation and rendering. What a real endpoint costs beyond this is our own code.
Harmless to keep in production: it needs a valid token and tells nothing.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

PONG = {"pong": True}


class Ping(APIView):
    @extend_schema(responses={200: inline_serializer("Pong", {"pong": serializers.BooleanField()})},
                   summary="constant answer through the whole stack (load-test baseline)",
                   examples=[OpenApiExample("pong", response_only=True, value=PONG)])
    def get(self, request: Request) -> Response:
        return Response(PONG)
