"""Every gridapp endpoint under /api/v1/ (docs/api.md)."""

from django.urls import path

from .views import (evaluations, grids, home, inbox, maps, me, photos, projects, reports,
                    stats, workflow)

urlpatterns = [
    path("me", me.MeView.as_view(), name="me"),
    path("regions/", grids.RegionList.as_view(), name="region-list"),
    path("departments/", grids.DepartmentList.as_view(), name="department-list"),
    path("grids/", grids.GridList.as_view(), name="grid-list"),
    path("grids/locate/", grids.GridLocate.as_view(), name="grid-locate"),
    path("grids/<int:pk>/", grids.GridDetail.as_view(), name="grid-detail"),
    path("grids/<int:pk>/invites/", grids.InviteCreate.as_view(), name="grid-invites"),
    path("grids/<int:pk>/members/", grids.GridMembers.as_view(), name="grid-members"),
    path("grids/<int:pk>/performance/", grids.GridPerformance.as_view(), name="grid-performance"),
    path("memberships/", grids.MembershipCreate.as_view(), name="membership-create"),
    *(path(f"memberships/<int:pk>/{action}/",
           grids.MembershipDecision.as_view(action=action), name=f"membership-{action}")
      for action in ("approve", "reject", "remove")),
    path("photos/", photos.PhotoUpload.as_view(), name="photo-upload"),
    path("categories/", reports.CategoryList.as_view(), name="category-list"),
    path("reports/", reports.ReportListCreate.as_view(), name="report-list"),
    path("reports/<int:pk>/", reports.ReportDetail.as_view(), name="report-detail"),
    *(path(f"reports/<int:pk>/{action}/", workflow.action_view(action).as_view(),
           name=f"report-{action}") for action in workflow.ACTION_BODIES),
    path("reports/<int:pk>/rating/", workflow.ReportRating.as_view(), name="report-rating"),
    path("map/reports.geojson", maps.MapReports.as_view(), name="map-reports"),
    path("map/grids.geojson", maps.MapGrids.as_view(), name="map-grids"),
    path("map/clusters.geojson", maps.MapClusters.as_view(), name="map-clusters"),
    path("stats/overview/", stats.StatsOverview.as_view(), name="stats-overview"),
    path("home/", home.Home.as_view(), name="home"),
    path("notifications/", inbox.Inbox.as_view(), name="inbox"),
    path("notifications/read/", inbox.InboxRead.as_view(), name="inbox-read"),
    path("projects/", projects.ProjectListCreate.as_view(), name="project-list"),
    path("projects/suggestions/", projects.ProjectSuggestions.as_view(),
         name="project-suggestions"),
    path("projects/<int:pk>/", projects.ProjectDetail.as_view(), name="project-detail"),
    *(path(f"projects/<int:pk>/{action}/", projects.ProjectAction.as_view(action=action),
           name=f"project-{action}") for action in ("start", "complete")),
    path("evaluations/", evaluations.ScorecardList.as_view(), name="evaluation-list"),
    path("evaluations/publish/", evaluations.ScorecardPublish.as_view(),
         name="evaluation-publish"),
    path("evaluations/<int:pk>/reports/", evaluations.ScorecardReports.as_view(),
         name="evaluation-reports"),
]
