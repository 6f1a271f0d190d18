"""What every console page shares: the navigation for the signed-in role, and turning a
domain error from a service into a message on the next page."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException, ValidationError

from gridapp.selectors.roles import roles_of

# (url name, label, who sees it).
NAV = (
    ("console:home", _("Home"), "any"),
    ("console:map", _("One map"), "reports"),
    ("console:reports", _("Report queue"), "reports"),
    ("console:projects", _("Governance projects"), "reports"),
    ("console:evaluations", _("Scorecards"), "reports"),
    ("console:statistics", _("Statistics"), "reports"),
    ("console:payroll", _("Payroll"), "finance"),
    ("console:year-end", _("Year-end"), "finance"),
)


def sees_reports(user) -> bool:
    roles = roles_of(user)
    return bool(roles.is_admin or roles.dispatcher_regions or roles.handler_departments)


def sees_payroll(user) -> bool:
    roles = roles_of(user)
    return bool(roles.is_admin or roles.finance_regions)


def require_reports(request: HttpRequest) -> None:
    """The report pages are for dispatchers, handlers and administrators (finance staff
    see no reports but their own, as in the API): others are told there is no such page."""
    if not sees_reports(request.user):
        raise Http404


def page(request: HttpRequest, template: str, context: dict | None = None,
         status: int = 200) -> HttpResponse:
    shown = {"any": True, "reports": sees_reports(request.user),
             "finance": sees_payroll(request.user)}
    nav = [(name, label) for name, label, who in NAV if shown[who]]
    return render(request, template, {"nav": nav, "roles": roles_of(request.user),
                                      **(context or {})}, status=status)


def error_text(exc: APIException) -> str:
    """A domain error or a validation error as one line for a message."""
    if isinstance(exc, ValidationError):
        return "; ".join(_flatten(exc.detail))
    return str(exc.detail)


def report_error(request: HttpRequest, exc: APIException) -> None:
    messages.error(request, error_text(exc))


def _flatten(detail) -> list[str]:
    """The messages of a validation error, without the field names (the form shows only
    the fields of one button)."""
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _flatten(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in _flatten(item)]
    return [str(detail)]
