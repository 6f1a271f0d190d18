"""The command centre's figures: department scorecards (四象限) with their chart, the
reports behind each, and the statistics overview, through the API's selectors and
services (docs/evaluation.md)."""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from console import charts
from console.access import staff_required
from gridapp import divisions
from gridapp.api.serializers.evaluations import ScorecardPublishSerializer
from gridapp.api.serializers.stats import StatsQuerySerializer
from gridapp.models import Category, Department, Region, Report, ReportLevel, Scorecard
from gridapp.selectors import evaluations as selectors
from gridapp.selectors import stats
from gridapp.selectors.roles import roles_of
from gridapp.services import evaluations as services

from .common import page, report_error, require_reports

LEVELS_TO_READ = ("province", "city", "district", "street")


def regions_to_read(user) -> list[Region]:
    """The regions whose figures the user may choose: under their command centres (to
    street level); for a department's staff, the regions above it and those whose
    scorecards name it; everything for administrators."""
    roles = roles_of(user)
    regions = Region.objects.filter(level__in=LEVELS_TO_READ)
    if not roles.is_admin:
        departments = [d.pk for d in roles.handler_departments]
        over = divisions.under_q("code", tuple(r.prefix for r in roles.dispatcher_regions))
        above = Q(code__in={code for d in roles.handler_departments
                            for code in divisions.ancestors(d.region.code)})
        scored = Q(pk__in=Scorecard.objects.filter(department__in=departments)
                   .values("publication__region"))
        regions = regions.filter(over | above | scored) if departments else regions.filter(over)
    return list(regions.order_by("code"))


def _chosen_region(request: HttpRequest, regions: list[Region]) -> Region | None:
    wanted = request.GET.get("region")
    return next((r for r in regions if str(r.pk) == wanted), regions[0] if regions else None)


@staff_required
def scorecards(request: HttpRequest) -> HttpResponse:
    """A region's latest scorecards for a period (`?region=&period=`, default last month),
    the four-quadrant chart and, for its command centres, a button that publishes anew."""
    require_reports(request)
    regions = regions_to_read(request.user)
    region = _chosen_region(request, regions)
    text = request.GET.get("period") or selectors.last_month(timezone.localdate()).label
    period = selectors.parse_period(text)
    if region is None or period is None:
        return page(request, "console/evaluations.html", {
            "regions": regions, "region": region, "period_text": text,
            "error": _("A period is a month (2026-11), a quarter (2026-Q4) or a year (2026).")
            if period is None else None}, status=400 if period is None else 200)
    cards = list(selectors.scorecards_for(request.user, region=region, period=period)
                 .select_related("publication__published_by"))
    publication = cards[0].publication if cards else None
    chart = charts.quadrant_chart(
        cards, fast_hours=publication.fast_hours, effect_rate=publication.effect_rate,
        url_of=lambda card: reverse("console:scorecard", kwargs={"pk": card.pk})
    ) if publication else None
    return page(request, "console/evaluations.html", {
        "regions": regions, "region": region, "period": period, "period_text": text,
        "cards": cards, "publication": publication, "chart": chart,
        "may_publish": selectors.may_publish(request.user, region)})


@staff_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    """POST region and period: the scorecards computed and stored as a new version."""
    require_reports(request)
    body = ScorecardPublishSerializer(data=request.POST)
    try:
        body.is_valid(raise_exception=True)
        publication = services.publish_scorecards(actor=request.user, **body.validated_data)
    except APIException as exc:
        report_error(request, exc)
        return redirect("console:evaluations")
    messages.success(request, _("Published: version %(version)s.")
                     % {"version": publication.version})
    return redirect(f"{reverse('console:evaluations')}?region={publication.region_id}"
                    f"&period={publication.period}")


@staff_required
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    """The reports behind one scorecard and what each contributed to its figures."""
    require_reports(request)
    card = get_object_or_404(selectors.visible_scorecards(request.user), pk=pk)
    return page(request, "console/scorecard.html", {
        "card": card, "lines": card.lines.select_related("report").order_by("report_id")})


@staff_required
def statistics(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/stats/overview/ as a page: `?region=&from=&to=` (the last 30 days by
    default), counts, timings, rates, the daily trend and routing accuracy."""
    require_reports(request)
    query = StatsQuerySerializer(data={k: v for k, v in request.GET.items() if v})
    if not query.is_valid():
        return page(request, "console/statistics.html", {
            "errors": query.errors, "chosen": request.GET, "first": request.GET.get("from"),
            "last": request.GET.get("to"), "regions": regions_to_read(request.user)},
            status=400)
    window = stats.Window(query.validated_data["from"], query.validated_data["to"])
    figures = stats.overview_for(request.user, window, query.validated_data.get("region"))
    return page(request, "console/statistics.html", {
        "figures": figures, "first": window.first.isoformat(), "last": window.last.isoformat(),
        "chosen": request.GET,
        "regions": regions_to_read(request.user), "trend": charts.trend_chart(figures["trend"]),
        "breakdowns": _breakdowns(figures), "routing": _routing_rows(figures["routing"])})


def _routing_rows(routing: dict) -> list[dict]:
    rows = routing["by_department"]
    names = dict(Department.objects.filter(code__in=[row["department"] for row in rows])
                 .values_list("code", "name"))
    return [{**row, "name": names.get(row["department"], row["department"])} for row in rows]


def _breakdowns(figures: dict) -> list[tuple[str, list[tuple[str, int]]]]:
    """The four counts with the names people read instead of the codes."""
    categories = dict(Category.objects.filter(code__in=figures["by_category"])
                      .values_list("code", "name"))
    labels = [(_("By status"), "by_status", dict(Report.Status.choices)),
              (_("By category"), "by_category", categories),
              (_("By level"), "by_level", dict(ReportLevel.choices)),
              (_("By source"), "by_source", dict(Report.Source.choices))]
    return [(title, [(names.get(key, key), n) for key, n in figures[name].items()])
            for title, name, names in labels]
