"""Department scorecards (四象限评价, docs/evaluation.md): read, publish, trace."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.errors import Forbidden
from config.api.fields import datetime_text
from config.api.openapi import errors
from config.api.queries import validated_query
from gridapp.api import examples
from gridapp.api.serializers import evaluations as s
from gridapp.models import Scorecard, ScorecardLine
from gridapp.selectors import evaluations as selectors
from gridapp.services import evaluations as services


@errors({403: ["permission_denied"]})
class ScorecardList(generics.ListAPIView):
    """A region's department scorecards for a period (the latest publication).

    For the command centres of the region or above it and administrators; a department's
    staff see their own department's row only."""

    serializer_class = s.ScorecardSerializer
    queryset = Scorecard.objects.none()  # names the model for the schema

    @extend_schema(parameters=[s.ScorecardQuerySerializer], examples=examples.SCORECARDS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Scorecard]:
        query = validated_query(self.request, s.ScorecardQuerySerializer)
        if not selectors.may_read(self.request.user, query["region"]):
            raise Forbidden(_("Only the command centres over the region and the departments "
                              "can read scorecards."))
        return selectors.scorecards_for(self.request.user, **query)


PUBLISHED = inline_serializer("Publication", fields={
    "region": serializers.IntegerField(), "period": serializers.CharField(),
    "version": serializers.IntegerField(), "published_at": serializers.DateTimeField(),
    "results": s.ScorecardSerializer(many=True)})


@errors({403: ["permission_denied"]})
class ScorecardPublish(APIView):
    """Compute and store a region's scorecards for a period: a new version each time."""

    @extend_schema(request=s.ScorecardPublishSerializer, responses={201: PUBLISHED},
                   examples=examples.PUBLISH_SCORECARDS)
    def post(self, request: Request) -> Response:
        body = s.ScorecardPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: self._publish(request, **body.validated_data))

    def _publish(self, request: Request, *, region, period) -> Response:
        publication = services.publish_scorecards(region=region, period=period,
                                                  actor=request.user)
        cards = Scorecard.objects.filter(publication=publication).select_related(
            "publication", "department").order_by("department__code")
        return Response({"region": region.pk, "period": period.label,
                         "version": publication.version,
                         "published_at": datetime_text(publication.published_at),
                         "results": s.ScorecardSerializer(cards, many=True).data},
                        status=status.HTTP_201_CREATED)


class ScorecardReports(generics.ListAPIView):
    """The reports behind a scorecard, each with what it contributed to the figures."""

    serializer_class = s.ScorecardLineSerializer
    queryset = ScorecardLine.objects.none()

    @extend_schema(examples=examples.SCORECARD_REPORTS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ScorecardLine]:
        card = get_object_or_404(selectors.visible_scorecards(self.request.user),
                                 pk=self.kwargs["pk"])
        return card.lines.select_related("report").order_by("report_id")
