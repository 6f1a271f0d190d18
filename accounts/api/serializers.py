"""Input and output shapes of the Auth part of API.md.

No serializer here names `wechat_openid` or `wechat_unionid`, and phones leave only
masked: the openid must never leave the server (PIPL, PRODUCT.md).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.models import User
from accounts.roles import roles_of
from gridapp.models import GridMembership


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


class MyRoleSerializer(serializers.Serializer):
    """One entry of `roles`: which keys appear depends on `role`."""

    role = serializers.ChoiceField(["admin", "leader", "member", "dispatcher", "handler",
                                    "finance"])
    grid = serializers.IntegerField(required=False)
    grid_code = serializers.CharField(required=False)
    region = serializers.IntegerField(required=False)
    region_name = serializers.CharField(required=False)
    region_level = serializers.CharField(required=False)
    department = serializers.IntegerField(required=False)
    department_name = serializers.CharField(required=False)


class MyMembershipSerializer(serializers.Serializer):
    """One entry of `memberships`: the grids the user leads now, then every membership."""

    grid = serializers.IntegerField()
    grid_code = serializers.CharField()
    role = serializers.ChoiceField(["leader", "member"])
    status = serializers.ChoiceField(GridMembership.Status.choices)
    id = serializers.IntegerField(required=False, help_text=_("The membership's id."))
    member_type = serializers.ChoiceField(GridMembership.MemberType.choices, required=False)


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user as they see themselves (`GET /me`): a constant number of
    queries however many roles and memberships they have."""

    phone_masked = serializers.CharField(read_only=True, allow_null=True,
                                         help_text=_("Even to its owner: 138****5678."))
    roles = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "display_name", "phone_masked", "roles", "memberships"]
        read_only_fields = fields

    @extend_schema_field(MyRoleSerializer(many=True))
    def get_roles(self, user: User) -> list[dict]:
        return roles_of(user).as_list()

    @extend_schema_field(MyMembershipSerializer(many=True))
    def get_memberships(self, user: User) -> list[dict]:
        roles = roles_of(user)
        codes = dict(roles.grid_codes)
        led = [{"grid": g, "grid_code": codes.get(g), "role": "leader", "status": "active"}
               for g in sorted(roles.led_grid_ids)]
        memberships = (GridMembership.objects.filter(user=user).select_related("grid")
                       .order_by("created_at", "pk"))
        return led + [{"grid": m.grid_id, "grid_code": m.grid.code, "role": "member",
                       "status": m.status, "id": m.pk, "member_type": m.member_type}
                      for m in memberships]


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = MeSerializer()
    created = serializers.BooleanField()


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh with rotation and blacklisting, and two holes closed: the
    token of a deleted user is a 401 (simplejwt's own raises DoesNotExist, a 500), and of
    two concurrent refreshes with one token only the first to blacklist it gets new
    tokens (the blacklist row is unique, so blacklisting *is* the claim)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, type, blacklist
        user = User.objects.filter(pk=refresh.payload.get(jwt_settings.USER_ID_CLAIM)).first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(self.error_messages["no_active_account"],
                                       "no_active_account")
        _blacklisted, first = refresh.blacklist()
        if not first:
            raise TokenError(_("Token is blacklisted"))
        access = str(refresh.access_token)
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        return {"access": access, "refresh": str(refresh)}
