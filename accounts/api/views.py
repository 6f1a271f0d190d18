from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import services
from config.api.openapi import errors

from . import examples
from .serializers import (
    CodeSerializer,
    LoginResponseSerializer,
    RotatingRefreshSerializer,
    profile_schema,
    profile_serializer,
)


@errors({400: ["wechat_code_invalid"], 503: ["wechat_unavailable"]})
class WeChatLoginView(APIView):
    """Exchange a `wx.login` code for our tokens."""

    # A stale or forged token beside a fresh code must not stop the login.
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=CodeSerializer, responses=LoginResponseSerializer, examples=[
        OpenApiExample("a wx.login code (demo: demo-leader1)", request_only=True,
                       value={"code": "081aBc000xYz1T1xyz0000Abcd3aBc0X"}),
        OpenApiExample("signed in", response_only=True, value={
            "access": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl",
            "refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl",
            "user": {"id": 12, "display_name": "王网格长", "phone_masked": "138****0001",
                     "roles": [], "memberships": []},
            "created": False}),
    ])
    def post(self, request: Request) -> Response:
        body = CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user, created = services.login_with_wechat(body.validated_data["code"])
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh),
                         "user": profile_serializer()(user).data, "created": created})


@errors({401: ["token_expired", "token_invalid"]})
class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token; the
    refresh token sent is blacklisted, so it works exactly once."""

    serializer_class = RotatingRefreshSerializer

    @extend_schema(examples=[
        OpenApiExample("the refresh token from the login", request_only=True, value={
            "refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"}),
        OpenApiExample("new tokens", response_only=True, value={
            "access": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.bmV3",
            "refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.bmV3"}),
    ])
    def post(self, request: Request, *args, **kwargs) -> Response:
        """Exchange a refresh token for new tokens; the one sent works exactly once."""
        return super().post(request, *args, **kwargs)


@errors({400: ["wechat_code_invalid"], 409: ["phone_taken"], 503: ["wechat_unavailable"]})
class WeChatPhoneView(APIView):
    """Bind the phone number from `getPhoneNumber` to the current user."""

    @extend_schema(request=CodeSerializer, responses={200: profile_schema()},
                   examples=examples.BIND_PHONE)
    def post(self, request: Request) -> Response:
        body = CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.bind_phone(request.user, code=body.validated_data["code"])
        return Response(profile_serializer()(user).data)
