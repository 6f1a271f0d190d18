"""Every role × action combination, generated from issue 5's rules rather than picked:

- accept, dispatch, reject, merge, escalate: a dispatcher whose region contains the report
  and whose level is the report's or higher;
- start, resolve, return: staff of the assigned department;
- verify, reopen: the reporter or the grid's current leader;
- rating: the reporter.

Everyone else gets 403 if they can see the report and 404 if they can't, and the report
is left exactly as it was. The rules are written out here a second time, on purpose, from
the demo world's facts (`sees` and `allowed` below), not imported from the code under test.
Each scenario also checks the allowed users do succeed, so that the matrix can't pass by
refusing everyone.
"""

from dataclasses import dataclass

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from gridapp.models import Department, Report

from .photos_support import uploaded_photo_id
from .workflow_support import LEVELS, act, lighting, report_in, snapshot


pytestmark = pytest.mark.usefixtures("media")

# --- the demo world's facts (DEMO.md) -----------------------------------------------------

USERS = [*(f"leader{k}" for k in range(1, 12)), "leader9old", "resident1", "resident2",
         "resident3", "newcomer", "dispatcher-community", "dispatcher-street",
         "dispatcher-district", "dispatcher-city", "handler-lighting", "handler-enforcement",
         "finance1", "finance2", "admin"]
DISPATCHER_REGIONS = {  # user → (region code prefix, level)
    "dispatcher-community": ("450502001001", "community"),
    "dispatcher-street": ("450502001", "street"),
    "dispatcher-district": ("450502", "district"),
    "dispatcher-city": ("4505", "city"),
}
HANDLER_DEPARTMENT = {"handler-lighting": "bh-lighting", "handler-enforcement": "dj-enforcement"}
GRIDS = {  # grid → (community code, its current leader, a resident who reports there)
    "HHL-05": ("450502001001", "leader5", "resident1"),
    "HPL-01": ("450502001002", "leader10", "resident3"),
}
POINTS = {"HHL-05": (21.4830, 109.1130), "HPL-01": (21.4810, 109.1170)}


@dataclass(frozen=True)
class Case:
    """A report somewhere, at some level, in the state the action starts from."""

    grid: str
    level: str = "community"
    department: str | None = None

    @property
    def community(self) -> str:
        return GRIDS[self.grid][0]

    @property
    def leader(self) -> str:
        return GRIDS[self.grid][1]

    @property
    def reporter(self) -> str:
        return GRIDS[self.grid][2]


def sees(username: str, case: Case) -> bool:
    if username in DISPATCHER_REGIONS:
        return case.community.startswith(DISPATCHER_REGIONS[username][0])
    return (username in ("admin", case.reporter, case.leader)
            or HANDLER_DEPARTMENT.get(username, "-") == case.department)


def allowed(username: str, action: str, case: Case) -> bool:
    if action in ("accept", "dispatch", "reject", "merge", "escalate"):
        prefix, level = DISPATCHER_REGIONS.get(username, ("-", "community"))
        return case.community.startswith(prefix) and LEVELS.index(level) >= LEVELS.index(case.level)
    if action in ("start", "resolve", "return"):
        return HANDLER_DEPARTMENT.get(username) == case.department
    if action in ("verify", "reopen"):
        return username in (case.reporter, case.leader)
    assert action == "rating"
    return username == case.reporter


# --- what each action starts from and sends ----------------------------------------------

START_STATUS = {"accept": "submitted", "reject": "submitted", "merge": "submitted",
                "dispatch": "accepted", "escalate": "accepted", "start": "dispatched",
                "return": "dispatched", "resolve": "in_progress", "verify": "resolved",
                "reopen": "resolved", "rating": "resolved"}


def scenarios() -> list[tuple[str, Case]]:
    cases = []
    for action in ["accept", "dispatch", "reject", "merge", "escalate"]:
        cases += [(action, Case("HHL-05", level)) for level in LEVELS]
        cases.append((action, Case("HPL-01")))  # 和平路社区: not dispatcher-community's
    for action in ["start", "resolve", "return"]:
        cases += [(action, Case("HHL-05", "city", "bh-lighting")),
                  (action, Case("HHL-05", "community", "dj-enforcement"))]
    for action in ["verify", "reopen", "rating"]:
        cases += [(action, Case(grid, "city", "bh-lighting")) for grid in GRIDS]
    return cases


def make(action: str, case: Case) -> Report:
    department = Department.objects.get(code=case.department) if case.department else None
    return report_in(START_STATUS[action], reporter=User.objects.get(username=case.reporter),
                     level=case.level, department=department, grid_code=case.grid,
                     point=POINTS[case.grid])


def post(client, report: Report, action: str, body: dict):
    if action == "rating":
        return client.post(f"/api/v1/reports/{report.pk}/rating/", body, format="json")
    return act(client, report.pk, action, **body)


def valid_body(api, username: str, action: str, case: Case) -> dict:
    """What an allowed user sends (a forbidden one is refused before the body is read)."""
    if action == "dispatch":
        return {"department": lighting().pk}
    if action == "resolve":
        return {"note": "修好了", "photo_ids": [uploaded_photo_id(api(username))]}
    if action == "merge":
        return {"duplicate_of": make("accept", case).pk}
    if action == "rating":
        return {"score": 5}
    return {"note": "理由"}


def expected_success(action: str, case: Case, username: str) -> int:
    if action == "rating":
        return 201
    if action == "escalate" and _acting_level(username, case) == "city":
        return 409  # allowed, but the city is the top: nowhere to go
    return 200


def _acting_level(username: str, case: Case) -> str:
    level = DISPATCHER_REGIONS[username][1]
    return max(level, case.level, key=LEVELS.index)


@pytest.mark.parametrize("action, case", scenarios(),
                         ids=[f"{a}-{c.grid}-{c.level}-{c.department}" for a, c in scenarios()])
def test_every_role_may_do_exactly_what_the_rules_say(api, world, action, case):
    report = make(action, case)
    before = snapshot(report)
    wrong = []
    for username in USERS:
        if allowed(username, action, case):
            continue
        response = post(api(username), report, action, {"note": "x", "score": 5,
                                                        "department": "bh-lighting",
                                                        "duplicate_of": report.pk})
        expected = 403 if sees(username, case) else 404
        if response.status_code != expected:
            wrong.append((username, response.status_code, expected))
    assert wrong == [], f"(user, got, expected) for {action} on {case}"
    assert snapshot(report) == before

    permitted = [u for u in USERS if allowed(u, action, case)]
    assert permitted, "a scenario in which nobody may act tests nothing"
    for username in permitted:
        fresh = make(action, case)
        response = post(api(username), fresh, action, valid_body(api, username, action, case))
        assert response.status_code == expected_success(action, case, username), \
            (username, response.content)


@freeze_time("2026-11-26 10:00:00+08:00")
def test_a_former_leader_may_not_verify_and_the_current_one_may(api, user):
    """HHL-09 changed leaders on 2026-11-16: only the leader of today verifies."""
    report = report_in("resolved", reporter=user("leader9old"), grid_code="HHL-09",
                       point=(21.4850, 109.1150), department=lighting(),
                       resolved_at=timezone.now())
    Report.objects.filter(pk=report.pk).update(reporter=user("resident2"))
    assert act(api("leader9old"), report.pk, "verify").status_code == 404
    assert act(api("leader9"), report.pk, "verify").status_code == 200
