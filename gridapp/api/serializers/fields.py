"""Fields the gridapp endpoints share: a related object by id or code, a point."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import FiniteFloatField, parse_id
from gridapp import geo
from gridapp.models import Region


class IdOrCodeField(serializers.RelatedField):
    """A related object by id (`3`) or by its `code` (`"streetlight"`), as the
    mini-program and the hotline both find it convenient. Subclasses give the queryset
    and the two messages."""

    def to_internal_value(self, data: object) -> models.Model:
        if isinstance(data, bool) or not isinstance(data, int | str) or str(data).strip() == "":
            self.fail("invalid")
        value = str(data).strip()
        pk = parse_id(data)
        lookup = {"pk": pk} if pk is not None else {"code": value}
        found = self.get_queryset().filter(**lookup).first()
        if found is None:
            self.fail("does_not_exist", value=value[:64])
        return found

    def to_representation(self, value: models.Model) -> int:
        return value.pk


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}],
                      "description": "a region id, or its 12-digit division code such as "
                                     "`450502001000`"})
class RegionField(serializers.Field):
    """A region by id, or by its 12-digit division code (which an id never is)."""

    default_error_messages = {"invalid": _("No such region.")}

    def to_representation(self, value: Region) -> int:
        return value.pk

    def to_internal_value(self, data: object) -> Region:
        text = str(data).strip()
        lookup = {"code": text} if len(text) == 12 and text.isascii() and text.isdigit() \
            else {"pk": parse_id(data)}
        found = Region.objects.filter(**lookup).first() if None not in lookup.values() else None
        if found is None:
            self.fail("invalid")
        return found


class PointFields(serializers.Serializer):
    """A point as docs/api.md takes it: lat/lng in degrees, GCJ-02 unless `coord_type` says."""

    lat = FiniteFloatField(min_value=-90, max_value=90)
    lng = FiniteFloatField(min_value=-180, max_value=180)
    coord_type = serializers.ChoiceField(choices=geo.COORD_TYPES, default=geo.GCJ02)


class PointQuerySerializer(PointFields):
    """A point in a query string, converted to GCJ-02."""

    def validate(self, attrs: dict) -> dict:
        attrs["lat"], attrs["lng"] = geo.to_gcj02(attrs["lat"], attrs["lng"], attrs["coord_type"])
        return attrs
