"""Examples for the schema (/api/docs/): the demo world of docs/demo.md as a client sees it.
One request and one answer per operation; values are the shapes the serializers produce."""

from drf_spectacular.utils import OpenApiExample

USER = {"id": 12, "display_name": "王网格长", "phone_masked": "138****0001"}
PHOTO = {"id": 31, "url": "/media/photos/2026/11/26/5f1c.jpg",
         "thumbnail_url": "/media/photos/2026/11/26/5f1c-thumb.jpg", "width": 1600,
         "height": 1200, "taken_at": "2026-11-26T10:21:00+08:00",
         "gps": {"lat": 30.2741, "lng": 120.1551}, "kind": "before",
         "content_type": "image/jpeg",
         "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
         "created_at": "2026-11-26T10:22:03+08:00"}
REPORT = {
    "id": 41, "number": "BH20261126000123", "status": "submitted", "level": "community",
    "category": 7, "category_code": "ENV-RUBBISH", "category_name": "环境卫生 / 垃圾堆放",
    "description": "小区东门垃圾堆放三天未清运", "address": "湖滨路 12 号东门",
    "lat": 30.2741, "lng": 120.1551, "grid": 3, "grid_code": "HHL-01", "reporter": USER,
    "source": "miniprogram", "urgent": False, "department": None, "department_name": None,
    "due_at": "2026-11-27T10:22:05+08:00", "duplicate_of": None,
    "thumbnail_url": PHOTO["thumbnail_url"], "photo_count": 1,
    "created_at": "2026-11-26T10:22:05+08:00", "updated_at": "2026-11-26T10:22:05+08:00",
    "flags": None, "suggested_department": 2, "suggested_department_name": "湖滨街道城管科",
    "sla_started_at": "2026-11-26T10:22:05+08:00", "traffic_light": "green",
    "overdue": False, "supervised_at": None, "resolved_at": None, "rating": None,
    "actions": [], "accept_due_at": "2026-11-27T10:22:05+08:00",
    "deadline_at": "2026-12-11T10:22:05+08:00",
}
TIMELINE = [{"action": "submit", "actor": USER, "from_status": None,
             "to_status": "submitted", "level": "community", "note": "",
             "at": "2026-11-26T10:22:05+08:00"}]
REPORT_DETAIL = {**REPORT, "suggestion_evidence": None, "photos": {"before": [PHOTO], "after": []},
                 "timeline": TIMELINE, "project": None, "caller": None, "extension": None}
DISPATCHED = {**REPORT_DETAIL, "status": "dispatched", "department": 2,
              "department_name": "湖滨街道城管科", "actions": ["start", "return", "escalate"]}

CREATE_REPORT = [
    OpenApiExample("a report with one photo", request_only=True, value={
        "category": "ENV-RUBBISH", "description": "小区东门垃圾堆放三天未清运",
        "lat": 30.2741, "lng": 120.1551, "address": "湖滨路 12 号东门", "photo_ids": [31],
        "urgent": False}),
    OpenApiExample("created", response_only=True, status_codes=["201"],
                   value={**REPORT_DETAIL, "possible_duplicates": [
                       {"id": 38, "number": "BH20261125000117", "distance_m": 42.5}]}),
]
REPORT_LIST = [OpenApiExample("a page of reports", response_only=True, value=REPORT)]
REPORT_READ = [OpenApiExample("a submitted report", response_only=True, value=REPORT_DETAIL)]
DISPATCH = [
    OpenApiExample("to the suggested department", request_only=True, value={}),
    OpenApiExample("to a department by code", request_only=True,
                   value={"department": "HBJD-CG", "note": "请尽快清运"}),
    OpenApiExample("dispatched", response_only=True, value=DISPATCHED),
]
UPLOAD_PHOTO = [
    OpenApiExample("a photo with its point", request_only=True, media_type="multipart/form-data",
                   value={"file": "(binary JPEG)", "lat": 30.2741, "lng": 120.1551}),
    OpenApiExample("stored", response_only=True, status_codes=["201"], value=PHOTO),
]
ME_ANSWER = {**USER, "roles": [{"role": "leader", "grid": 3, "grid_code": "HHL-01"}],
             "memberships": [{"grid": 3, "grid_code": "HHL-01", "role": "leader",
                              "status": "active"}]}
