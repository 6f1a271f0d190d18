"""End-to-end smoke test of the production shape, over real HTTP.

gunicorn (2 workers), a Celery worker and beat, PostgreSQL, Redis, the local S3 server
and the WeChat stub all run as real processes (see `stack.py`). The test walks what a
grid member and a dispatcher do on the first day, then takes Redis away mid-flight and
checks that nothing is lost. CI runs it after the unit suites (`make smoke`).
"""

import json
import os
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
import requests

from .stack import missing_services, running_stack, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(missing_services()),
                       reason=f"needs PostgreSQL, Redis and S3: missing {missing_services()}"),
]

PHOTO = Path(__file__).resolve().parents[1] / "gridapp" / "images" / "hopper.jpg"
URL_EXPIRE = 300  # seconds a signed photo URL lives in this test
HHL05 = {"lat": 21.4830, "lng": 109.1130}
TEMPLATES = {f"WECHAT_TEMPLATE_{kind}": f"tmpl-{kind.lower()}"
             for kind in ("NEW_REPORT", "ACCEPTED", "DISPATCHED", "RESOLVED", "CLOSED", "OVERDUE")}


# The replica test below tells on which server a read ran by a parameter in the statement
# text (pg_stat_activity), so this stack binds parameters on the client. The chaos test's
# stack keeps the production default, prepared statements.
CLIENT_SIDE_BINDING = {"DATABASE_PREPARED_STATEMENTS": "0"}


@pytest.fixture(scope="module")
def stack():
    with running_stack(url_expire=URL_EXPIRE,
                       extra_env=TEMPLATES | CLIENT_SIDE_BINDING) as running:
        yield running


def login(stack, username: str) -> requests.Session:
    session = requests.Session()
    response = session.post(stack.url("/api/v1/auth/wechat/login"),
                            json={"code": f"e2e-{username}"}, timeout=10)
    assert response.status_code == 200, response.text
    session.headers["Authorization"] = f"Bearer {response.json()['access']}"
    return session


def file_report(stack, session: requests.Session, category: str, photo_ids: list[int],
                text: str, timeout: float = 10) -> dict:
    key = uuid.uuid4().hex
    body = {"category": category, "description": text, "photo_ids": photo_ids, **HHL05}
    first, retry = (session.post(stack.url("/api/v1/reports/"), timeout=timeout, json=body,
                                 headers={"Idempotency-Key": key}) for _ in range(2))
    assert first.status_code == 201, first.text
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]
    return first.json()


def json_lines(log: Path) -> list[dict]:
    lines = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue  # a library's own plain print
    return lines


def messages_to(stack, openid: str) -> list[dict]:
    return [m for m in stack.stub_messages() if m["touser"] == openid]


def test_a_day_in_production(stack):
    resident = login(stack, "resident1")

    # A photo goes to the object store and comes back through a signed, expiring URL.
    with PHOTO.open("rb") as image:
        upload = resident.post(stack.url("/api/v1/photos/"), files={"file": image},
                               data={"lat": "21.4830", "lng": "109.1130"}, timeout=20)
    assert upload.status_code == 201, upload.text
    photo = upload.json()
    signed = requests.get(photo["url"], timeout=10)
    assert signed.status_code == 200 and signed.content[:2] == b"\xff\xd8"
    # It expires: the local S3 server does not enforce expiry, so check what a real store
    # does enforce, the signed lifetime.
    query = parse_qs(urlparse(photo["url"]).query)
    assert query["X-Amz-Expires"] == [str(URL_EXPIRE)] and query["X-Amz-Signature"]

    # The report is filed once, even when the phone retries.
    report = file_report(stack, resident, "streetlight", [photo["id"]], "路灯不亮，整条巷子很黑")
    assert report["status"] == "submitted" and report["number"].startswith("BH")

    # The community's dispatcher accepts it and dispatches it to the lighting office.
    dispatcher = login(stack, "dispatcher-community")
    lighting = next(d for d in dispatcher.get(stack.url("/api/v1/departments/"), timeout=10)
                    .json()["results"] if d["name"] == "北海市照明管理处")
    for action, body in (("accept", {}), ("dispatch", {"department": lighting["id"]})):
        response = dispatcher.post(stack.url(f"/api/v1/reports/{report['id']}/{action}/"),
                                   json=body, timeout=10)
        assert response.status_code == 200, response.text

    # The worker delivers "dispatched to you" to the handler through WeChat.
    wait_for(lambda: messages_to(stack, "dev-openid-handler-lighting"), timeout=60,
             what="the dispatch notification at the WeChat stub\n" + stack.logs())

    # ...and logs it as JSON under the id of the request that dispatched it.
    request_id = response.headers["X-Request-ID"]
    wait_for(lambda: any(line.get("request_id") == request_id and "sent" in line["message"]
                         for line in json_lines(stack.logdir / "worker.log")),
             timeout=30, what=f"a worker log line with request id {request_id}\n" + stack.logs())


