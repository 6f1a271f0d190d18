"""The mini-program's home screen in one request."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridapp import home

LIGHTS = inline_serializer("Lights", fields={
    name: serializers.IntegerField() for name in ("total", "green", "yellow", "red")},
    allow_null=True)
HOME = inline_serializer("Home", fields={
    "my_open_reports": serializers.IntegerField(),
    "awaiting_my_verification": serializers.IntegerField(), "queue": LIGHTS, "tasks": LIGHTS,
    "unread": serializers.IntegerField(),
    "stipend": serializers.DictField(required=False, help_text="leaders only: this month's "
                                                               "net, and the latest month's")})


class Home(APIView):
    """What the user's role needs first, in one call.

    For everyone: their open reports, the resolved reports awaiting their verification
    (their own, their grids'), unread messages. A dispatcher: the queue waiting to be
    accepted or dispatched at their levels by traffic light (null for others). A
    department's staff: its open tasks by traffic light. A leader: `stipend`, this
    month's (null amount until the month's run is approved) and the latest."""

    @extend_schema(responses=HOME, examples=[OpenApiExample("a grid leader", response_only=True,
                                                            value={
        "my_open_reports": 2, "awaiting_my_verification": 1, "queue": None, "tasks": None,
        "unread": 3, "stipend": {"period": "2026-12", "amount": None, "status": None,
                                 "latest": {"period": "2026-11", "amount": "300.00",
                                            "status": "paid"}}})])
    def get(self, request: Request) -> Response:
        """The home screen of the signed-in user, per role."""
        return Response(home.home(request.user, timezone.now()))
