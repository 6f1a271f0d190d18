from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.errors import Forbidden
from config.api.openapi import errors
from config.api.queries import validated_query
from config.api.replica import LagTolerantReads
from gridapp.api import examples
from gridapp.api.serializers import fields
from gridapp.api.serializers import grids as s
from gridapp.errors import NoGridHere
from gridapp.models import Department, Grid, GridMembership, Region
from gridapp.selectors import grids as selectors
from gridapp.selectors import performance
from gridapp.services import memberships as services


class RegionList(generics.ListAPIView):
    """Regions are reference data: every signed-in user may read them."""

    serializer_class = s.RegionSerializer

    @extend_schema(parameters=[s.RegionFilterSerializer], examples=examples.REGIONS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Region]:
        return selectors.regions(**validated_query(self.request, s.RegionFilterSerializer))


class DepartmentList(generics.ListAPIView):
    """Departments that reports are dispatched to, with their region; `?region=` narrows."""

    serializer_class = s.DepartmentSerializer

    @extend_schema(parameters=[s.DepartmentFilterSerializer],
                   examples=examples.DEPARTMENTS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Department]:
        return selectors.departments(**validated_query(self.request, s.DepartmentFilterSerializer))


class GridList(LagTolerantReads, generics.ListAPIView):
    """Grids visible to the user; `?mine=1` only their own, `?region=` under a region."""

    serializer_class = s.GridSerializer

    @extend_schema(parameters=[s.GridFilterSerializer], examples=examples.GRID_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Grid]:
        return selectors.grids_for(self.request.user,
                                   **validated_query(self.request, s.GridFilterSerializer))


@extend_schema_view(get=extend_schema(examples=examples.GRID_READ))
class GridDetail(generics.RetrieveAPIView):
    """One grid with its leader, member count and boundary (GeoJSON Polygon)."""

    serializer_class = s.GridSerializer

    def get_queryset(self) -> QuerySet[Grid]:
        return selectors.with_details(selectors.visible_grids(self.request.user))


@errors({404: ["outside_all_grids"]})
class GridLocate(APIView):
    """The grid containing a point. Open to every signed-in user: a newcomer needs it to
    find the grid they live in."""

    @extend_schema(parameters=[fields.PointQuerySerializer], responses=s.GridSerializer,
                   examples=examples.LOCATE)
    def get(self, request: Request) -> Response:
        point = validated_query(request, fields.PointQuerySerializer)
        grid = selectors.locate_grid(point["lat"], point["lng"])
        if grid is None:
            raise NoGridHere()
        grid = selectors.with_details(Grid.objects.filter(pk=grid.pk)).get()
        return Response(s.GridSerializer(grid).data)


def visible_grid(request: Request, pk: int) -> Grid:
    return get_object_or_404(selectors.visible_grids(request.user).select_related("community"),
                             pk=pk)


@errors({403: ["permission_denied"]})
class InviteCreate(APIView):
    """The grid's leader makes an invite code for a new member (valid for a few days)."""

    @extend_schema(request=None, responses={201: s.InviteSerializer},
                   examples=examples.INVITE)
    def post(self, request: Request, pk: int) -> Response:
        grid = visible_grid(request, pk)
        return idempotent(request, lambda: Response(
            s.InviteSerializer(services.create_invite(grid, actor=request.user)).data,
            status=status.HTTP_201_CREATED))


@errors({403: ["permission_denied"]})
class GridMembers(generics.ListAPIView):
    """Members of a grid: for its leader, the dispatchers above it and administrators.
    `?status=pending` is the leader's inbox of requests to decide."""

    serializer_class = s.MembershipSerializer
    queryset = GridMembership.objects.none()  # names the model for the schema

    @extend_schema(parameters=[s.MembershipFilterSerializer], examples=examples.MEMBERS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[GridMembership]:
        grid = visible_grid(self.request, self.kwargs["pk"])
        if not services.manages_grid(self.request.user, grid):
            raise Forbidden(_("Only the grid's leader and the command centres above it can "
                              "list its members."))
        return selectors.grid_members(grid, **validated_query(self.request,
                                                              s.MembershipFilterSerializer))


@errors({400: ["invite_invalid"], 409: ["already_member"]})
class MembershipCreate(APIView):
    """Ask to join a grid with an invite code; the grid's leader decides."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "invite"

    @extend_schema(request=s.JoinSerializer, responses={201: s.MembershipSerializer},
                   examples=examples.JOIN)
    def post(self, request: Request) -> Response:
        body = s.JoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: Response(
            s.MembershipSerializer(services.join_grid(actor=request.user, **body.validated_data)).data,
            status=status.HTTP_201_CREATED))


@errors({403: ["permission_denied"], 409: ["invalid_transition"]})
class MembershipDecision(APIView):
    """The grid's leader decides on a membership; a removal keeps the row with who decided."""

    action: str = ""

    @extend_schema(request=None, responses=s.MembershipSerializer,
                   examples=examples.MEMBERSHIP_DECISION)
    def post(self, request: Request, pk: int) -> Response:
        membership = get_object_or_404(selectors.visible_memberships(request.user), pk=pk)
        membership = services.decide_membership(membership, action=self.action, actor=request.user)
        return Response(s.MembershipSerializer(membership).data)




class GridPerformance(APIView):
    """A grid's leader terms in a year, with figures counted from reports.

    For the grid's leader, the dispatchers and finance staff over it, and administrators:
    what the year-end distribution will score (docs/evaluation.md), typed in by nobody."""

    @extend_schema(parameters=[s.PerformanceQuerySerializer], responses=s.GRID_PERFORMANCE,
                   examples=examples.PERFORMANCE)
    @errors({403: ["permission_denied"]})
    def get(self, request: Request, pk: int) -> Response:
        grid = visible_grid(request, pk)
        if not performance.may_read(request.user, grid):
            raise Forbidden(_("Only the grid's leader and the command centre and finance staff "
                              "over it can read its performance."))
        year = validated_query(request, s.PerformanceQuerySerializer).get(
            "year", timezone.localdate().year)
        terms = performance.leader_performance(year=year, region=grid.community, grid=grid)
        names = performance.leader_names(terms)
        return Response({"grid": grid.pk, "year": year,
                         "terms": [_term(term, names) for term in terms]})


def _term(term: performance.TermPerformance, names: dict[int, str]) -> dict:
    return {"term": term.term_id, "leader": term.leader_id, "leader_name": names[term.leader_id],
            "from": term.start.isoformat(), "to": term.end.isoformat(),
            "days_served": term.days_served,
            "metrics": {key: str(value) if isinstance(value, Decimal) else value
                        for key, value in term.metrics.items()}}
