"""`GET /me`: the signed-in user with their roles and memberships. Composed here, where
roles live; accounts shows it through `settings.PROFILE_SERIALIZER`."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from accounts.models import User
from gridapp.models import GridMembership
from gridapp.selectors.roles import roles_of


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


class MeSerializer(UserBriefSerializer):
    """The signed-in user as they see themselves (`GET /me`): a constant number of
    queries however many roles and memberships they have."""

    phone_masked = serializers.CharField(read_only=True, allow_null=True,
                                         help_text=_("Even to its owner: 138****5678."))
    roles = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    class Meta(UserBriefSerializer.Meta):
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
