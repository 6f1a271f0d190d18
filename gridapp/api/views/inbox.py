"""The in-app inbox (`GET /notifications/`, `POST /notifications/read/`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.fields import IdField
from config.api.queries import validated_query
from gridapp.models import Notification
from gridapp.selectors import inbox
from gridapp.services.inbox import mark_read

MESSAGE = {"id": 91, "kind": "accepted", "report": 41, "title": "您上报的事件已受理",
           "body": "BH20261126000123 · 市政设施 / 路灯不亮 · 已受理",
           "created_at": "2026-11-26T11:00:00+08:00", "read_at": None}


class MessageSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "report", "title", "body", "created_at", "read_at"]
        read_only_fields = fields

    def get_title(self, message: Notification) -> str:
        return inbox.title(message)

    def get_body(self, message: Notification) -> str:
        return inbox.body(message)


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False,
                                      help_text="1: only the messages not read yet")


class ReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), required=False, max_length=1000)
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["all"] == ("ids" in attrs):
            raise serializers.ValidationError(
                {"ids": [_("Send either ids, or all: true.")]})
        return attrs


UNREAD = inline_serializer("Unread", fields={"unread": serializers.IntegerField()})


class Inbox(generics.ListAPIView):
    """The user's messages, newest first, with how many are unread.

    Every message the outbox writes (a new report in your grid, accepted, dispatched to
    you, escalated, resolved, overdue…) is also here, whether or not WeChat delivered it."""

    serializer_class = MessageSerializer

    def get_queryset(self):
        unread_only = validated_query(self.request, InboxQuerySerializer)["unread"]
        return inbox.inbox(self.request.user, unread_only=unread_only)

    @extend_schema(parameters=[InboxQuerySerializer], examples=[
        OpenApiExample("one unread message", response_only=True, value=MESSAGE)])
    def get(self, request: Request, *args, **kwargs) -> Response:
        """The inbox, a page at a time, and the count of unread messages."""
        response = super().get(request, *args, **kwargs)
        response.data["unread"] = inbox.unread_count(request.user)
        return response


class InboxRead(APIView):
    """Mark messages read: some by id, or all."""

    @extend_schema(request=ReadSerializer, responses=UNREAD, examples=[
        OpenApiExample("two messages", request_only=True, value={"ids": [91, 92]}),
        OpenApiExample("everything", request_only=True, value={"all": True}),
        OpenApiExample("what stays unread", response_only=True, value={"unread": 0})])
    def post(self, request: Request) -> Response:
        """Mark the user's messages read; answers how many stay unread."""
        body = ReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = None if body.validated_data["all"] else body.validated_data["ids"]
        return Response({"unread": mark_read(request.user, ids=ids)})
