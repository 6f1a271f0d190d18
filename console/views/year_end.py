"""Finance's year-end pages: the distributions of their regions, one distribution's
shares (each with why), its appeals to decide, the buttons of its lifecycle and its
files, through payroll's year-end selectors and services (the API's own)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from console.access import staff_required
from payroll.api.year_end_serializers import (DecisionSerializer, DistributionCreateSerializer,
                                              DistributionFilterSerializer, ExportQuerySerializer,
                                              PublishSerializer, ReasonSerializer)
from payroll.bank_templates import TEMPLATES
from payroll.yearend import selectors, services
from payroll.yearend.models import Distribution

from .common import page, report_error
from .payroll import created, file_response, finance_only, listed

SHARES_PAGE = 100
S = Distribution.Status

# action → (button, confirmation, the form it reads, the service). Every one changes money
# or what leaders are told, so each asks.
ACTIONS = {
    "publish": (pgettext_lazy("console action", "Publish"),
                pgettext_lazy("console confirm", "Publish these shares to the leaders for "
                              "public notice?"),
                PublishSerializer,
                lambda d, actor, form: services.publish_distribution(
                    d, actor=actor, publish_days=form["publish_days"])),
    "submit": (pgettext_lazy("console action", "Submit for approval"),
               pgettext_lazy("console confirm", "Submit this distribution for approval?"),
               None, lambda d, actor, form: services.submit_distribution(d, actor=actor)),
    "approve": (pgettext_lazy("console action", "Approve"),
                pgettext_lazy("console confirm", "Approve this distribution for payment?"),
                None, lambda d, actor, form: services.approve_distribution(d, actor=actor)),
    "mark-paid": (pgettext_lazy("console action", "Mark as paid"),
                  pgettext_lazy("console confirm", "Has the bank paid this distribution?"),
                  None, lambda d, actor, form: services.mark_distribution_paid(d, actor=actor)),
    "cancel": (pgettext_lazy("console action", "Cancel the distribution"),
               pgettext_lazy("console confirm", "Cancel this distribution?"),
               ReasonSerializer, lambda d, actor, form: services.cancel_distribution(
                   d, actor=actor, reason=form["reason"])),
}
# Which buttons a distribution in each status shows (the services decide all the same).
BY_STATUS = {S.DRAFT: ("publish", "cancel"), S.PUBLISHED: ("submit", "cancel"),
             S.SUBMITTED: ("approve",), S.APPROVED: ("mark-paid",)}
DECISIONS = {"uphold": (pgettext_lazy("console action", "Uphold"),
                        pgettext_lazy("console confirm", "Uphold this appeal? The distribution "
                                      "is cancelled for a regenerated one.")),
             "dismiss": (pgettext_lazy("console action", "Dismiss"),
                         pgettext_lazy("console confirm", "Dismiss this appeal?"))}

# The breakdown's words for people (docs/payroll.md "Year-end" defines each).
METRIC_LABELS = {
    "reports_filed": gettext_lazy("Reports filed"),
    "resolved_rate": gettext_lazy("Share resolved"),
    "on_time_rate": gettext_lazy("Share closed on time"),
    "verified_in_window_rate": gettext_lazy("Share verified in time by the leader"),
    "rating_mean": gettext_lazy("Mean rating"),
    "reopen_rate": gettext_lazy("Reopen rate (lower is better)"),
    "members_recruited": gettext_lazy("Members recruited"),
}
BOUND_LABELS = {"floor": gettext_lazy("raised to the floor"),
                "cap": gettext_lazy("held at the cap")}


@staff_required
def distributions(request: HttpRequest) -> HttpResponse:
    """The distributions of the user's regions (GET /payroll/year-end/'s filters) and a
    form for a new one; POST creates it (the same service as the API)."""
    finance_only(request)
    if request.method == "POST":
        return created(request, DistributionCreateSerializer, services.create_distribution,
                       "console:distribution")
    return listed(request, DistributionFilterSerializer, selectors.distributions_for,
                  "console/year_ends.html", S.choices)


@staff_required
def distribution(request: HttpRequest, pk: int) -> HttpResponse:
    finance_only(request)
    distribution = get_object_or_404(selectors.visible_distributions(request.user), pk=pk)
    shares = Paginator(selectors.distribution_shares(distribution),
                       SHARES_PAGE).get_page(request.GET.get("page"))
    for share in shares:
        share.metric_rows = [(METRIC_LABELS.get(name, name), figures)
                             for name, figures in share.breakdown["metrics"].items()]
        share.bound_label = BOUND_LABELS.get(share.breakdown.get("bound"))
    actions = [{"name": name, "label": ACTIONS[name][0], "confirm": ACTIONS[name][1],
                "url": reverse(f"console:distribution-{name}", kwargs={"pk": pk})}
               for name in BY_STATUS.get(distribution.status, ())]
    appeals = [{"appeal": appeal, "decisions": [
        {"name": name, "label": label, "confirm": confirm,
         "url": reverse(f"console:appeal-{name}", kwargs={"pk": appeal.pk})}
        for name, (label, confirm) in DECISIONS.items()] if appeal.status == "open" else []}
        for appeal in selectors.appeals_of(distribution, request.user)]
    return page(request, "console/year_end.html", {
        "distribution": distribution, "shares": shares, "actions": actions,
        "appeals": appeals, "events": selectors.distribution_events(distribution),
        "files": _files(distribution),
    })


def _files(distribution: Distribution) -> list[dict]:
    """The 公示 list from publication on; the bank file in each template once approved."""
    files = []
    if distribution.status in Distribution.SHOWN:
        files.append({"name": _("Public notice list (no account numbers)"), "links": [
            {"format": fmt, "url": reverse(f"console:distribution-notice-{fmt}",
                                           kwargs={"pk": distribution.pk})}
            for fmt in ("csv", "xlsx")]})
    if distribution.status in Distribution.FROZEN:
        files += [{"name": t.name, "links": [
            {"format": fmt, "url": reverse(f"console:distribution-export-{fmt}",
                                           kwargs={"pk": distribution.pk})
             + f"?template={t.code}"} for fmt in t.formats]} for t in TEMPLATES.values()]
    return files


@staff_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """publish / submit / approve / mark-paid / cancel, as POST /payroll/year-end/{id}/…:
    maker-checker, the notice and the status rules are the services'."""
    finance_only(request)
    distribution = get_object_or_404(selectors.visible_distributions(request.user), pk=pk)
    label, _confirm, form_class, service = ACTIONS[action]
    try:
        form = {}
        if form_class is not None:
            body = form_class(data=request.POST)
            body.is_valid(raise_exception=True)
            form = body.validated_data
        service(distribution, request.user, form)
    except APIException as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": label})
    return redirect("console:distribution", pk=pk)


