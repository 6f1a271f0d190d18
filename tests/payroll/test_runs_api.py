"""Runs through the API: DEMO.md's November, scoping, listing and the error codes."""

from decimal import Decimal

import pytest

from payroll.models import Run

from .conftest import CITY, HHL, HPL

RUNS = "/api/v1/payroll/runs/"


def create(client, period="2026-11", region=None, **headers):
    return client.post(RUNS, {"period": period, "region": region}, format="json", **headers)


def test_november_run_for_huanghai_road_pays_2700_as_demo_md_says(api, region):
    response = create(api("finance1"), region=region(HHL).pk)
    assert response.status_code == 201, response.json()
    run = response.json()
    assert (run["status"], run["period"], run["total"], run["line_count"]) == (
        "draft", "2026-11", "2700.00", 10)
    by_leader = {line["leader_name"]: line for line in run["lines"]}
    assert by_leader["leader9old"]["net"] == by_leader["leader9"]["net"] == "150.00"
    assert (by_leader["leader9old"]["days_served"], by_leader["leader9"]["days_served"]) == (15, 15)
    assert all(by_leader[f"leader{k}"]["net"] == "300.00" for k in range(1, 9))
    assert set(run["lines"][0]) >= {"leader", "grid", "days_served", "base", "withheld",
                                    "adjustments", "net"}
    assert run["lines_next"] is None


def test_a_run_can_be_created_by_region_code_too(api):
    response = create(api("finance1"), region=HPL)
    assert response.status_code == 201
    assert (response.json()["total"], response.json()["line_count"]) == ("600.00", 2)


def test_a_second_live_run_for_the_same_period_and_region_is_409_run_exists(api, region):
    assert create(api("finance1"), region=region(HHL).pk).status_code == 201
    response = create(api("finance2"), region=region(HHL).pk)
    assert (response.status_code, response.json()["code"]) == (409, "run_exists")


def test_a_run_for_an_overlapping_region_in_the_same_period_is_refused(api, region):
    assert create(api("finance1"), region=region(HHL).pk).status_code == 201
    response = create(api("finance1"), region=region(CITY).pk)
    assert (response.status_code, response.json()["code"]) == (409, "run_overlaps")
    response = create(api("finance1"), region=region(HHL).pk, period="2026-12")
    assert response.status_code == 201  # another month is fine


def test_a_cancelled_run_makes_room_for_a_new_one(api, region):
    first = create(api("finance1"), region=region(HHL).pk).json()
    assert api("finance1").post(f"{RUNS}{first['id']}/cancel/").json()["status"] == "cancelled"
    second = create(api("finance1"), region=region(HHL).pk)
    assert second.status_code == 201
    assert second.json()["number"].endswith("-2")
    assert second.json()["total"] == "2700.00"


def test_retrying_a_create_with_the_same_idempotency_key_creates_one_run(api, region):
    client = api("finance1")
    first = create(client, region=region(HHL).pk, HTTP_IDEMPOTENCY_KEY="nov-hhl")
    again = create(client, region=region(HHL).pk, HTTP_IDEMPOTENCY_KEY="nov-hhl")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Run.objects.count() == 1


def test_only_finance_staff_create_runs(api, region):
    response = create(api("leader1"), region=region(HHL).pk)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_finance_staff_of_another_region_cannot_create_a_run_there(api, region, finance_hpl):
    assert create(api("finance-hpl"), region=region(HHL).pk).status_code == 403
    assert create(api("finance-hpl"), region=region(HPL).pk).status_code == 201


def test_a_region_without_a_policy_in_force_is_refused(api, region):
    response = create(api("finance1"), region=region(HHL).pk, period="2025-12")
    assert (response.status_code, response.json()["code"]) == (400, "no_policy")


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "November", ""])
def test_a_malformed_period_is_a_validation_error(api, region, period):
    response = create(api("finance1"), region=region(HHL).pk, period=period)
    assert (response.status_code, list(response.json()["fields"])) == (400, ["period"])


def test_someone_elses_run_is_404(api, make_run, finance_hpl):
    run = make_run()
    for path in ("", "lines/", "events/"):
        assert api("finance-hpl").get(f"{RUNS}{run.pk}/{path}").status_code == 404
        assert api("leader1").get(f"{RUNS}{run.pk}/{path}").status_code == 404
    assert api("finance-hpl").post(f"{RUNS}{run.pk}/submit/").status_code == 404


def test_run_detail_has_the_fields_of_api_md(api, approved_run, user):
    body = api("finance1").get(f"{RUNS}{approved_run.pk}/").json()
    assert {"id", "period", "status", "total", "line_count", "prepared_by",
            "approved_by"} <= set(body)
    assert (body["status"], body["total"], body["prepared_by"], body["approved_by"]) == (
        "approved", "2700.00", user("finance1").pk, user("finance2").pk)


def test_the_list_is_scoped_to_the_requesters_regions(api, make_run, finance_hpl):
    make_run(code=HHL)
    make_run(code=HPL)
    assert len(api("finance1").get(RUNS).json()["results"]) == 2
    assert [r["region_code"] for r in api("finance-hpl").get(RUNS).json()["results"]] == [HPL]
    assert api("leader1").get(RUNS).json()["results"] == []


def test_the_list_filters_by_period_region_and_status(api, make_run, region):
    make_run(code=HHL)
    make_run(code=HPL)
    client = api("finance1")
    assert len(client.get(RUNS, {"period": "2026-11"}).json()["results"]) == 2
    assert client.get(RUNS, {"period": "2026-10"}).json()["results"] == []
    assert len(client.get(RUNS, {"region": region(HPL).pk}).json()["results"]) == 1
    assert client.get(RUNS, {"status": "approved"}).json()["results"] == []


def test_lines_list_pages_through_every_line(api, approved_run):
    client = api("finance1")
    first = client.get(f"{RUNS}{approved_run.pk}/lines/", {"limit": 4}).json()
    assert len(first["results"]) == 4 and first["next"]
    everything = client.get(f"{RUNS}{approved_run.pk}/lines/", {"limit": 100}).json()["results"]
    assert sum(Decimal(line["net"]) for line in everything) == Decimal("2700.00")


def test_events_tell_who_did_what_with_the_totals(api, approved_run, user):
    events = api("finance1").get(f"{RUNS}{approved_run.pk}/events/").json()["results"]
    assert [(e["action"], e["from_status"], e["to_status"], e["actor"], e["total"])
            for e in events] == [
        ("created", "", "draft", user("finance1").pk, "2700.00"),
        ("submitted", "draft", "submitted", user("finance1").pk, "2700.00"),
        ("approved", "submitted", "approved", user("finance2").pk, "2700.00"),
    ]


def test_a_big_new_run_returns_its_first_page_of_lines_and_where_the_rest_are(api, region,
                                                                              settings):
    settings.MAX_PAGE_SIZE = 4
    run = create(api("finance1"), region=region(HHL).pk).json()
    assert len(run["lines"]) == 4
    assert run["lines_next"].endswith(f"/api/v1/payroll/runs/{run['id']}/lines/?limit=4&offset=4")
    rest = api("finance1").get(run["lines_next"]).json()["results"]
    assert len(rest) == 4 and min(line["id"] for line in rest) > run["lines"][-1]["id"]
