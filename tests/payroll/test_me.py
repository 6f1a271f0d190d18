"""GET /payroll/me/: a leader's own lines, never anyone else's, once approved."""

from payroll import services

ME = "/api/v1/payroll/me/"


def test_a_leader_sees_only_their_own_approved_lines(api, approved_run, make_run):
    body = api("leader9old").get(ME).json()
    assert body["year_end_shares"] == []
    assert [(line["period"], line["net"], line["days_served"], line["run_status"])
            for line in body["lines"]] == [("2026-11", "150.00", 15, "approved")]
    assert "leader" not in body["lines"][0]
    assert [line["net"] for line in api("leader9").get(ME).json()["lines"]] == ["150.00"]


def test_a_draft_is_not_shown_to_leaders_until_approved(api, make_run, user):
    run = make_run()
    assert api("leader1").get(ME).json()["lines"] == []
    services.submit_run(run, actor=user("finance1"))
    assert api("leader1").get(ME).json()["lines"] == []
    services.approve_run(run, actor=user("finance2"))
    assert len(api("leader1").get(ME).json()["lines"]) == 1


def test_someone_who_never_led_has_no_lines(api, approved_run):
    assert api("resident1").get(ME).json() == {"lines": [], "year_end_shares": []}
    assert api("finance1").get(ME).json()["lines"] == []


def test_lines_can_be_filtered_by_year(api, approved_run):
    assert len(api("leader1").get(ME, {"year": 2026}).json()["lines"]) == 1
    assert api("leader1").get(ME, {"year": 2025}).json()["lines"] == []


def test_my_payroll_needs_a_login(api):
    assert api().get(ME).status_code == 401
