"""Throttles shared by every app's API."""

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle


class CreateThrottle(ScopedRateThrottle):
    """The view's `throttle_scope` rate for POST only: reading stays unthrottled."""

    def allow_request(self, request: Request, view) -> bool:
        return request.method != "POST" or super().allow_request(request, view)
