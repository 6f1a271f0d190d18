"""The console's year-end pages (docs/api.md "The web console"): finance prepares a
distribution, publishes it for public notice, a second officer decides the appeals and
approves, the files download; scoped and priced as the API's own."""

import pytest
from django.test import Client
from freezegun import freeze_time

from gridapp.models import Region
from payroll.yearend import services
from payroll.yearend.models import Appeal, Distribution

from .conftest import post
from .test_console import SIGNED_IN

JAN_5 = "2027-01-05 10:00:00+08:00"  # 2026 is over, its distribution is being prepared
NOTICE_OVER = "2027-01-12 10:00:01+08:00"
HHL = "450502001001"


def prepare(client: Client, code: str = HHL, extra_pool: str = "3600.00") -> Distribution:
    created = post(client, "/console/payroll/year-end/", {
        "year": 2026, "region": Region.objects.get(code=code).pk, "extra_pool": extra_pool})
    distribution = Distribution.objects.get(region__code=code)
    assert created["Location"] == f"/console/payroll/year-end/{distribution.pk}/"
    return distribution


def messages_after(client: Client, response) -> str:
    return client.get(response["Location"]).content.decode()


def test_the_whole_year_end_from_the_console(console, user):
    with freeze_time(JAN_5) as clock:
        maker, checker = console("finance1"), console("finance2")  # signed in that day
        distribution = prepare(maker)
        base = f"/console/payroll/year-end/{distribution.pk}"
        page = maker.get(f"{base}/").content.decode()
        assert "3600.00" in page and page.count('<tr data-term="') == 10
        assert 'name="publish"' in page and "公示" in page
        post(maker, f"{base}/publish/", {"publish_days": "7"})
        appeal = services.file_appeal(distribution, leader=user("leader1"),
                                      reason="我的上报数量统计有误")
        page = checker.get(f"{base}/").content.decode()
        assert "我的上报数量统计有误" in page and 'name="dismiss"' in page
        refused = post(maker, f"/console/payroll/year-end/appeals/{appeal.pk}/dismiss/",
                       {"note": "x"})
        assert "年终分配的编制人不能处理其申诉" in messages_after(maker, refused)
        assert Appeal.objects.get(pk=appeal.pk).status == "open"
        no_note = post(checker, f"/console/payroll/year-end/appeals/{appeal.pk}/dismiss/")
        assert no_note.status_code == 302 and Appeal.objects.get(pk=appeal.pk).status == "open"
        post(checker, f"/console/payroll/year-end/appeals/{appeal.pk}/dismiss/",
             {"note": "已核实，数据无误"})
        assert Appeal.objects.get(pk=appeal.pk).status == "dismissed"
        early = post(maker, f"{base}/submit/")
        assert "公示期尚未结束" in messages_after(maker, early)
        assert Distribution.objects.get().status == "published"
        notice = maker.get(f"{base}/notice.csv")
        assert notice.status_code == 200 and "6231" not in notice.content.decode("utf-8-sig")
        clock.move_to(NOTICE_OVER)
        post(maker, f"{base}/submit/")
        post(maker, f"{base}/approve/")  # the preparer: maker-checker says no
        assert Distribution.objects.get().status == "submitted"
        post(checker, f"{base}/approve/")
        assert Distribution.objects.get().status == "approved"
        bank = maker.get(f"{base}/export.csv?template=standard")
        assert bank.status_code == 200 and "3600.00" in bank.content.decode("utf-8-sig")
        xlsx = maker.get(f"{base}/export.xlsx?template=agency-xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        wrong = maker.get(f"{base}/export.csv?template=agency-xlsx")
        assert wrong.status_code == 302  # that template is XLSX only: a message
        post(checker, f"{base}/mark-paid/")
    distribution.refresh_from_db()
    assert (distribution.status, distribution.prepared_by.username,
            distribution.approved_by.username) == ("paid", "finance1", "finance2")


@freeze_time(JAN_5)
def test_an_upheld_appeal_cancels_it_and_a_new_one_may_be_prepared(console, user):
    maker, checker = console("finance1"), console("finance2")
    distribution = prepare(maker)
    post(maker, f"/console/payroll/year-end/{distribution.pk}/publish/", {"publish_days": "7"})
    appeal = services.file_appeal(distribution, leader=user("leader2"), reason="天数不对")
    post(checker, f"/console/payroll/year-end/appeals/{appeal.pk}/uphold/", {"note": "属实"})
    assert Distribution.objects.get().status == "cancelled"
    post(maker, "/console/payroll/year-end/", {
        "year": 2026, "region": Region.objects.get(code=HHL).pk, "extra_pool": "3600.00"})
    assert Distribution.objects.filter(status="draft").count() == 1


@freeze_time(JAN_5)
def test_a_bad_form_or_filter_is_a_message_not_a_500(console):
    client = console("finance1")
    for form in ({"year": "²", "region": "x"}, {"year": 2028, "region": "1"},
                 {"year": 2026, "region": Region.objects.get(code=HHL).pk,
                  "extra_pool": "1.001"}):
        response = post(client, "/console/payroll/year-end/", form)
        assert response.status_code == 302 and not Distribution.objects.exists()
        assert response["Location"] == "/console/payroll/year-end/"
        assert 'class="error"' in messages_after(client, response)
    assert client.get("/console/payroll/year-end/?year=abc").status_code == 400
    assert client.get(f"/console/payroll/year-end/{10**30}/").status_code == 404
    distribution = prepare(client)
    bad_days = post(client, f"/console/payroll/year-end/{distribution.pk}/publish/",
                    {"publish_days": "31"})
    assert bad_days.status_code == 302 and Distribution.objects.get().status == "draft"


@pytest.mark.parametrize(("username", "status"), [
    ("dispatcher-city", 404), ("handler-lighting", 404), ("finance2", 200), ("admin", 200)])
@freeze_time(JAN_5)
def test_year_end_pages_are_for_finance_over_the_region(console, username, status):
    distribution = prepare(console("finance1"))
    client = console(username)
    assert client.get("/console/payroll/year-end/").status_code == status
    assert client.get(f"/console/payroll/year-end/{distribution.pk}/").status_code == status
    refused = post(client, f"/console/payroll/year-end/{distribution.pk}/cancel/")
    assert Distribution.objects.get().status == ("cancelled" if status == 200 else "draft")
    assert refused.status_code == (302 if status == 200 else 404)


@freeze_time(JAN_5)
def test_the_year_end_pages_cost_a_fixed_number_of_queries(console, user,
                                                           django_assert_num_queries):
    client = console("finance1")
    distribution = prepare(client)
    post(client, f"/console/payroll/year-end/{distribution.pk}/publish/", {"publish_days": "7"})
    for leader in ("leader1", "leader2"):
        services.file_appeal(distribution, leader=user(leader), reason="x")
    # the distributions with their region and people joined, the regions of the form
    with django_assert_num_queries(SIGNED_IN + 2):
        assert client.get("/console/payroll/year-end/").status_code == 200
    # the distribution, the shares' count and page, the appeals, the history
    with django_assert_num_queries(SIGNED_IN + 5):
        assert client.get(f"/console/payroll/year-end/{distribution.pk}/").status_code == 200
