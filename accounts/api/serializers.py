from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from accounts.roles import roles_of
from gridapp.models import GridMembership, LeaderTerm, current_terms_q


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=256)


class UserBriefSerializer(serializers.ModelSerializer):
    """A user as others see them: no openid, phone masked."""

    class Meta:
        model = User
        fields = ["id", "display_name", "phone_masked"]


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "display_name", "phone_masked", "roles", "memberships"]
        read_only_fields = ["id", "phone_masked", "roles", "memberships"]
        extra_kwargs = {"display_name": {"required": True, "allow_blank": False}}

    def get_roles(self, user: User) -> list[dict]:
        return roles_of(user).as_list()

    def get_memberships(self, user: User) -> list[dict]:
        terms = LeaderTerm.objects.filter(current_terms_q(timezone.localdate()), user=user)
        led = [{"grid": t.grid_id, "role": "leader", "status": "active"} for t in terms]
        memberships = GridMembership.objects.filter(user=user).order_by("created_at")
        return led + [{"grid": m.grid_id, "role": "member", "member_type": m.member_type,
                       "status": m.status, "id": m.pk} for m in memberships]


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = MeSerializer()
    created = serializers.BooleanField()
