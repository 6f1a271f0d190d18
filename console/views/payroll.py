"""Finance's pages: the monthly runs of their regions, a run's lines and history, the
maker-checker buttons and the bank files, through payroll's selectors and services."""

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException
from rest_framework.serializers import Serializer

from console.access import staff_required
from gridapp.divisions import under_q
from gridapp.models import Region
from gridapp.selectors.roles import roles_of
from payroll import selectors, services
from payroll.api.serializers import (ExportQuerySerializer, ReasonSerializer,
                                     RunCreateSerializer, RunFilterSerializer)
from payroll.bank_templates import TEMPLATES
from payroll.models import Run, RunExport
from payroll.yearend.models import DistributionExport

from .common import page, report_error, sees_payroll

LINES_PAGE = 100

# The buttons of docs/api.md "The web console": every one changes money, so each asks.
RUN_ACTIONS = {
    "submit": (pgettext_lazy("console action", "Submit for approval"),
               pgettext_lazy("console confirm", "Submit this run for approval?"),
               lambda run, actor, reason: services.submit_run(run, actor=actor)),
    "approve": (pgettext_lazy("console action", "Approve"),
                pgettext_lazy("console confirm", "Approve this run for payment?"),
                lambda run, actor, reason: services.approve_run(run, actor=actor)),
    "reject": (pgettext_lazy("console action", "Reject"),
               pgettext_lazy("console confirm", "Send this run back to its preparer?"),
               lambda run, actor, reason: services.reject_run(run, actor=actor, reason=reason)),
    "mark-paid": (pgettext_lazy("console action", "Mark as paid"),
                  pgettext_lazy("console confirm", "Has the bank paid this run?"),
                  lambda run, actor, reason: services.mark_run_paid(run, actor=actor)),
    "cancel": (pgettext_lazy("console action", "Cancel the run"),
               pgettext_lazy("console confirm", "Cancel this run?"),
               lambda run, actor, reason: services.cancel_run(run, actor=actor, reason=reason)),
}
# Which buttons a run in each status shows (the services decide all the same).
BY_STATUS = {
    Run.Status.DRAFT: ("submit", "cancel"),
    Run.Status.SUBMITTED: ("approve", "reject", "cancel"),
    Run.Status.APPROVED: ("mark-paid",),
}


def finance_only(request: HttpRequest) -> None:
    if not sees_payroll(request.user):
        raise Http404


def finance_regions(user) -> list[Region]:
    """The regions a run may be prepared for: those under the user's finance regions."""
    roles = roles_of(user)
    regions = Region.objects.all()
    if not roles.is_admin:
        regions = regions.filter(under_q("code", tuple(r.prefix for r in roles.finance_regions)))
    return list(regions.order_by("code"))


@staff_required
def runs(request: HttpRequest) -> HttpResponse:
    """The runs of the user's regions (GET /payroll/runs/'s filters) and a form for a new
    one; POST creates it (the same service as the API)."""
    finance_only(request)
    if request.method == "POST":
        return created(request, RunCreateSerializer, services.create_run, "console:run")
    return listed(request, RunFilterSerializer, selectors.runs_for, "console/payroll.html",
                  Run.Status.choices)


def created(request: HttpRequest, form: type[Serializer], create: Callable[..., Model],
            detail: str) -> HttpResponse:
    """The POST of a list page's form (runs, distributions): `create`, the API's service,
    called with it, then the new record's `detail` page, or the list again with what went
    wrong."""
    body = form(data=request.POST)
    try:
        body.is_valid(raise_exception=True)
        record = create(actor=request.user, **body.validated_data)
    except APIException as exc:
        report_error(request, exc)
        return redirect(request.path)
    return redirect(detail, pk=record.pk)


def listed(request: HttpRequest, filters: type[Serializer], rows_for: Callable[..., QuerySet],
           template: str, statuses: list[tuple[str, str]]) -> HttpResponse:
    """A list page: the records `rows_for` the user under the query string's `filters`
    (400 and the form when they are malformed), beside the form for a new one."""
    query = filters(data={k: v for k, v in request.GET.items() if v})
    valid = query.is_valid()
    return page(request, template, {
        "rows": rows_for(request.user, **query.validated_data) if valid else None,
        "errors": query.errors, "chosen": request.GET,
        "regions": finance_regions(request.user), "statuses": statuses,
    }, status=200 if valid else 400)


@staff_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    finance_only(request)
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    lines = Paginator(selectors.run_lines(run), LINES_PAGE).get_page(request.GET.get("page"))
    actions = [{"name": name, "label": RUN_ACTIONS[name][0], "confirm": RUN_ACTIONS[name][1],
                "url": reverse(f"console:run-{name}", kwargs={"pk": run.pk})}
               for name in BY_STATUS.get(run.status, ())]
    exports = [{"template": t, "formats": [
        {"name": fmt, "url": reverse(f"console:run-export-{fmt}", kwargs={"pk": run.pk})}
        for fmt in t.formats]} for t in TEMPLATES.values()] if run.status in Run.FROZEN else []
    return page(request, "console/run.html", {
        "run": run, "lines": lines, "events": selectors.run_events(run), "actions": actions,
        "exports": exports,
    })


@staff_required
@require_POST
def run_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """submit / approve / reject / mark-paid / cancel, as POST /payroll/runs/{id}/{action}/:
    maker-checker and the status rules are the services'."""
    finance_only(request)
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    body = ReasonSerializer(data=request.POST)
    try:
        body.is_valid(raise_exception=True)
        RUN_ACTIONS[action][2](run, request.user, body.reason_text)
    except APIException as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": RUN_ACTIONS[action][0]})
    return redirect("console:run", pk=run.pk)


@staff_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The bank file in a template, the same bytes as GET /payroll/runs/{id}/export.*."""
    finance_only(request)
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    query = ExportQuerySerializer(data=request.GET)
    try:
        query.is_valid(raise_exception=True)
        template = TEMPLATES[query.validated_data["template"]]
        file = services.export_run(run, template=template, fmt=fmt, actor=request.user)
    except APIException as exc:
        report_error(request, exc)
        return redirect("console:run", pk=run.pk)
    name = run.number if template.code == "standard" else f"{run.number}-{template.code}"
    return file_response(file, name=name, fmt=fmt, csv_encoding=template.formats.get("csv", ""))


def file_response(file: RunExport | DistributionExport, *, name: str, fmt: str,
                  csv_encoding: str) -> HttpResponse:
    """A stored file as a download, with its hash (as the API serves it)."""
    content_type = (f"text/csv; charset={csv_encoding.removesuffix('-sig')}" if fmt == "csv"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(bytes(file.content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["X-Content-SHA256"] = file.sha256
    return response
