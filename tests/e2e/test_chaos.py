"""Chaos on the production shape (issue 11): 1,000 reports from 50 phones on a flaky
network, while Redis is stopped for a while and PostgreSQL restarts under the running
stack. Afterwards: exactly 1,000 reports, every number once, and every message the
outbox wrote delivered to WeChat exactly once.

A phone files its reports one after the other, each with its own Idempotency-Key, and
retries with the same key until it reads an answer: after a dropped response (one
attempt in six gives up reading after a millisecond, as a phone leaving the cell does,
while the server goes on), after a refused or cut connection, after a 5xx, and after
409 `idempotency_key_in_use` (the first attempt still running).
"""

import os
import random
import shlex
import subprocess
import threading
import time
import uuid
from collections import Counter

import psycopg
import pytest
import requests

from .stack import missing_services, running_stack, wait_for
from .test_smoke import HHL05, login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(missing_services()),
                       reason=f"needs PostgreSQL, Redis and S3: missing {missing_services()}"),
    pytest.mark.skipif(not os.environ.get("POSTGRES_RESTART_COMMAND"),
                       reason="needs POSTGRES_RESTART_COMMAND (scripts/services.sh start sets it)"),
]

PHONES, REPORTS_PER_PHONE = 50, 20
REPORTERS = ("resident1", "resident2", "leader5")  # members and the leader of HHL-05
TEMPLATES = {"WECHAT_TEMPLATE_NEW_REPORT": "tmpl-new_report"}


class Phone(threading.Thread):
    def __init__(self, stack, session: requests.Session, seed: int) -> None:
        super().__init__(daemon=True)
        self.stack, self.session, self.rng = stack, session, random.Random(seed)
        self.ids: list[int] = []
        self.retries = Counter()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for n in range(REPORTS_PER_PHONE):
                self.ids.append(self.file(f"路灯不亮 {self.name} #{n}"))
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc

    def file(self, text: str) -> int:
        key, body = uuid.uuid4().hex, {"category": "streetlight", "description": text,
                                       "photo_ids": [], **HHL05}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            dropped = self.rng.random() < 1 / 6
            try:
                response = self.session.post(
                    self.stack.url("/api/v1/reports/"), json=body, headers={"Idempotency-Key": key},
                    timeout=(5, 0.001 if dropped else 30))
            except requests.ReadTimeout:
                self.retries["dropped"] += 1
            except requests.ConnectionError:
                self.retries["connection"] += 1
            else:
                if response.status_code == 201:
                    return response.json()["id"]
                if response.status_code >= 500:
                    self.retries["5xx"] += 1
                elif response.status_code == 409:
                    assert response.json()["code"] == "idempotency_key_in_use", response.text
                    self.retries["in_use"] += 1
                else:
                    raise AssertionError(f"{response.status_code} {response.text}")
            time.sleep(self.rng.uniform(0.05, 0.3))
        raise TimeoutError(f"{text}: no answer within 3 minutes")


@pytest.fixture(scope="module")
def stack():
    with running_stack(extra_env=TEMPLATES) as running:
        yield running


def rows(stack, sql: str, *params) -> list[tuple]:
    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        return conn.execute(sql, params).fetchall()


def test_a_thousand_reports_through_dropped_answers_a_redis_outage_and_a_postgres_restart(
        stack):
    login(stack, "dispatcher-community")  # the recipients get their openids by signing in
    phones = [Phone(stack, login(stack, REPORTERS[i % len(REPORTERS)]), seed=i)
              for i in range(PHONES)]
    for phone in phones:
        phone.start()

    time.sleep(2)
    stack.redis.stop()  # the broker goes away: reports must still be stored, messages wait
    time.sleep(5)
    stack.redis.start()
    time.sleep(2)
    subprocess.run(shlex.split(os.environ["POSTGRES_RESTART_COMMAND"]), check=True, timeout=60)
    for phone in phones:
        phone.join(timeout=300)
    errors = [f"{phone.name}: {phone.error!r}" for phone in phones if phone.error]
    assert not errors, "\n".join(errors) + "\n" + stack.logs()

    ids = [pk for phone in phones for pk in phone.ids]
    retries = sum((phone.retries for phone in phones), Counter())
    assert len(ids) == len(set(ids)) == PHONES * REPORTS_PER_PHONE
    [(reports, numbers)] = rows(stack, "SELECT COUNT(*), COUNT(DISTINCT number) FROM "
                                       "gridapp_report WHERE description LIKE %s", "路灯不亮 %")
    assert reports == numbers == PHONES * REPORTS_PER_PHONE  # none twice, none lost
    assert retries["dropped"] > 0 and retries["connection"] + retries["5xx"] > 0, retries

    # Every message is delivered once: the worker sends what it can, the beat's relay the
    # rest (those queued while Redis was away, those whose task met the restart).
    ours = "n.report_id = ANY(%s)"

    def settled() -> bool:
        return rows(stack, f"SELECT COUNT(*) FROM gridapp_notification n WHERE {ours} "
                           "AND status = 'pending'", ids) == [(0,)]

    wait_for(settled, timeout=300, interval=2,
             what="every notification sent or given up\n" + stack.logs())
    sent = rows(stack, "SELECT u.wechat_openid, r.number FROM gridapp_notification n "
                       "JOIN accounts_user u ON u.id = n.recipient_id "
                       f"JOIN gridapp_report r ON r.id = n.report_id WHERE {ours} "
                       "AND n.status = 'sent'", ids)
    [(not_sent,)] = rows(stack, f"SELECT COUNT(*) FROM gridapp_notification n WHERE {ours} "
                                "AND status <> 'sent'", ids)
    assert not_sent == 0
    # each report tells its grid's leader (unless the leader filed it) and the dispatcher
    assert len(sent) == 2 * PHONES * REPORTS_PER_PHONE - sum(
        len(phone.ids) for i, phone in enumerate(phones) if REPORTERS[i % 3] == "leader5")
    numbers = {number for _openid, number in sent}
    delivered = Counter((m["touser"], m["data"]["character_string1"]["value"])
                        for m in stack.stub_messages()
                        if m["data"]["character_string1"]["value"] in numbers)
    assert delivered == Counter(sent)  # each once: none lost, none twice
