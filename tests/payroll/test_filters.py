"""Every payroll list filter is validated: a malformed value is 400 naming it, never a 500
and never a silently ignored filter."""

from decimal import Decimal

import pytest

from payroll import services

from .conftest import HPL, NOV

RUNS = "/api/v1/payroll/runs/"
ADJUSTMENTS = "/api/v1/payroll/adjustments/"
ME = "/api/v1/payroll/me/"


@pytest.mark.parametrize(("username", "path", "params", "field"), [
    ("finance1", RUNS, {"period": "2026-13"}, "period"),
    ("finance1", RUNS, {"period": "November"}, "period"),
    ("finance1", RUNS, {"region": "²"}, "region"),
    ("finance1", RUNS, {"region": "999999"}, "region"),
    ("finance1", RUNS, {"region": str(2**63)}, "region"),
    ("finance1", RUNS, {"status": "lost"}, "status"),
    ("finance1", ADJUSTMENTS, {"leader": "²"}, "leader"),
    ("finance1", ADJUSTMENTS, {"leader": str(2**63)}, "leader"),
    ("leader1", ME, {"year": "²"}, "year"),
    ("leader1", ME, {"year": "0"}, "year"),
    ("leader1", ME, {"year": "99999"}, "year"),
    ("leader1", ME, {"year": str(10**30)}, "year"),
])
def test_a_malformed_filter_is_a_400_naming_it(api, username, path, params, field):
    response = api(username).get(path, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


def test_the_adjustment_list_filters_by_leader(api, user):
    for leader in ("leader1", "leader2"):
        services.create_adjustment(leader=user(leader), period=NOV, amount=Decimal("1.00"),
                                   reason="r", actor=user("finance1"))
    results = api("finance1").get(ADJUSTMENTS, {"leader": user("leader2").pk}).json()["results"]
    assert [a["leader"] for a in results] == [user("leader2").pk]


def test_a_run_list_filter_by_region_code_works_as_by_id(api, make_run, region):
    make_run(code=HPL)
    by_code = api("finance1").get(RUNS, {"region": HPL}).json()["results"]
    by_id = api("finance1").get(RUNS, {"region": region(HPL).pk}).json()["results"]
    assert len(by_code) == 1
    assert by_code == by_id
