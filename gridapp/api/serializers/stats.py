"""The query of the statistics overview."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .fields import RegionField

DEFAULT_DAYS = 30
MAX_DAYS = 366


class StatsQuerySerializer(serializers.Serializer):
    """`?region=&from=&to=` (dates in Beijing time, both included; default the last 30
    days to today; at most a year)."""

    region = RegionField(required=False)
    to = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        last = attrs.get("to") or timezone.localdate()
        first = attrs.get("from") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise serializers.ValidationError({"from": [_("from is after to.")]})
        if (last - first).days >= MAX_DAYS:
            raise serializers.ValidationError({"from": [_("At most a year at a time.")]})
        return {**attrs, "from": first, "to": last}


# `from` is a Python keyword: declared here rather than as a class attribute.
StatsQuerySerializer._declared_fields["from"] = serializers.DateField(required=False)
