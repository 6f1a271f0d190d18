"""Which API reads may be served by the read replica (config/db.py has the router).

A view opts in with `LagTolerantReads`: its GETs read from the replica when one is
configured, unless the user wrote something in the last REPLICA_PIN_SECONDS
(`PinWritersToPrimaryMiddleware` notes every successful write), so that a resident who
has just filed a report finds it in their own list. Authentication and throttling run on
the primary before the switch; every write, and every read inside a transaction, stays on
the primary whatever the view.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from config.db import pin_to_primary, pinned_to_primary, start_replica_reads, stop_replica_reads


class LagTolerantReads:
    """Mixin for an APIView whose GET may show data a second or so old."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "GET" and not pinned_to_primary(request.user.pk):
            self._replica_token = start_replica_reads()

    def finalize_response(self, request: Request, response: Response, *args, **kwargs):
        token = getattr(self, "_replica_token", None)
        if token is not None:
            self._replica_token = None
            stop_replica_reads(token)
        return super().finalize_response(request, response, *args, **kwargs)


class PinWritersToPrimaryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets it here when it authenticates
        if request.method not in SAFE_METHODS and response.status_code < 400 \
                and user is not None and user.is_authenticated:
            pin_to_primary(user.pk)
        return response
