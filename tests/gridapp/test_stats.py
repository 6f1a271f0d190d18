"""The statistics overview (issue 13): every figure equal to a count made independently
here, scoped like reports, the routing accuracy after a return, malformed queries 400."""

import io
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from gridapp.models import Report
from gridapp.selectors import stats
from gridapp.services import transitions

from .photos_support import make_reports
from .workflow_support import lighting, ok

T0 = datetime.fromisoformat("2026-11-10T09:00:00+08:00")
URL = "/api/v1/stats/overview/?from=2026-11-01&to=2026-11-30"


@pytest.fixture
def november(world, user):
    """Six reports in HHL-05 over November: accepted after 2 h, dispatched, started and
    resolved after 10 h (one late, one reopened), one returned by the lighting office,
    one still waiting; one in HPL-01 (another community); one from October."""
    resident, dispatcher = user("resident1"), user("dispatcher-community")
    handler = user("handler-lighting")
    reports = make_reports(6, reporter=resident, photos=0)
    for i, report in enumerate(reports):
        Report.objects.filter(pk=report.pk).update(created_at=T0 + timedelta(days=i))
        report.refresh_from_db()
        if i == 5:
            continue  # still submitted
        with freeze_time(report.created_at + timedelta(hours=2)):
            transitions.accept_report(report, actor=dispatcher)
            transitions.dispatch_report(report, actor=dispatcher, department=lighting())
        if i == 4:
            with freeze_time(report.created_at + timedelta(hours=3)):
                transitions.return_report(report, actor=handler, note="不是路灯")
            continue
        with freeze_time(report.created_at + timedelta(hours=3)):
            transitions.start_report(report, actor=handler)
        done_after = timedelta(hours=100 if i == 3 else 10)  # 72 h SLA: report 3 is late
        with freeze_time(report.created_at + done_after):
            Report.objects.filter(pk=report.pk).update(status="resolved",
                                                       resolved_at=report.created_at + done_after)
    [other] = make_reports(1, reporter=user("resident3"), grid_code="HPL-01",
                           point=(21.4810, 109.1170), photos=0)
    Report.objects.filter(pk=other.pk).update(created_at=T0)
    [old] = make_reports(1, reporter=resident, photos=0)
    Report.objects.filter(pk=old.pk).update(created_at=T0 - timedelta(days=30))
    return reports


def overview(api, username, url=URL):
    with freeze_time("2026-12-01T09:00:00+08:00"):
        return ok(api(username).get(url))


@pytest.mark.parametrize("scan_share", [0.0, 1.01], ids=["table scanned", "index read"])
def test_every_figure_is_the_count_made_here(api, november, monkeypatch, scan_share):
    """Whichever way SQLite is told to read the window's reports (one way only there)."""
    monkeypatch.setattr(stats, "SCAN_SHARE", scan_share)
    body = overview(api, "dispatcher-community")
    mine = Report.objects.filter(region_code="450502001001", created_at__month=11)
    assert body["total"] == mine.count() == 6
    assert body["by_status"] == dict(Counter(mine.values_list("status", flat=True)))
    assert body["by_category"] == {"streetlight": 6}
    assert body["by_level"] == {"community": 6} and body["by_source"] == {"miniprogram": 6}
    assert body["response_hours"] == {"median": "2.00", "p90": "2.00"}
    # 10, 10, 10, 100 h: the 90th percentile at 0.9 × 3 = 2.7 → 10 + 0.7 × 90 (percentile_cont)
    assert body["resolution_hours"] == {"median": "10.00", "p90": "73.00"}
    assert body["on_time_rate"] == "0.7500" and body["reopen_rate"] == "0.0000"
    assert [d["submitted"] for d in body["trend"][9:15]] == [1, 1, 1, 1, 1, 1]
    assert len(body["trend"]) == 30 and sum(d["submitted"] for d in body["trend"]) == 6
    assert body["routing"] == {"dispatches": 5, "returned": 1, "accuracy": "0.8000",
                               "by_department": [{"department": "bh-lighting", "dispatches": 5,
                                                  "returned": 1, "accuracy": "0.8000"}]}


def test_statistics_are_scoped_like_reports(api, november):
    assert overview(api, "dispatcher-street")["total"] == 7  # both communities
    assert overview(api, "leader5")["total"] == 6  # HHL-05's
    assert overview(api, "leader10")["total"] == 1  # HPL-01's
    assert overview(api, "resident3")["total"] == 1
    assert overview(api, "finance1")["total"] == 0
    street = overview(api, "dispatcher-street", URL + "&region=450502001002")
    assert (street["total"], street["region"] is not None) == (1, True)


def test_an_empty_range_has_no_timings_rather_than_zero(api, november):
    body = overview(api, "dispatcher-city", "/api/v1/stats/overview/?from=2026-01-01&to=2026-01-31")
    assert body["total"] == 0 and body["response_hours"] == {"median": None, "p90": None}
    assert body["on_time_rate"] is None and body["routing"]["accuracy"] is None


@pytest.mark.parametrize("query", ["from=2026-11-30&to=2026-11-01", "from=2025-01-01&to=2026-11-30",
                                   "from=yesterday", "region=²", "region=999999999999",
                                   "to=2026-13-01"])
