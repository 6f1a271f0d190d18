"""Input and output shapes of the Auth part of docs/api.md.

No serializer here names `wechat_openid` or `wechat_unionid`, and phones leave only
masked: the openid must never leave the server (PIPL, PRODUCT.md).
"""

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.authentication import validated
from accounts.models import User
from config.api.errors import TokenInvalid


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers instead of quietly turning 123 into "123"
    (DRF's own "Not a valid string." message, already translated)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CodeSerializer(serializers.Serializer):
    """A one-time code from `wx.login` or `getPhoneNumber`."""

    code = StrictCharField(max_length=256)


class MeUpdateSerializer(serializers.Serializer):
    display_name = StrictCharField(max_length=64)


class UserBriefSerializer(serializers.ModelSerializer):
    """A user as others see them: no openid, phone masked."""

    phone_masked = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "display_name", "phone_masked"]


def brief(user: User | None) -> dict | None:
    """`UserBriefSerializer`'s dict, written out for the hot paths that nest it in every
    row (a page of reports names each reporter: docs/performance.md)."""
    if user is None:
        return None
    return {"id": user.pk, "display_name": user.display_name, "phone_masked": user.phone_masked}


def profile_serializer() -> type[serializers.Serializer]:
    """How the signed-in user sees themselves (`/me`, the login's `user`): identity knows
    nothing of roles, so the domain that does supplies it (settings.PROFILE_SERIALIZER,
    gridapp's `MeSerializer` in this project)."""
    return import_string(settings.PROFILE_SERIALIZER)


def profile_schema() -> dict:
    """The profile's schema component, by reference: the domain's `/me` registers it."""
    name = settings.PROFILE_SERIALIZER.rsplit(".", 1)[-1].removesuffix("Serializer")
    return {"$ref": f"#/components/schemas/{name}"}


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = serializers.SerializerMethodField()
    created = serializers.BooleanField()

    @extend_schema_field(profile_schema())
    def get_user(self, answer: dict) -> dict:
        return profile_serializer()(answer["user"]).data


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh with rotation and blacklisting, and two holes closed: the
    token of a deleted user is a 401 (simplejwt's own raises DoesNotExist, a 500), and of
    two concurrent refreshes with one token only the first to blacklist it gets new
    tokens (the blacklist row is unique, so blacklisting *is* the claim). An expired
    refresh token is 401 `token_expired`, any other bad one 401 `token_invalid`: either
    way the client signs in again with `wx.login`."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        # signature, expiry, type, blacklist: 401 token_expired or token_invalid
        refresh = validated(self.token_class, attrs["refresh"])
        user = User.objects.filter(pk=refresh.payload.get(jwt_settings.USER_ID_CLAIM)).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise TokenInvalid()
        _blacklisted, first = refresh.blacklist()
        if not first:
            raise TokenInvalid()
        access = str(refresh.access_token)
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        return {"access": access, "refresh": str(refresh)}
