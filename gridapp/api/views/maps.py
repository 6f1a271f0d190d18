"""The map: reports and grids as GeoJSON (`[lng, lat]`, GCJ-02)."""

from collections.abc import Callable

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.fields import datetime_writer
from config.api.queries import validated_query
from config.api.replica import LagTolerantReads
from gridapp.api import examples
from gridapp.api.serializers import projects as ps
from gridapp.api.serializers import reports as s
from gridapp.selectors import grids as grid_selectors
from gridapp.selectors import reports as report_selectors

MAP_MAX_FEATURES = 5000  # a safety cap until clustering and truncation are designed


GEOJSON = {"type": "object", "properties": {"type": {"type": "string"},
                                            "features": {"type": "array",
                                                         "items": {"type": "object"}}}}


class MapReports(LagTolerantReads, APIView):
    """Visible reports as GeoJSON points (`[lng, lat]`, GCJ-02), newest first."""

    @extend_schema(parameters=[s.MapReportsQuerySerializer], responses={200: GEOJSON},
                   examples=examples.MAP_REPORTS)
    def get(self, request: Request) -> Response:
        query = s.MapReportsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reports = report_selectors.filter_reports(
            report_selectors.visible_reports(request.user), query.to_filter(), user=request.user)
        rows = report_selectors.map_rows(reports, MAP_MAX_FEATURES + 1)
        moment = datetime_writer()
        return Response({"type": "FeatureCollection",
                         "features": [_report_feature(row, moment)
                                      for row in rows[:MAP_MAX_FEATURES]],
                         "truncated": len(rows) > MAP_MAX_FEATURES})


def _report_feature(row: dict, moment: Callable[[object], str | None]) -> dict:
    return {"type": "Feature", "id": row["pk"],
            "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
            "properties": {"id": row["pk"], "number": row["number"], "status": row["status"],
                           "level": row["level"], "urgent": row["urgent"],
                           "category": row["category__code"],
                           "category_name": row["category__name"],
                           "created_at": moment(row["created_at"])}}


class MapClusters(LagTolerantReads, APIView):
    """Visible reports clustered on the server for a zoomed-out map: GeoJSON points at
    each cluster's centre of mass with its `count` and counts by status."""

    @extend_schema(parameters=[ps.ClustersQuerySerializer], responses={200: GEOJSON},
                   examples=[OpenApiExample("two clusters", response_only=True, value={
                       "type": "FeatureCollection", "features": [{
                           "type": "Feature", "geometry": {
                               "type": "Point", "coordinates": [109.1131, 21.4829]},
                           "properties": {"count": 12, "by_status": {
                               "submitted": 3, "dispatched": 7, "closed": 2}}}]})])
    def get(self, request: Request) -> Response:
        """Report clusters for the map's zoom level (`bbox`, `status` as for the pins)."""
        query = ps.ClustersQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reports = report_selectors.filter_reports(
            report_selectors.visible_reports(request.user), query.to_filter(), user=request.user)
        return Response(report_selectors.clusters_geojson(reports, query.validated_data["zoom"]))


class MapGrids(LagTolerantReads, APIView):
    """Visible grids' boundaries as GeoJSON polygons, optionally under one region."""

    @extend_schema(parameters=[s.MapGridsQuerySerializer], responses={200: GEOJSON},
                   examples=examples.MAP_GRIDS)
    def get(self, request: Request) -> Response:
        region = validated_query(request, s.MapGridsQuerySerializer).get("region")
        rows = grid_selectors.visible_grids_under(request.user, region).order_by("code").values("pk", "code", "name", "boundary", "community_id",
                                             "community__name")
        return Response({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": g["pk"], "geometry": g["boundary"],
             "properties": {"id": g["pk"], "code": g["code"], "name": g["name"],
                            "community": g["community_id"],
                            "community_name": g["community__name"]}} for g in rows]})