@staff_required
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Uphold or dismiss an appeal with a note, by finance other than the preparer."""
    finance_only(request)
    appeal = get_object_or_404(selectors.visible_appeals(request.user), pk=pk)
    body = DecisionSerializer(data=request.POST)
    try:
        body.is_valid(raise_exception=True)
        services.decide_appeal(appeal, actor=request.user, uphold=decision == "uphold",
                               note=body.validated_data["note"])
    except APIException as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": DECISIONS[decision][0]})
    return redirect("console:distribution", pk=appeal.distribution_id)


@staff_required
def download(request: HttpRequest, pk: int, fmt: str, notice: bool) -> HttpResponse:
    """The 公示 list or the bank file: the same bytes as the API's downloads."""
    finance_only(request)
    distribution = get_object_or_404(selectors.visible_distributions(request.user), pk=pk)
    template = None
    try:
        if not notice:
            query = ExportQuerySerializer(data=request.GET)
            query.is_valid(raise_exception=True)
            template = TEMPLATES[query.validated_data["template"]]
        export = services.export_distribution(distribution, template=template, fmt=fmt,
                                              actor=request.user)
    except APIException as exc:
        report_error(request, exc)
        return redirect("console:distribution", pk=pk)
    name = distribution.number + ("-notice" if notice else (
        "" if template.code == "standard" else f"-{template.code}"))
    encoding = "utf-8" if template is None else template.formats.get("csv", "")
    return file_response(export, name=name, fmt=fmt, csv_encoding=encoding)
