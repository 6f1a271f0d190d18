"""The year-end second distribution (二次分配) through the API and the services: scored
shares to the fen, the public notice, appeals, maker-checker, the bank file and the 公示
list, and the database refusing to change what was published or approved."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from payroll.yearend import services
from payroll.yearend.models import Appeal, Distribution, DistributionEvent, Share

from .conftest import CITY, HHL, HPL

YE = "/api/v1/payroll/year-end/"
ME = "/api/v1/payroll/me/"
JAN_5 = "2027-01-05 10:00:00+08:00"
NOTICE_OVER = "2027-01-12 10:00:01+08:00"
HHL_LEADERS = [f"leader{k}" for k in range(1, 9)] + ["leader9old", "leader9"]


@pytest.fixture
def clock():
    """Early January 2027: 2026 is over, its distribution is being prepared."""
    with freeze_time(JAN_5) as frozen:
        yield frozen


@pytest.fixture
def draft(api, clock, performance) -> dict:
    """2026 for 黄海路社区, extra_pool 3600.00, prepared by finance1 (no metrics: by days)."""
    response = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "3600.00"},
                                    format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def published(api, draft) -> dict:
    response = api("finance1").post(f"{YE}{draft['id']}/publish/", {"publish_days": 7},
                                    format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def by_leader(body: dict, user) -> dict[str, dict]:
    names = {user(n).pk: n for n in HHL_LEADERS}
    return {names[s["leader"]]: s for s in body["shares"]}


def test_the_demo_draft_has_one_share_per_term_summing_to_the_pool(draft, user):
    assert (draft["status"], draft["pool"], draft["extra_pool"]) == ("draft", "3600.00",
                                                                       "3600.00")
    shares = by_leader(draft, user)
    assert sorted(shares) == sorted(HHL_LEADERS)
    assert sum(Decimal(s["share"]) for s in draft["shares"]) == Decimal("3600.00")
    # no metric tells them apart: equal by days served, 3285 days in all
    assert shares["leader1"]["share"] == "400.00"
    assert (shares["leader9old"]["days_served"], shares["leader9old"]["share"]) == (319, "349.59")
    assert (shares["leader9"]["days_served"], shares["leader9"]["share"]) == (46, "50.41")
    breakdown = shares["leader1"]["score_breakdown"]
    assert set(breakdown["metrics"]["reports_filed"]) == {"raw", "normalised", "weight"}


def test_better_work_results_pay_more_and_the_breakdown_says_why(api, clock, performance, user):
    performance["leader1"] = {"reports_filed": 30, "resolved_rate": Decimal("0.9")}
    performance["leader2"] = {"reports_filed": 10, "resolved_rate": Decimal("0.5")}
    body = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "1000.00"},
                                format="json").json()
    shares = by_leader(body, user)
    assert Decimal(shares["leader1"]["share"]) > Decimal(shares["leader2"]["share"]) > 0
    assert shares["leader3"]["share"] == "0.00"
    assert shares["leader1"]["score_breakdown"]["metrics"]["reports_filed"]["normalised"] == \
        "1.0000"
    assert sum(Decimal(s["share"]) for s in body["shares"]) == Decimal("1000.00")


def test_the_pool_adds_what_approved_monthly_lines_withheld(api, clock, performance, user,
                                                           region):
    from payroll import services as runs
    from payroll.models import StipendPolicy

    StipendPolicy.objects.create(region=region(HHL), effective_from=dt.date(2026, 10, 1),
                                 monthly_amount=Decimal("300.00"),
                                 withholding_percent=Decimal("20.00"))
    run = runs.create_run(period=dt.date(2026, 10, 1), region=region(HHL), actor=user("finance1"))
    runs.submit_run(run, actor=user("finance1"))
    runs.approve_run(run, actor=user("finance2"))
    body = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "100.00"},
                                format="json").json()
    # nine leaders served October whole (leader9old): 9 × 60.00 withheld
    assert (body["withheld_pool"], body["pool"]) == ("540.00", "640.00")


def test_a_later_year_is_period_in_future(api, clock, performance):
    response = api("finance1").post(YE, {"year": 2028, "region": HHL}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "period_in_future")


def test_the_current_year_is_scored_to_date(api, performance, user):
    with freeze_time("2026-12-05 10:00:00+08:00"):
        body = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "0.00"},
                                    format="json").json()
    assert body["as_of"] == "2026-12-05"
    assert by_leader(body, user)["leader9"]["days_served"] == 20
    assert {s["share"] for s in body["shares"]} == {"0.00"}


def test_one_live_distribution_per_year_and_region_subtree(api, draft):
    finance = api("finance1")
    again = finance.post(YE, {"year": 2026, "region": HHL, "extra_pool": "1.00"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "run_exists")
    city = finance.post(YE, {"year": 2026, "region": CITY, "extra_pool": "1.00"}, format="json")
    assert (city.status_code, city.json()["code"]) == (409, "run_overlaps")
    assert finance.post(YE, {"year": 2026, "region": HPL}, format="json").status_code == 201
    assert finance.post(f"{YE}{draft['id']}/cancel/", {"reason": "重算"},
                        format="json").json()["status"] == "cancelled"
    assert finance.post(YE, {"year": 2026, "region": HHL}, format="json").status_code == 201


@pytest.mark.parametrize("body", [
    {"year": "²", "region": HHL}, {"year": 10**30, "region": HHL}, {"year": 2026},
    {"year": 2026, "region": "²"}, {"year": 2026, "region": 10**30},
    {"year": 2026, "region": HHL, "extra_pool": "-1.00"},
    {"year": 2026, "region": HHL, "extra_pool": "1.001"},
    {"year": 2026, "region": HHL, "extra_pool": "NaN"}, {"region": HHL},
])
def test_malformed_input_is_400_and_stores_nothing(api, clock, performance, body):
    response = api("finance1").post(YE, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Distribution.objects.exists()


@pytest.mark.parametrize("path", ["²/", f"{10**30}/", "99999/", f"{10**30}/shares/",
                                  "99999/publish/", f"{10**30}/export.csv",
                                  f"appeals/{10**30}/dismiss/"])
def test_a_bad_or_unknown_id_is_404(api, clock, path):
    assert api("leader1").post(f"{YE}{10**30}/appeals/", {"reason": "x"},
                               format="json").status_code == 404
    client = api("finance1")
    response = client.post(f"{YE}{path}", {"note": "x"}, format="json") if path.endswith(
        ("publish/", "dismiss/")) else client.get(f"{YE}{path}")
    assert response.status_code == 404


def test_only_finance_staff_over_the_region_create_or_see_a_distribution(api, draft,
                                                                         finance_hpl):
    assert api("leader1").post(YE, {"year": 2026, "region": HHL}, format="json"
                               ).status_code == 403
    assert api("finance-hpl").get(f"{YE}{draft['id']}/").status_code == 404
    assert api("finance-hpl").get(YE).json()["results"] == []
    assert [d["id"] for d in api("finance2").get(YE).json()["results"]] == [draft["id"]]


def test_a_leader_sees_their_share_from_publication_not_in_draft(api, draft, user):
    assert api("leader1").get(ME).json()["year_end_shares"] == []
    api("finance1").post(f"{YE}{draft['id']}/publish/", {}, format="json")
    mine = api("leader1").get(ME).json()["year_end_shares"]
    assert [(s["year"], s["share"], s["status"]) for s in mine] == [(2026, "400.00",
                                                                     "published")]
    assert "metrics" in mine[0]["score_breakdown"]
    assert api("leader1").get(ME, {"year": 2025}).json()["year_end_shares"] == []
    assert api("resident1").get(ME).json()["year_end_shares"] == []


def test_publish_days_are_0_to_30(api, draft):
    url = f"{YE}{draft['id']}/publish/"
    assert api("finance1").post(url, {"publish_days": 31}, format="json").status_code == 400
    assert api("finance1").post(url, {"publish_days": "x"}, format="json").status_code == 400
    body = api("finance1").post(url, {"publish_days": 0}, format="json").json()
    assert body["notice_ends_at"] == body["published_at"]


def test_the_demo_distribution_end_to_end(api, clock, user):
    """Scored by the leader-performance selector itself (no stand-in): notice, an appeal
    dismissed by the second person, submission after the notice, approval by the second
    person, the bank file and the 公示 list, paid."""
    created = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "3600.00"},
                                   format="json").json()
    leader1_share = by_leader(created, user)["leader1"]["share"]
    published = api("finance1").post(f"{YE}{created['id']}/publish/", {"publish_days": 7},
                                     format="json").json()
    assert published["status"] == "published"
    # clients made afresh after each move of the clock: an access token lives minutes
    def finance1():
        return api("finance1")

    def finance2():
        return api("finance2")

    def leader1():
        return api("leader1")

    base = f"{YE}{published['id']}"
    clock.move_to("2027-01-07 09:00:00+08:00")
    appeal = leader1().post(f"{base}/appeals/", {"reason": "我的上报数量统计有误"}, format="json")
    assert appeal.status_code == 201
    assert {k: appeal.json()[k] for k in ("reason", "status")} == {
        "reason": "我的上报数量统计有误", "status": "open"}
    assert api("resident1").post(f"{base}/appeals/", {"reason": "x"},
                                 format="json").status_code == 403
    assert api("leader10").post(f"{base}/appeals/", {"reason": "x"},
                                format="json").json()["code"] == "not_in_distribution"
    decide = f"{YE}appeals/{appeal.json()['id']}/dismiss/"
    assert finance1().post(decide, {"note": "x"}, format="json").json()["code"] == "maker_checker"
    assert finance2().post(decide, {}, format="json").status_code == 400
    assert finance1().post(f"{base}/submit/").json()["code"] == "notice_not_over"
    clock.move_to(NOTICE_OVER)
    assert finance1().post(f"{base}/submit/").json()["code"] == "appeal_open"
    assert leader1().post(f"{base}/appeals/", {"reason": "晚了"},
                        format="json").json()["code"] == "notice_over"
    dismissed = finance2().post(decide, {"note": "已核实，数据无误"}, format="json").json()
    assert dismissed["status"] == "dismissed"
    assert finance1().post(f"{base}/submit/").json()["status"] == "submitted"
    assert finance1().post(f"{base}/approve/").json()["code"] == "maker_checker"
    approved = finance2().post(f"{base}/approve/").json()
    assert (approved["status"], approved["approved_by_name"]) == ("approved", "finance2")

    bank = finance1().get(f"{base}/export.csv")
    assert bank.status_code == 200
    rows = list(csv.reader(io.StringIO(bank.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 10 + 1
    assert rows[-1][8] == "3600.00"
    # the demo's bank details, copied at approval, in full for finance1
    assert rows[1][3:6] == ["陈海燕", "北部湾银行北海分行", f"62314500{user('leader1').pk:011d}"]
    assert bank["X-Content-SHA256"] == finance1().get(f"{base}/export.csv")["X-Content-SHA256"]
    assert finance1().get(f"{base}/export.xlsx").status_code == 200

    notice = finance1().get(f"{base}/notice.csv")
    text = notice.content.decode("utf-8-sig")
    assert "HHL-01,leader1,365," in text and leader1_share in text and "3600.00" in text
    assert "6231" not in text
    assert finance1().get(f"{base}/notice.xlsx").status_code == 200

    assert finance1().post(f"{base}/mark-paid/").json()["status"] == "paid"
    actions = [e["action"] for e in finance1().get(f"{base}/events/").json()["results"]]
    assert actions[:8] == ["created", "published", "appealed", "appeal_dismissed", "submitted",
                           "approved", "exported", "exported"]
    assert actions[-1] == "paid"
    assert leader1().get(ME).json()["year_end_shares"][0]["status"] == "paid"


def test_an_upheld_appeal_cancels_the_distribution_for_a_regenerated_one(api, published, clock):
    base = f"{YE}{published['id']}"
    first = api("leader1").post(f"{base}/appeals/", {"reason": "天数不对"}, format="json").json()
    other = api("leader2").post(f"{base}/appeals/", {"reason": "也不对"}, format="json").json()
    upheld = api("finance2").post(f"{YE}appeals/{first['id']}/uphold/", {"note": "属实"},
                                  format="json").json()
    assert upheld["status"] == "upheld"
    assert api("finance1").get(f"{base}/").json()["status"] == "cancelled"
    assert Appeal.objects.get(pk=other["id"]).status == Appeal.Status.CLOSED
    assert api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "3600.00"},
                                format="json").status_code == 201


def test_approval_needs_the_payees_bank_details(api, clock, performance, community, add_term):
    add_term(dt.date(2026, 3, 1))  # a new leader, no bank account yet
    created = api("finance1").post(YE, {"year": 2026, "region": community.code,
                                        "extra_pool": "10.00"}, format="json").json()
    api("finance1").post(f"{YE}{created['id']}/publish/", {"publish_days": 0}, format="json")
    api("finance1").post(f"{YE}{created['id']}/submit/")
    response = api("finance2").post(f"{YE}{created['id']}/approve/")
    assert (response.status_code, response.json()["code"]) == (409, "bank_account_missing")


def test_the_bank_file_waits_for_approval_and_the_notice_for_publication(api, draft):
    finance = api("finance1")
    assert finance.get(f"{YE}{draft['id']}/export.csv").json()["code"] == "run_not_approved"
    assert finance.get(f"{YE}{draft['id']}/notice.csv").json()["code"] == "not_published"


def test_wrong_status_is_409_invalid_transition(api, draft):
    finance = api("finance1")
    assert finance.post(f"{YE}{draft['id']}/submit/").json()["code"] == "invalid_transition"
    assert finance.post(f"{YE}{draft['id']}/mark-paid/").json()["code"] == "invalid_transition"
    assert api("leader1").post(f"{YE}{draft['id']}/appeals/", {"reason": "x"},
                               format="json").json()["code"] == "invalid_transition"


def test_shares_cannot_change_once_published(published):
    share = Share.objects.filter(distribution_id=published["id"]).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.filter(pk=share.pk).update(amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Share.objects.filter(pk=share.pk).delete()


def test_an_approved_distribution_and_its_history_cannot_change(api, published, clock, user):
    clock.move_to(NOTICE_OVER)
    api("finance1").post(f"{YE}{published['id']}/submit/")
    api("finance2").post(f"{YE}{published['id']}/approve/")
    distribution = Distribution.objects.get(pk=published["id"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Distribution.objects.filter(pk=distribution.pk).update(extra_pool=Decimal("1.00"),
                                                               pool=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        distribution.payments.update(account_number="1234567890")
    with pytest.raises(IntegrityError), transaction.atomic():
        DistributionEvent.objects.filter(distribution=distribution).delete()
    services.mark_distribution_paid(distribution, actor=user("finance1"))


def test_the_database_refuses_an_approver_who_prepared_it(published, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Distribution.objects.filter(pk=published["id"]).update(approved_by=user("finance1"))


def test_a_pool_with_nobody_to_share_it_is_refused(api, clock, performance, settings):
    settings.PAYROLL_YEAR_END_MIN_DAYS = 366
    response = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "1.00"},
                                    format="json")
    assert (response.status_code, response.json()["code"]) == (400, "nothing_to_share")
    assert not Distribution.objects.exists()


def test_weights_come_from_the_nearest_region_up_the_tree(settings, region):
    settings.PAYROLL_YEAR_END_WEIGHTS = {"default": {"reports_filed": Decimal(1)},
                                         CITY: {"rating_mean": Decimal(1)}}
    assert services.policy_for(region(HHL)).weights == {"rating_mean": Decimal(1)}
    settings.PAYROLL_YEAR_END_WEIGHTS = {"default": {"reports_filed": Decimal(1)}}
    assert services.policy_for(region(HHL)).weights == {"reports_filed": Decimal(1)}


# --- query budgets -------------------------------------------------------------------------

AUTH_AND_ROLES = 1 + 2  # the JWT's user with the roles token, then the roles, cold


@pytest.mark.parametrize("years", [1, 3])
def test_the_list_costs_the_same_for_one_distribution_or_many(api, clock, performance, years,
                                                              django_assert_num_queries):
    for year in range(2026 - years + 1, 2027):
        api("finance1").post(YE, {"year": year, "region": HHL}, format="json")
    client = api("finance2")
    with django_assert_num_queries(AUTH_AND_ROLES + 2):  # COUNT and the page
        assert len(client.get(YE).json()["results"]) == years


@pytest.mark.parametrize("code, count", [(HPL, 2), (HHL, 10)])
def test_the_detail_is_two_queries_whatever_the_shares(api, clock, performance, code, count,
                                                       django_assert_num_queries):
    created = api("finance1").post(YE, {"year": 2026, "region": code}, format="json").json()
    client = api("finance2")
    with django_assert_num_queries(AUTH_AND_ROLES + 2):  # the distribution, its shares
        assert len(client.get(f"{YE}{created['id']}/").json()["shares"]) == count


@pytest.mark.parametrize("code, count", [(HPL, 2), (HHL, 10)])
@pytest.mark.parametrize("what", ["shares", "payments", "events", "appeals"])
def test_the_sub_lists_cost_the_same_for_few_rows_or_many(api, clock, performance, code, count,
                                                          what, django_assert_num_queries):
    finance = api("finance1")
    created = finance.post(YE, {"year": 2026, "region": code}, format="json").json()
    finance.post(f"{YE}{created['id']}/publish/", {}, format="json")
    leaders = Share.objects.filter(distribution_id=created["id"]).values_list(
        "leader__username", flat=True)
    for username in leaders:
        api(username).post(f"{YE}{created['id']}/appeals/", {"reason": "x"}, format="json")
    client = api("finance2")
    # the distribution, then COUNT and the page, each row's people and grid joined in
    with django_assert_num_queries(AUTH_AND_ROLES + 1 + 2):
        body = client.get(f"{YE}{created['id']}/{what}/").json()
    expected = {"shares": count, "payments": count, "appeals": count,
                "events": 2 + count}[what]
    assert body["count"] == expected


def test_my_payroll_is_two_queries_after_auth(api, published, django_assert_num_queries):
    client = api("leader1")
    # the JWT's user, then the lines and the shares (each with what it shows joined in)
    with django_assert_num_queries(1 + 2):
        assert len(client.get(ME).json()["year_end_shares"]) == 1


# --- the back office -----------------------------------------------------------------------

def test_the_admin_shows_a_distribution_and_approves_it_through_the_service(
        client, published, clock, user):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    clock.move_to(NOTICE_OVER)
    services.submit_distribution(Distribution.objects.get(), actor=user("finance1"))
    finance2 = user("finance2")
    finance2.is_staff = True
    finance2.save(update_fields=["is_staff"])
    finance2.user_permissions.set(Permission.objects.filter(
        content_type__app_label="payroll", codename__startswith="view_"))
    client.force_login(finance2)
    page = client.get(reverse("admin:payroll_distribution_change", args=[published["id"]]))
    assert page.status_code == 200
    assert "HHL-01" in page.content.decode()
    client.post(reverse("admin:payroll_distribution_changelist"),
                {"action": "approve", "_selected_action": [published["id"]]})
    assert Distribution.objects.get().status == Distribution.Status.APPROVED


# --- scored from the reports themselves ----------------------------------------------------

def test_the_demo_2026_distribution_is_scored_by_the_leader_performance_selector(api, clock,
                                                                                 user):
    """No stand-in: DEMO.md "Year-end", 3600.00 over the 10 leader terms of 黄海路社区, with
    the metrics gridapp computes from the demo's reports."""
    response = api("finance1").post(YE, {"year": 2026, "region": HHL, "extra_pool": "3600.00"},
                                    format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    shares = by_leader(body, user)
    assert sorted(shares) == sorted(HHL_LEADERS)
    assert sum(Decimal(s["share"]) for s in body["shares"]) == Decimal("3600.00")
    assert (shares["leader9old"]["days_served"], shares["leader9"]["days_served"]) == (319, 46)
    for share in body["shares"]:
        assert set(share["score_breakdown"]["metrics"]) == {
            "reports_filed", "resolved_rate", "on_time_rate", "verified_in_window_rate",
            "rating_mean", "reopen_rate", "members_recruited"}
