import math

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from gridapp import geo
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


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: DRF's FloatField lets "nan" through, and NaN
    passes every range check (each comparison with it is false)."""

    def to_internal_value(self, data: object) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class IdOrCodeField(serializers.RelatedField):
    """A related object by id (`3`) or by its `code` (`"streetlight"`), as the
    mini-program and the hotline both find it convenient. Subclasses give the queryset
    and the two messages."""

    def to_internal_value(self, data: object) -> models.Model:
        if isinstance(data, bool) or not isinstance(data, int | str) or str(data).strip() == "":
            self.fail("invalid")
        value = str(data).strip()
        lookup = {"pk": int(value)} if value.isdigit() else {"code": value}
        found = self.get_queryset().filter(**lookup).first()
        if found is None:
            self.fail("does_not_exist", value=value[:64])
        return found

    def to_representation(self, value: models.Model) -> int:
        return value.pk


class PointFields(serializers.Serializer):
    """A point as API.md takes it: lat/lng in degrees, GCJ-02 unless `coord_type` says."""

    lat = FiniteFloatField(min_value=-90, max_value=90)
    lng = FiniteFloatField(min_value=-180, max_value=180)
    coord_type = serializers.ChoiceField(choices=geo.COORD_TYPES, default=geo.GCJ02)


class PointQuerySerializer(PointFields):
    """A point in a query string, converted to GCJ-02."""

    def validate(self, attrs: dict) -> dict:
        attrs["lat"], attrs["lng"] = geo.to_gcj02(attrs["lat"], attrs["lng"], attrs["coord_type"])
        return attrs


class GridFilterSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    mine = serializers.BooleanField(required=False, default=False)


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
