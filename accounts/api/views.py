from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import services

from .serializers import (
    CodeSerializer,
    LoginResponseSerializer,
    RotatingRefreshSerializer,
    profile_schema,
    profile_serializer,
)


class WeChatLoginView(APIView):
    """Exchange a `wx.login` code for our tokens."""

    # A stale or forged token beside a fresh code must not stop the login.
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=CodeSerializer, responses=LoginResponseSerializer)
    def post(self, request: Request) -> Response:
        body = CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user, created = services.login_with_wechat(body.validated_data["code"])
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh),
                         "user": profile_serializer()(user).data, "created": created})


class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token; the
    refresh token sent is blacklisted, so it works exactly once."""

    serializer_class = RotatingRefreshSerializer


class WeChatPhoneView(APIView):
    """Bind the phone number from `getPhoneNumber` to the current user."""

    @extend_schema(request=CodeSerializer, responses={200: profile_schema()})
    def post(self, request: Request) -> Response:
        body = CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.bind_phone(request.user, code=body.validated_data["code"])
        return Response(profile_serializer()(user).data)
