"""Examples for the sign-in schema (/api/docs/). The profile's roles and memberships come
from the domain (settings.PROFILE_SERIALIZER); a newcomer, who has none yet, shows the shape."""

from drf_spectacular.utils import OpenApiExample

BIND_PHONE = [
    OpenApiExample("a getPhoneNumber code", request_only=True,
                   value={"code": "e31968a7f94cc5ee25fafc2aef2773f0"}),
    OpenApiExample("bound, the number masked", response_only=True, value={
        "id": 24, "display_name": "newcomer", "phone_masked": "138****0024", "roles": [],
        "memberships": []}),
]
