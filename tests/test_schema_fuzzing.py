"""Schema fuzzing (issue 11): schemathesis, in process against our own OpenAPI schema,
every operation, signed in as each demo role, a bounded number of examples per operation:
no input makes a 500, and every answer matches the schema (status documented, body of its
declared shape, JSON where JSON is declared).

Bounded so that CI stays fast: `FUZZ_EXAMPLES` examples per operation (default 2) for
each role; `FUZZ_EXAMPLES=100 pytest tests/test_schema_fuzzing.py` for a deeper run."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                         status_code_conformance)

from accounts.models import User

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
ROLES = ("leader1", "dispatcher-city", "finance1", "resident1")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", get_wsgi_application(),
    headers={"Accept": "application/vnd.oai.openapi+json"})


@pytest.fixture
def connection_kept_open():
    """The WSGI handler closes the database connection around each request, as in
    production; the test's transaction needs it open (Django's own test client does the
    same)."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_no_input_makes_a_500_or_an_answer_the_schema_does_not_describe(case, world, connection_kept_open):
    for username in ROLES:
        token = RefreshToken.for_user(User.objects.get(username=username)).access_token
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