ME = [OpenApiExample("a grid leader", response_only=True, value=ME_ANSWER)]
UPDATE_ME = [
    OpenApiExample("a new display name", request_only=True, value={"display_name": "王网格长"}),
    OpenApiExample("renamed", response_only=True, value=ME_ANSWER),
]

GRID = {"id": 3, "code": "HHL-01", "name": "黄海路第1网格", "community": 7,
        "community_name": "黄海路社区", "leader": USER, "member_count": 6,
        "boundary": {"type": "Polygon", "coordinates": [[
            [109.1100, 21.4800], [109.1120, 21.4800], [109.1120, 21.4820],
            [109.1100, 21.4820], [109.1100, 21.4800]]]}}
LOCATE = [OpenApiExample("the grid at a point", response_only=True, value=GRID)]
JOIN = [
    OpenApiExample("an invite code from the grid's leader", request_only=True,
                   value={"invite_code": "ABCDEFGHJK", "member_type": "volunteer"}),
    OpenApiExample("asked, waiting for the leader", response_only=True, status_codes=["201"],
                   value={"id": 21, "grid": 3, "user": {**USER, "id": 30,
                                                        "display_name": "李居民"},
                          "member_type": "volunteer", "status": "pending",
                          "created_at": "2026-11-26T10:30:00+08:00", "decided_at": None}),
]
PERFORMANCE = [OpenApiExample("a year with one leader term", response_only=True, value={
    "grid": 3, "year": 2026, "terms": [{
        "term": 4, "leader": 12, "leader_name": "张网格长", "from": "2026-01-01",
        "to": "2026-12-05", "days_served": 339,
        "metrics": {"reports_filed": 42, "resolved_rate": "0.9048", "on_time_rate": "0.8571",
                    "verified_in_window_rate": "0.9500", "rating_mean": "4.60",
                    "reopen_rate": "0.0238", "members_recruited": 5}}]})]


SCORECARD = {
    "id": 7, "department": 2, "department_name": "东街街道综合执法中队", "region": 3,
    "period": "2026-11", "reports": 12, "response_hours_median": "5.50",
    "response_hours_p90": "20.25", "effect_rate": "0.8333", "on_time_rate": "0.9000",
    "rating_mean": "4.40", "returns": 1, "reopens": 1, "quadrant": "A",
    "too_few_reports": False, "version": 1, "published_at": "2026-12-01T02:00:00+08:00"}
SCORECARDS = [OpenApiExample("a street's scorecards", response_only=True, value={
    "results": [SCORECARD, {**SCORECARD, "id": 8, "department": 1,
                            "department_name": "北海市照明管理处", "reports": 2,
                            "quadrant": None, "too_few_reports": True}],
    "next": None})]
PUBLISH_SCORECARDS = [
    OpenApiExample("November for 东街街道", request_only=True,
                   value={"period": "2026-11", "region": 3}),
    OpenApiExample("published", response_only=True, status_codes=["201"], value={
        "region": 3, "period": "2026-11", "version": 2,
        "published_at": "2026-12-05T09:30:00+08:00",
        "results": [{**SCORECARD, "version": 2, "published_at": "2026-12-05T09:30:00+08:00"}]}),
]
SCORECARD_REPORTS = [OpenApiExample("the reports behind a scorecard", response_only=True, value={
    "results": [{"report": 41, "number": "BH20261126000123",
                 "dispatched_at": "2026-11-26T11:00:00+08:00",
                 "started_at": "2026-11-26T16:30:00+08:00", "response_hours": "5.50",
                 "effective": True, "on_time": True, "rating": 5, "returns": 0,
                 "reopens": 0}],
    "next": None})]

GRID_LIST = [OpenApiExample("a grid", response_only=True, value=GRID)]
GRID_READ = [OpenApiExample("a grid", response_only=True, value=GRID)]
INVITE = [OpenApiExample("a code valid for 3 days", response_only=True, status_codes=["201"],
                         value={"code": "C7K6JA9PYR", "grid": 3,
                                "expires_at": "2026-11-29T10:30:00+08:00"})]
MEMBERSHIP = {"id": 21, "grid": 3, "user": {"id": 30, "display_name": "李居民",
                                            "phone_masked": "139****0030"},
              "member_type": "volunteer", "status": "pending",
              "created_at": "2026-11-26T10:30:00+08:00", "decided_at": None}
