"""/console/: docs/api.md "The web console". Each button posts to its own path, named as
the API's action (`/console/reports/{id}/accept/`), and answers with the page again."""

from django.urls import path

from .views import auth, evaluations, overview, payroll, projects, reports, year_end

app_name = "console"

urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("", overview.home, name="home"),
    path("map/", overview.one_map, name="map"),
    path("map/clusters.json", overview.MapClusters.as_view(), name="map-clusters"),
    path("reports/", reports.queue, name="reports"),
    path("reports/<int:pk>/", reports.detail, name="report"),
    *(path(f"reports/<int:pk>/{action}/", reports.act, {"action": action},
           name=f"report-{action}") for action in reports.ACTION_LABELS),
    path("evaluations/", evaluations.scorecards, name="evaluations"),
    path("evaluations/publish/", evaluations.publish, name="evaluations-publish"),
    path("evaluations/<int:pk>/", evaluations.scorecard, name="scorecard"),
    path("statistics/", evaluations.statistics, name="statistics"),
    path("projects/", projects.projects, name="projects"),
    path("projects/<int:pk>/", projects.project, name="project"),
    *(path(f"projects/<int:pk>/{action}/", projects.move, {"action": action},
           name=f"project-{action}") for action in projects.MOVES),
    path("payroll/", payroll.runs, name="payroll"),
    path("payroll/runs/<int:pk>/", payroll.run, name="run"),
    *(path(f"payroll/runs/<int:pk>/export.{fmt}", payroll.export, {"fmt": fmt},
           name=f"run-export-{fmt}") for fmt in ("csv", "xlsx")),
    *(path(f"payroll/runs/<int:pk>/{action}/", payroll.run_action, {"action": action},
           name=f"run-{action}") for action in payroll.RUN_ACTIONS),
    path("payroll/year-end/", year_end.distributions, name="year-end"),
    path("payroll/year-end/<int:pk>/", year_end.distribution, name="distribution"),
    *(path(f"payroll/year-end/<int:pk>/{action}/", year_end.act, {"action": action},
           name=f"distribution-{action}") for action in year_end.ACTIONS),
    *(path(f"payroll/year-end/appeals/<int:pk>/{decision}/", year_end.decide,
           {"decision": decision}, name=f"appeal-{decision}") for decision in year_end.DECISIONS),
    *(path(f"payroll/year-end/<int:pk>/{kind}.{fmt}", year_end.download,
           {"fmt": fmt, "notice": kind == "notice"}, name=f"distribution-{kind}-{fmt}")
      for kind in ("export", "notice") for fmt in ("csv", "xlsx")),
]
