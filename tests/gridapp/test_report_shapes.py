"""The report's JSON is written out by hand for speed (`ReportSerializer.to_representation`
and the serializers it nests: docs/performance.md). The declared fields are the contract
and the schema; these tests hold the hand-written dicts equal to DRF's own walk over
those declarations, for reports of every shape and readers of every role."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from gridapp.api.serializers import reports as s
from gridapp.models import Report
from gridapp.selectors.reports import with_details

from .photos_support import camera_exif, jpeg_bytes, uploaded_photo_id
from .workflow_support import act, lighting, ok, submit


pytestmark = pytest.mark.usefixtures("media")
T0 = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
HAND_WRITTEN = [s.ReportSerializer, s.ReportDetailSerializer, s.ReportCreatedSerializer,
                s.TimelineEventSerializer, s.PhotoSerializer]
READERS = ["resident1", "leader5", "dispatcher-community", "dispatcher-city",
           "handler-lighting", "handler-enforcement"]


def drf_walk(monkeypatch) -> None:
    """From here on, DRF serializes the declared fields itself."""
    for serializer in HAND_WRITTEN:
        monkeypatch.delattr(serializer, "to_representation")


@pytest.fixture
def shapes(api) -> dict[str, int]:
    """Reports in the states whose fields differ: new with a geotagged photo, hotline
    with a caller, dispatched with an extension asked, resolved with an after photo,
    closed and rated, merged into another."""
    with freeze_time(T0, tick=True) as clock:
        resident, community = api("resident1"), api("dispatcher-community")
        handler = api("handler-lighting")
        geotagged = uploaded_photo_id(resident, jpeg_bytes(exif=camera_exif()))
        new = submit(resident, photo_ids=[geotagged], address="黄海路 5 号")["id"]
        hotline = submit(api("dispatcher-city"), source="hotline",
                         caller={"name": "王先生", "phone": "13800000000"})["id"]

        def dispatched() -> int:
            rid = submit(resident)["id"]
            ok(act(community, rid, "accept"))
            ok(act(community, rid, "dispatch", department=lighting().pk))
            return rid

        extension = dispatched()
        ok(act(handler, extension, "request-extension", hours=24, note="等配件"))
        resolved, rated = dispatched(), dispatched()
        for rid in (resolved, rated):
            ok(act(handler, rid, "start"))
            ok(act(handler, rid, "resolve", note="换了灯泡",
                   photo_ids=[uploaded_photo_id(handler)]))
        ok(act(resident, rated, "verify"))
        ok(resident.post(f"/api/v1/reports/{rated}/rating/", {"score": 4, "comment": "还行"},
                         format="json"), 201)
        merged = submit(resident)["id"]
        ok(act(community, merged, "merge", duplicate_of=new))
        clock.move_to(T0 + timedelta(days=4))  # the dispatched ones are overdue by now
    return {"new": new, "hotline": hotline, "extension": extension, "resolved": resolved,
            "rated": rated, "merged": merged}


def readings(api, shapes: dict[str, int]) -> dict[tuple[str, str], object]:
    """What every reader gets from the list and from each report's detail."""
    got = {}
    with freeze_time(T0 + timedelta(days=4)):
        for username in READERS:
            client = api(username)
            got[username, "list"] = ok(client.get("/api/v1/reports/?page_size=50"))
            for name, rid in shapes.items():
                response = client.get(f"/api/v1/reports/{rid}/")
                got[username, name] = response.json() if response.status_code == 200 else 404
    return got


def test_the_hand_written_reports_equal_drfs_walk_over_the_declared_fields(
        api, shapes, monkeypatch):
    by_hand = readings(api, shapes)
    drf_walk(monkeypatch)
    assert readings(api, shapes) == by_hand
    listed = {row["id"] for row in by_hand["dispatcher-city", "list"]["results"]}
    assert listed == set(shapes.values())  # every shape was compared in a list too
    every = [value for value in by_hand.values() if isinstance(value, dict) and "timeline"
             in value]  # the details
    assert {d["id"] for d in every} == set(shapes.values())
    # the shapes really differ where a hand-written field could go wrong
    assert any(d["rating"] for d in every) and any(d["caller"] for d in every)
    assert any(d["extension"] for d in every) and any(d["duplicate_of"] for d in every)
    assert any(p["gps"] for d in every for p in d["photos"]["before"])
    assert any(d["photos"]["after"] for d in every)
    assert {d["traffic_light"] for d in every} >= {None, "red"}


def test_the_created_report_equals_drfs_walk(api, monkeypatch):
    with freeze_time(T0):
        first = submit(api("resident1"))["id"]
        report = with_details(Report.objects.filter(pk=first)).get()
        context = {"possible_duplicates": [], "show_flags": True}
        by_hand = s.ReportCreatedSerializer(report, context=context).data
        drf_walk(monkeypatch)
        assert s.ReportCreatedSerializer(report, context=context).data == by_hand