def test_a_report_filed_while_redis_is_down_is_stored_and_its_notification_sent_later(stack):
    resident = login(stack, "resident2")
    stack.redis.stop()
    try:
        # The request must neither fail nor hang: the 5-second timeout bounds it.
        report = file_report(stack, resident, "flying-wire", [], "楼道里有人飞线充电",
                             timeout=5)
    finally:
        stack.redis.start()
    assert report["status"] == "submitted"

    def about_this_report() -> list[dict]:
        return [m for m in messages_to(stack, "dev-openid-leader5")
                if report["number"] in json.dumps(m, ensure_ascii=False)]

    wait_for(about_this_report, timeout=120,
             what="the leader's notification once Redis is back\n" + stack.logs())
    assert about_this_report()[0]["template_id"] == "tmpl-new_report"


def queries_seen(database_url: str) -> list[str]:
    """The last statement of every session connected to that server's database."""
    name = urlparse(database_url).path.lstrip("/")
    admin = urlparse(database_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = %s", [name])]


@pytest.mark.skipif(not os.environ.get("REPLICA_TEST_URL"),
                    reason="needs a streaming replica: WITH_REPLICA=1 scripts/services.sh start")
def test_maps_and_lists_read_from_the_replica_and_a_writer_reads_their_own_writes(stack):
    """The statements carry their parameters (client-side binding), so a bounding box no
    one else would ask for shows on which server each read ran."""
    resident, dispatcher = login(stack, "resident1"), login(stack, "dispatcher-city")
    photo = resident.post(stack.url("/api/v1/photos/"), timeout=10,
                          files={"file": ("p.jpg", PHOTO.read_bytes(), "image/jpeg")}).json()
    report = file_report(stack, resident, "clutter", [photo["id"]], "读副本的冒烟测试")

    # The resident has just written: pinned to the primary, they find their report at once
    # (and an empty page, whose last statement is the page itself, shows where it ran).
    mine = resident.get(stack.url("/api/v1/reports/"), timeout=10, params={"mine": 1})
    assert report["id"] in [r["id"] for r in mine.json()["results"]]
    resident.get(stack.url("/api/v1/reports/"), timeout=10,
                 params={"mine": 1, "bbox": "0.0,0.0,0.000111,0.000111"}).raise_for_status()
    assert any("0.000111" in q for q in queries_seen(stack.env["DATABASE_URL"]))

    # The dispatcher wrote nothing: their map may be a moment behind, and comes from the replica.
    wait_for(lambda: dispatcher.get(
        stack.url("/api/v1/map/reports.geojson"), timeout=10,
        params={"bbox": "109.0,21.0,110.0,22.000222"}).json()["features"] != [],
        what="the replica to have the report")
    assert any("22.000222" in q for q in queries_seen(stack.env["DATABASE_REPLICA_URL"]))
    assert not any("22.000222" in q for q in queries_seen(stack.env["DATABASE_URL"]))
