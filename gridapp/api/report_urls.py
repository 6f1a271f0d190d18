from django.urls import path

from . import report_views as views

urlpatterns = [
    path("photos/", views.PhotoUpload.as_view(), name="photo-upload"),
    path("categories/", views.CategoryList.as_view(), name="category-list"),
    path("reports/", views.ReportListCreate.as_view(), name="report-list"),
    path("reports/<int:pk>/", views.ReportDetail.as_view(), name="report-detail"),
    *(path(f"reports/<int:pk>/{action}/", views.action_view(action).as_view(),
           name=f"report-{action}") for action in views.ACTION_BODIES),
    path("reports/<int:pk>/rating/", views.ReportRating.as_view(), name="report-rating"),
    path("map/reports.geojson", views.MapReports.as_view(), name="map-reports"),
    path("map/grids.geojson", views.MapGrids.as_view(), name="map-grids"),
]
