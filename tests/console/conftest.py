"""The console's world: DEMO.md's staff sign in with the demo password `gridlink-demo`;
`console("dispatcher-community")` is a browser-like client (session, CSRF checks on)
signed in through the form; `open_reports(n)` are n new reports in HHL-05 by resident1."""

from collections.abc import Callable

import pytest
from django.test import Client

from console.demo import DEMO_PASSWORD
from gridapp.models import Report

from ..gridapp.photos_support import make_reports

STAFF = ("dispatcher-community", "dispatcher-street", "dispatcher-district", "dispatcher-city",
         "handler-lighting", "handler-enforcement", "finance1", "finance2")


def sign_in(client: Client, username: str, password: str = DEMO_PASSWORD):
    page = client.get("/console/login/")
    token = page.cookies["csrftoken"].value
    return client.post("/console/login/", {"username": username, "password": password,
                                           "csrfmiddlewaretoken": token})


@pytest.fixture
def console(world) -> Callable[[str], Client]:
    def signed_in(username: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        response = sign_in(client, username, "admin" if username == "admin" else DEMO_PASSWORD)
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return signed_in


def post(client: Client, path: str, data: dict | None = None):
    """A form POST with the CSRF token the client's cookie carries."""
    return client.post(path, {**(data or {}),
                              "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


@pytest.fixture
def open_reports(user) -> Callable[[int], list[Report]]:
    return lambda count, **kw: make_reports(count, reporter=user("resident1"), **kw)
