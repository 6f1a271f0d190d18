"""Every error under /api/ is JSON, in every mode (docs/api.md "Conventions").

DRF renders its own errors as JSON, and handler404/handler500 do when DEBUG is off; but
with DEBUG on Django answers a path that matches no URL with its HTML debug page, and a
plain Django view may answer 405 with an empty HTML body, and a body Django refuses to
parse (more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields: a SuspiciousOperation) is its HTML
400 page. A phone cannot show any of them. This middleware replaces such a response (400,
404, 405 or 500 that is not JSON) with the error body of config/api/errors.py. Django has logged a 500 by the time it gets here.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .errors import error_body, not_found_detail

API_PREFIX = "/api/"
REPLACED = {400, 404, 405, 500}


class JSONErrorsUnderAPIMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code not in REPLACED \
                or response.get("Content-Type", "").startswith("application/json"):
            return response
        return _json_error(request, response)


def _json_error(request: HttpRequest, response: HttpResponse) -> JsonResponse:
    if response.status_code == 400:
        body = error_body("invalid", _("The request body could not be read: too many fields, "
                                       "or malformed."))
    elif response.status_code == 404:
        body = error_body("not_found", not_found_detail(request.path))
    elif response.status_code == 405:
        body = error_body("method_not_allowed",
                          _('Method "%(method)s" not allowed.') % {"method": request.method})
    else:
        body = error_body("server_error", _("Internal server error."))
    replacement = JsonResponse(body, status=response.status_code)
    if allow := response.get("Allow"):
        replacement["Allow"] = allow
    return replacement

