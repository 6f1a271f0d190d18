"""Bodies of the report actions (`POST /reports/{id}/{action}/`) and of the rating."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.fields import IdField
from gridapp.models import Department

from .fields import IdOrCodeField

NOTE_MAX = 2000


class ActionNoteSerializer(serializers.Serializer):
    """accept, start, verify: a note is welcome, not required."""

    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class ActionReasonSerializer(serializers.Serializer):
    """escalate, return, reject, reopen: the reason is the point."""

    note = serializers.CharField(max_length=NOTE_MAX, help_text="the reason")


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True,
                      "description": "a department id, or its code such as `bh-lighting`; "
                                     "empty: the suggested department"})
class DepartmentField(IdOrCodeField):
    default_error_messages = {
        "does_not_exist": _("There is no department {value}."),
        "invalid": _("A department is an id or a code."),
    }

    def get_queryset(self):
        return Department.objects.select_related("region")


class ExtensionRequestSerializer(ActionReasonSerializer):
    """request-extension: how many more hours, and why."""

    hours = serializers.IntegerField(min_value=1, max_value=720,
                                     help_text="more hours asked, 1 to 720 (30 days)")


class ActionDispatchSerializer(ActionNoteSerializer):
    department = DepartmentField(required=False, allow_null=True, default=None)


class ActionResolveSerializer(ActionReasonSerializer):
    note = serializers.CharField(max_length=NOTE_MAX, help_text="what was done")
    photo_ids = serializers.ListField(
        child=IdField(), required=False, default=list,
        max_length=settings.REPORT_MAX_PHOTOS,
        help_text="\"after\" photos uploaded through POST /photos/ by the handler; at least "
                  "one (none: 400 after_photo_required)")

    def validate_photo_ids(self, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(_("A photo is listed twice."))
        return ids


class ActionMergeSerializer(ActionNoteSerializer):
    duplicate_of = serializers.IntegerField(min_value=1, max_value=2**63 - 1,
                                            help_text="the open report this one repeats")


class RatingBodySerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True,
                                    default="")


class ReportRatingSerializer(serializers.Serializer):
    report = serializers.IntegerField(source="pk")
    score = serializers.IntegerField(source="rating")
    comment = serializers.CharField(source="rating_comment")
    at = serializers.DateTimeField(source="rated_at")
