"""API.md "Conventions": one error format, one list shape with a maximum page size, the
OpenAPI schema, and the health check. Malformed input is a 4xx, never a 500."""

import pytest
from django.conf import settings
from django.core.management import call_command

from rest_framework.exceptions import ValidationError

from config.api.errors import exception_handler
from gridapp.selectors import grids as selectors
from gridapp.models import Grid, Region

HUGE = "9" * 25  # beyond any database integer


def assert_error(response, status: int, code: str) -> dict:
    """The error body of API.md: {"code", "detail", "fields"?}, JSON, nothing else."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"code", "detail", "fields"}
    return body


# --- errors ------------------------------------------------------------------------------

def test_no_token_is_401_not_authenticated(api):
    response = api().get("/api/v1/regions/")
    body = assert_error(response, 401, "not_authenticated")
    assert "fields" not in body
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_401(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert_error(client.get("/api/v1/me"), 401, "token_invalid")


def test_a_validation_error_names_its_fields(api):
    response = api("newcomer").post("/api/v1/memberships/", {"member_type": "king"},
                                    format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == {"invite_code", "member_type"}
    assert all(isinstance(m, str) for msgs in body["fields"].values() for m in msgs)


def test_a_domain_error_has_its_machine_code_and_no_fields(api):
    response = api("newcomer").post("/api/v1/memberships/", {"invite_code": "NOSUCHCODE"},
                                    format="json")
    assert "fields" not in assert_error(response, 400, "invite_invalid")


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/grids/1/nothing/",
                                  "/api/nowhere"])
def test_an_unknown_url_is_a_json_404(api, path):
    assert not settings.DEBUG  # DEBUG on: tests/test_errors.py
    assert_error(api("leader1").get(path), 404, "not_found")


def test_someone_elses_object_is_a_404_that_names_nothing(api):
    grid = Grid.objects.get(code="HPL-01")  # leader1 leads HHL-01, in another community
    body = assert_error(api("leader1").get(f"/api/v1/grids/{grid.pk}/members/"), 404, "not_found")
    assert "Grid" not in body["detail"]  # no model name: existence is not leaked


def test_a_wrong_method_is_405_method_not_allowed(api):
    assert_error(api("leader1").delete("/api/v1/regions/"), 405, "method_not_allowed")


def test_malformed_json_is_400_invalid_json(api):
    response = api("newcomer").post("/api/v1/memberships/", b'{"invite_code": ',
                                    content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_malformed_json_with_an_idempotency_key_is_400_invalid_json(api):
    grid = Grid.objects.get(code="HHL-05")
    response = api("leader5").post(f"/api/v1/grids/{grid.pk}/invites/", b"{",
                                   content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert_error(response, 400, "invalid_json")


def test_an_unsupported_content_type_is_415(api):
    response = api("newcomer").post("/api/v1/memberships/", b"invite_code",
                                    content_type="text/plain")
    assert_error(response, 415, "unsupported_media")


def test_a_nested_error_reports_its_first_real_message():
    """A list serializer marks each valid item with `{}`: those are not the message."""
    error = ValidationError({"photos": [{}, {"lat": ["Too far north."]}], "note": ["Empty."]})
    body = exception_handler(error, {}).data
    assert body["fields"] == {"photos": ["Too far north."], "note": ["Empty."]}
    assert body["detail"].endswith("Too far north.")
    assert body["detail"] != "Too far north."  # it names the field first


def test_an_unexpected_failure_is_a_json_500(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "visible_grids", broken)
    client = api("leader1")
    client.raise_request_exception = False  # answer as production does
    body = assert_error(client.get("/api/v1/grids/"), 500, "server_error")
    assert "a bug" not in body["detail"]


@pytest.mark.parametrize("path", [
    "/api/v1/regions/?parent=abc",
    f"/api/v1/regions/?parent={HUGE}",
    f"/api/v1/regions/?parent=-{HUGE}",
    "/api/v1/regions/?level=planet",
    f"/api/v1/grids/?region={HUGE}",
    "/api/v1/grids/?mine=perhaps",
    f"/api/v1/grids/{HUGE}/",
    f"/api/v1/grids/{HUGE}/members/",
    "/api/v1/grids/locate/?lat=abc&lng=1",
    "/api/v1/grids/locate/?lat=NaN&lng=Infinity",
    "/api/v1/grids/locate/?lat=1e999&lng=1",
    f"/api/v1/regions/?offset={HUGE}",
    f"/api/v1/regions/?limit={HUGE}",
])
def test_malformed_query_is_never_a_500(api, path):
    response = api("dispatcher-city").get(path)
    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


def test_a_huge_id_in_a_post_path_is_404_not_500(api):
    response = api("leader1").post(f"/api/v1/memberships/{HUGE}/approve/")
    assert_error(response, 404, "not_found")


# --- lists -------------------------------------------------------------------------------

def test_a_huge_limit_is_clamped_to_the_maximum_page_size(api, settings):
    settings.MAX_PAGE_SIZE = 3  # the demo has 5 regions: make the cap bite
    response = api("leader1").get("/api/v1/regions/?limit=10000000")
    assert response.status_code == 200
    body = response.json()
    assert {"results", "next"} <= body.keys()
    assert len(body["results"]) == 3
    assert "limit=3" in body["next"]


def test_the_default_maximum_page_size_is_applied(api):
    response = api("leader1").get("/api/v1/regions/?limit=10000000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == Region.objects.count() <= settings.MAX_PAGE_SIZE


@pytest.mark.parametrize("query", ["limit=abc", "limit=-5", "limit=0", "offset=-1",
                                   "offset=abc", "limit=2.5"])
def test_a_malformed_limit_or_offset_falls_back_to_the_defaults(api, query):
    response = api("leader1").get(f"/api/v1/regions/?{query}")
    assert response.status_code == 200
    assert response.json()["results"]


def test_next_walks_through_every_row_exactly_once(api):
    client = api("leader1")
    url, seen = "/api/v1/regions/?limit=2", []
    while url:
        body = client.get(url).json()
        seen += [region["code"] for region in body["results"]]
        url = body["next"]
    assert seen == list(Region.objects.order_by("code").values_list("code", flat=True))
    assert len(seen) == 5


def test_an_offset_past_the_end_is_an_empty_page(api):
    body = api("leader1").get("/api/v1/regions/?offset=1000").json()
    assert body["results"] == [] and body["next"] is None


# --- schema, docs, health ----------------------------------------------------------------

def test_the_openapi_schema_is_served(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/grids/{id}/invites/" in schema["paths"]


def test_the_docs_page_is_served(api):
    response = api().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    """`spectacular --fail-on-warn` exits on any warning: a view the generator cannot
    understand (no serializer, a get_queryset that needs a real request, ...)."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")


def test_healthz_is_ok_without_a_token(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):  # liveness only: no dependency is touched
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_path_without_its_trailing_slash_is_a_json_404_not_a_redirect(api):
    response = api("newcomer").post("/api/v1/memberships", {"invite_code": "X"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_database_that_stays_locked_is_a_503_the_client_can_retry(api, monkeypatch):
    from django.db import OperationalError

    from gridapp.services import memberships as services

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "join_grid", locked)
    response = api("newcomer").post("/api/v1/memberships/", {"invite_code": "ABCDEFGHJK"},
                                    format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "database_busy"