MEMBERS = [OpenApiExample("someone waiting for the leader", response_only=True,
                          value=MEMBERSHIP)]
# One answer for approve / reject / remove: they share a view and take no body.
MEMBERSHIP_DECISION = [OpenApiExample("approved", response_only=True, value={
    **MEMBERSHIP, "status": "active", "decided_at": "2026-11-26T11:02:00+08:00"})]
REGIONS = [OpenApiExample("a community", response_only=True, value={
    "id": 4, "code": "450502001001", "name": "黄海路社区", "level": "community",
    "parent": 3})]
DEPARTMENTS = [OpenApiExample("a city department", response_only=True, value={
    "id": 1, "code": "bh-lighting", "name": "北海市照明管理处", "region": 1})]
CATEGORIES = [OpenApiExample("a category a report may take", response_only=True, value={
    "id": 5, "code": "streetlight", "name": "路灯不亮", "full_name": "市政设施 / 路灯不亮",
    "parent": 1, "sla_hours": {"community": 72, "street": 72, "district": 48, "city": 48},
    "duplicate_radius_m": 100, "reportable": True})]
MAP_GRIDS = [OpenApiExample("one grid's boundary", response_only=True, value={
    "type": "FeatureCollection", "features": [{
        "type": "Feature", "id": 3, "geometry": GRID["boundary"],
        "properties": {"id": 3, "code": "HHL-01", "name": GRID["name"], "community": 7,
                       "community_name": "黄海路社区"}}]})]
MAP_REPORTS = [OpenApiExample("one report's point", response_only=True, value={
    "type": "FeatureCollection", "features": [{
        "type": "Feature", "id": 41,
        "geometry": {"type": "Point", "coordinates": [109.1110, 21.4810]},
        "properties": {"id": 41, "number": REPORT["number"], "status": "submitted",
                       "level": "community", "urgent": False, "category": "streetlight",
                       "category_name": "路灯不亮",
                       "created_at": "2026-11-26T10:22:05+08:00"}}],
    "truncated": False})]


def _moved(title: str, body: dict, **report) -> list[OpenApiExample]:
    """A lifecycle action's request and the report after it."""
    return [OpenApiExample(title, request_only=True, value=body),
            OpenApiExample("the report after", response_only=True,
                           value={**REPORT_DETAIL, **report})]


ACTIONS = {
    "accept": _moved("accepted with a note", {"note": "已受理"}, status="accepted",
                     actions=["dispatch", "escalate"]),
    "start": _moved("on the way", {}, **{**DISPATCHED, "status": "in_progress"}),
    "resolve": _moved("fixed, with an after photo", {"note": "已清运", "photo_ids": [52]},
                      status="resolved", resolved_at="2026-11-26T16:05:00+08:00"),
    "verify": _moved("checked on the spot", {"note": "已核实"}, status="closed"),
    "reopen": _moved("not fixed after all", {"note": "垃圾又堆起来了"}, status="dispatched"),
    "escalate": _moved("beyond the community", {"note": "涉及多个部门，需街道协调"},
                       status="submitted", level="street", department=None,
                       department_name=None),
    "return": _moved("not this department's", {"note": "不属于本部门职责"}, status="accepted",
                     department=None, department_name=None),
    "reject": _moved("not a real problem", {"note": "现场核实无此问题"}, status="rejected"),
    "merge": _moved("the same problem", {"duplicate_of": 38, "note": "同一处垃圾"},
                    status="duplicate", duplicate_of=38),
}
EXTENSION_PENDING = {"hours": 48, "requested_at": "2026-11-27T09:00:00+08:00"}
ACTIONS.update({
    "request-extension": _moved("two more days", {"hours": 48, "note": "需等待配件到货"},
                                **{**DISPATCHED, "extension": EXTENSION_PENDING}),
    "approve-extension": _moved("granted", {"note": "同意延期"},
                                **{**DISPATCHED, "due_at": "2026-11-29T10:22:05+08:00"}),
    "deny-extension": _moved("refused", {"note": "请按期办结"}, **DISPATCHED),
})
RATING = [OpenApiExample("five stars", request_only=True,
                         value={"score": 5, "comment": "处理很快"}),
          OpenApiExample("rated", response_only=True, status_codes=["201"],
                         value={"report": 41, "score": 5, "comment": "处理很快",
                                "at": "2026-11-27T09:00:00+08:00"})]
