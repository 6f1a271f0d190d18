"""Governance projects (解决一个问题 → 治理一类问题): suggestions, projects, their moves."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from config.api.errors import Forbidden
from config.api.openapi import errors
from config.api.queries import validated_query
from gridapp.api.serializers import projects as s
from gridapp.models import Project, Report
from gridapp.selectors import projects as selectors
from gridapp.selectors.roles import roles_of
from gridapp.services import projects as services

PROJECT = {"id": 3, "title": "东街街道路灯专项整治", "status": "open", "category": 5,
           "category_code": "streetlight", "category_name": "市政设施 / 路灯不亮", "region": 3,
           "region_code": "450502001000", "region_name": "东街街道", "department": 1,
           "department_name": "北海市照明管理处", "goal": "年底前更换老旧路灯 50 盏",
           "outcome": "", "created_by": 21, "created_at": "2026-11-26T09:00:00+08:00",
           "started_at": None, "completed_at": None, "completed_by": None}
PROJECT_DETAIL = {**PROJECT, "reports": [
    {"id": 41, "number": "BH20261120000003", "status": "dispatched", "level": "community",
     "created_at": "2026-11-20T20:15:00+08:00"}],
    "figures": {"reports": 6, "open": 5, "resolved": 1, "joined_later": 1}}


def visible_project(request: Request, pk: int) -> Project:
    return get_object_or_404(selectors.visible_projects(request.user), pk=pk)


def _detail(project: Project) -> dict:
    ordered = Report.objects.order_by("created_at", "pk")
    project = (Project.objects.select_related("category__parent", "region", "department")
               .prefetch_related(Prefetch("reports", queryset=ordered)).get(pk=project.pk))
    return s.ProjectDetailSerializer(project, context={"figures": selectors.figures(project)}).data


class ProjectSuggestions(APIView):
    """Classes of problems worth a project, in the dispatcher's regions.

    At least PROJECT_SUGGESTION_MIN_REPORTS reports of one category from the last
    PROJECT_SUGGESTION_DAYS days, in no project yet: in one street (`kind` `region`) or
    near each other (`nearby`, within about PROJECT_SUGGESTION_RADIUS_M), computed from
    the reports as they are now."""

    @extend_schema(responses=inline_serializer("ProjectSuggestions", fields={
        "results": s.SuggestionSerializer(many=True)}), examples=[OpenApiExample(
            "five lamp reports in one street", response_only=True, value={"results": [{
                "kind": "region", "category": 5, "region": 3, "region_code": "450502001000",
                "region_name": "东街街道", "report_ids": [41, 44, 47, 52, 60], "count": 5,
                "centroid": {"lat": 21.4831, "lng": 109.1129}, "radius_m": 212.4}]})])
    @errors({403: ["permission_denied"]})
    def get(self, request: Request) -> Response:
        """Suggested projects: clusters of similar reports in the dispatcher's regions."""
        roles = roles_of(request.user)
        if not (roles.is_admin or roles.dispatcher_regions):
            raise Forbidden()
        found = selectors.suggestions(request.user, now=timezone.now())
        return Response({"results": s.SuggestionSerializer(found, many=True).data})


class ProjectListCreate(generics.ListAPIView):
    """GET: the projects the user sees (scoped like reports). POST: a dispatcher makes one."""

    serializer_class = s.ProjectSerializer

    @extend_schema(parameters=[s.ProjectFilterSerializer], examples=[OpenApiExample(
        "an open project", response_only=True, value=PROJECT)])
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Governance projects the user sees, newest first."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        projects = selectors.visible_projects(self.request.user)
        wanted = validated_query(self.request, s.ProjectFilterSerializer).get("status")
        return projects.filter(status=wanted) if wanted else projects

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectDetailSerializer},
                   examples=[OpenApiExample("from a suggestion", request_only=True, value={
                       "title": "东街街道路灯专项整治", "category": "streetlight",
                       "region": "450502001000", "department": "bh-lighting",
                       "goal": "年底前更换老旧路灯 50 盏", "report_ids": [41, 44, 47, 52, 60]}),
                       OpenApiExample("made", response_only=True, status_codes=["201"],
                                      value=PROJECT_DETAIL)])
    @errors({400: ["report_outside_region"], 403: ["permission_denied"],
             409: ["report_in_project"]})
    def post(self, request: Request) -> Response:
        """Make a project of a class of problems, with the reports that show it."""
        body = s.ProjectCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return idempotent(request, lambda: Response(
            _detail(services.create_project(actor=request.user, **body.validated_data)),
            status=status.HTTP_201_CREATED))


class ProjectDetail(APIView):
    """A project with its reports and outcome figures."""

    @extend_schema(responses=s.ProjectDetailSerializer, examples=[OpenApiExample(
        "open, with its reports", response_only=True, value=PROJECT_DETAIL)])
    def get(self, request: Request, pk: int) -> Response:
        """One project, its reports and how many are open and resolved."""
        return Response(_detail(visible_project(request, pk)))


class ProjectAction(APIView):
    """start / complete (with `outcome`), by the dispatchers over the project's region."""

    action: str = ""

    @extend_schema(request=s.OutcomeSerializer, responses=s.ProjectDetailSerializer, examples=[
        OpenApiExample("completed", request_only=True,
                       value={"outcome": "更换路灯 52 盏，此后三个月无新报修"}),
        OpenApiExample("the project after", response_only=True,
                       value={**PROJECT_DETAIL, "status": "in_progress"})])
    @errors({400: ["outcome_required"], 403: ["permission_denied"],
             409: ["invalid_transition"]})
    def post(self, request: Request, pk: int) -> Response:
        """Move the project on: start it, or complete it with its outcome."""
        project = visible_project(request, pk)
        body = s.OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if self.action == "start":
            project = services.start_project(project, actor=request.user)
        else:
            project = services.complete_project(project, actor=request.user,
                                                outcome=body.validated_data["outcome"])
        return Response(_detail(project))