def test_a_malformed_query_is_400(api, query):
    response = api("dispatcher-city").get(f"/api/v1/stats/overview/?{query}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_the_trend_counts_each_report_on_its_day_in_beijing(api, user):
    """Submitted at 07:30 and closed at 00:30 Beijing time: the evening before, in UTC."""
    [report] = make_reports(1, reporter=user("resident1"), photos=0)
    submitted = datetime.fromisoformat("2026-11-20T07:30:00+08:00")
    Report.objects.filter(pk=report.pk).update(
        created_at=submitted, status="closed", closed_at=submitted + timedelta(days=1, hours=17))
    trend = {day["date"]: day for day in overview(api, "dispatcher-community")["trend"]}
    assert trend["2026-11-20"]["submitted"] == 1 and trend["2026-11-19"]["submitted"] == 0
    assert trend["2026-11-22"]["closed"] == 1 and trend["2026-11-21"]["closed"] == 0


def test_the_trend_follows_a_zone_whose_offset_changes_within_the_window(user):
    """New York leaves daylight saving on 1 November 2026: a report at 23:30 that evening
    (04:30 UTC the next day) belongs to the 1st, which a fixed offset of the 1st's
    midnight (UTC−4) would put on the 2nd."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    [report] = make_reports(1, reporter=user("resident1"), photos=0)
    Report.objects.filter(pk=report.pk).update(
        created_at=datetime.fromisoformat("2026-11-02T04:30:00+00:00"))
    window = stats.Window(datetime(2026, 11, 1).date(), datetime(2026, 11, 3).date())
    with timezone.override(ZoneInfo("America/New_York")):
        trend = stats.overview(Report.objects.all(), window)["trend"]
    assert [day["submitted"] for day in trend] == [1, 0, 0]
    with timezone.override(ZoneInfo("Asia/Shanghai")):  # 12:30 on the 2nd in Beijing
        assert [day["submitted"] for day in stats.overview(
            Report.objects.all(), window)["trend"]] == [0, 1, 0]


def test_the_overview_costs_the_same_queries_for_any_number_of_reports(api, november, user):
    with freeze_time("2026-12-01T09:00:00+08:00"):
        client = api("dispatcher-community")
        ok(client.get(URL))  # the user and their roles are cached from here
        with CaptureQueriesContext(connection) as few:
            ok(client.get(URL))
        more = make_reports(30, reporter=user("resident2"), photos=0)
        Report.objects.filter(pk__in=[r.pk for r in more]).update(created_at=T0)
        with CaptureQueriesContext(connection) as many:
            body = ok(client.get(URL))
    assert body["total"] == 6 + 30
    # the user with the roles token; counts, durations, trend, routing; on SQLite the first
    # report's time, which says how to read the window
    assert len(many) == len(few) == 1 + 4 + (connection.vendor == "sqlite")


# --- the timeline's facts on the report ---------------------------------------------------


def test_the_report_keeps_its_timelines_facts_and_the_migration_finds_the_same(
        api, user, media):
    """The first accept survives three escalations and accepts; a reopen is remembered; a
    close by the reporter and the automatic close are dated. The migration, run over the
    same timelines with the facts erased, finds the same."""
    import importlib

    from gridapp.models import ReportEvent
    from gridapp.services import supervision

    from .photos_support import uploaded_photo_id
    from .workflow_support import DISPATCHERS, act, submit

    def resident():
        return api("resident1")  # signed in afresh: the clock jumps past a token's life

    def handler():
        return api("handler-lighting")

    with freeze_time(T0) as clock:
        verified, unverified = submit(resident())["id"], submit(resident())["id"]
        for rid in (verified, unverified):
            clock.move_to(T0 + timedelta(hours=1))
            for level in ["community", "street", "district"]:
                ok(act(api(DISPATCHERS[level]), rid, "accept"))
                ok(act(api(DISPATCHERS[level]), rid, "escalate", note="上报"))
                clock.tick(timedelta(hours=1))
            ok(act(api("dispatcher-city"), rid, "accept"))
            ok(act(api("dispatcher-city"), rid, "dispatch", department=lighting().pk))
            ok(act(handler(), rid, "start"))
            ok(act(handler(), rid, "resolve", note="修好了",
                   photo_ids=[uploaded_photo_id(handler())]))
        clock.move_to(T0 + timedelta(days=1))
        ok(act(resident(), verified, "reopen", note="还是不亮"))
        ok(act(handler(), verified, "start"))
        ok(act(handler(), verified, "resolve", note="换了",
               photo_ids=[uploaded_photo_id(handler())]))
        clock.move_to(T0 + timedelta(days=2))
        ok(act(resident(), verified, "verify"))
        clock.move_to(T0 + timedelta(days=30))
        assert supervision.close_unverified() == 1

    facts = timeline_facts(verified, unverified)
    assert facts == {
        verified: (T0 + timedelta(hours=1), T0 + timedelta(days=2), True),
        unverified: (T0 + timedelta(hours=1), T0 + timedelta(days=30), False)}

    Report.objects.update(accepted_at=None, closed_at=None, reopened=False)
    importlib.import_module("gridapp.migrations.0015_report_timeline_facts").fill(
        Report, ReportEvent)
    assert timeline_facts(verified, unverified) == facts
    Report.objects.filter(pk=verified).update(closed_at=None, reopened=False)
    call_command("fill_report_facts", "timeline", stdout=io.StringIO())  # after a release
    assert timeline_facts(verified, unverified) == facts


def timeline_facts(*ids: int) -> dict[int, tuple]:
    rows = Report.objects.filter(pk__in=ids).values_list("pk", "accepted_at", "closed_at",
                                                         "reopened")
    return {pk: tuple(facts) for pk, *facts in rows}
