"""/console/: docs/api.md "The web console"."""

from django.urls import path

from .views import auth, overview, payroll, reports

app_name = "console"

urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("", overview.home, name="home"),
    path("map/", overview.one_map, name="map"),
    path("reports/", reports.queue, name="reports"),
    path("reports/<int:pk>/", reports.detail, name="report"),
    path("reports/<int:pk>/<slug:action>/", reports.act, name="report-action"),
    path("payroll/", payroll.runs, name="payroll"),
    path("payroll/runs/<int:pk>/", payroll.run, name="run"),
    path("payroll/runs/<int:pk>/export.<str:fmt>", payroll.export, name="run-export"),
    path("payroll/runs/<int:pk>/<slug:action>/", payroll.run_action, name="run-action"),
]
