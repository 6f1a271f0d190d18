from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from gridapp.models import Department, Grid, GridMembership, Invite, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "region"]


class GridSerializer(serializers.ModelSerializer):
    """Reads `current_terms` and `member_count` prepared by `selectors.with_details`."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    leader = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Grid
        fields = ["id", "code", "name", "community", "community_name", "leader", "member_count",
                  "boundary"]

    @extend_schema_field(UserBriefSerializer(allow_null=True))
    def get_leader(self, grid: Grid) -> dict | None:
        terms = getattr(grid, "current_terms", None)
        if terms is None:
            term = grid.current_leader_term()
            terms = [term] if term else []
        return UserBriefSerializer(terms[0].user).data if terms else None


# --- list filters: the query string, validated; a malformed value is 400 naming it -------


class RegionFilterSerializer(serializers.Serializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    level = serializers.ChoiceField(choices=Region.Level.choices, required=False)


class DepartmentFilterSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)


class GridFilterSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    mine = serializers.BooleanField(required=False, default=False)


class MembershipFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=GridMembership.Status.choices, required=False)
    member_type = serializers.ChoiceField(choices=GridMembership.MemberType.choices,
                                          required=False)


class InviteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invite
        fields = ["code", "expires_at", "grid"]


class JoinSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=32)
    member_type = serializers.ChoiceField(choices=GridMembership.MemberType.choices,
                                          default=GridMembership.MemberType.VOLUNTEER)


class MembershipSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = GridMembership
        fields = ["id", "grid", "user", "member_type", "status", "created_at", "decided_at"]


class PerformanceQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000,
                                    help_text="a calendar year up to the current one (default)")

    def validate_year(self, value: int) -> int:
        if value > timezone.localdate().year:
            raise serializers.ValidationError(_("That year has not begun."))
        return value



TERM_PERFORMANCE = inline_serializer("TermPerformance", fields={
    "term": serializers.IntegerField(), "leader": serializers.IntegerField(),
    "leader_name": serializers.CharField(), "from": serializers.DateField(),
    "to": serializers.DateField(), "days_served": serializers.IntegerField(),
    "metrics": serializers.DictField(help_text="docs/evaluation.md: rates 0–1 with four "
                                     "decimals, the mean rating with two, as strings; null "
                                     "where there is nothing to divide by")})
GRID_PERFORMANCE = inline_serializer("GridPerformance", fields={
    "grid": serializers.IntegerField(), "year": serializers.IntegerField(),
    "terms": TERM_PERFORMANCE.__class__(many=True)})
