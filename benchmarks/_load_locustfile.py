"""The simulated mini-program users of benchmarks/load.py (not run on its own by `make bench`:
load.py starts the stack, prepares the users and runs locust on this file).

- `PingUser`: `GET /api/v1/ping` and nothing else, the framework's ceiling.
- `MemberUser`: what a grid member or leader does in the mini-program, by weight: 70 %
  reads (their report list 25, a report's detail 25, the map of open reports around their
  grid 20), 20 % filing a report (with the photo they uploaded last, if any), 10 %
  uploading a photo.

Each user takes the next prepared account from LOAD_USERS_FILE (JSON written by load.py:
access token, their grid's box, ids of reports they can see). LOAD_PACE, requests per
second per user, paces a MemberUser on a timetable of its own (a late answer does not
push the next request back); unset, it sends its next request as soon as the last one is
answered (the saturation phases).
"""

import itertools
import json
import os
import random
import time
import uuid

import gevent
from locust import FastHttpUser, constant, task

USERS = json.loads(open(os.environ["LOAD_USERS_FILE"], encoding="utf-8").read())
PHOTO = open(os.environ["LOAD_PHOTO_FILE"], "rb").read()
PACE = float(os.environ.get("LOAD_PACE") or 0)
CATEGORIES = ["streetlight", "clutter", "flying-wire", "illegal-building", "other"]
OPEN = "submitted,accepted,dispatched,in_progress"
DESCRIPTIONS = ["路灯不亮，整条巷子很黑", "楼道堆满杂物，堵住消防通道", "电动车飞线充电",
                "楼顶私搭铁皮房", "井盖松动，有人差点摔倒"]
KNOWN_MAX = 200  # report ids a user remembers for detail reads
_next_account = itertools.count()


class Account(FastHttpUser):
    abstract = True
    # Sync gunicorn workers close every connection; nothing to gain from a big pool.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        me = USERS[next(_next_account) % len(USERS)]
        self.auth = {"Authorization": f"Bearer {me['token']}"}
        self.box = me["grid"]  # [min_lat, min_lng, max_lat, max_lng]
        self.known = list(me["report_ids"])[-KNOWN_MAX:]
        self.photos: list[int] = []


class PingUser(Account):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        self.client.get("/api/v1/ping", headers=self.auth, name="GET /ping (baseline)")


def paced(user: "MemberUser") -> float:
    """Each user keeps its own timetable, one request every 1/PACE s from a random start.
    (locust's constant_throughput counts its first period from the user's spawn, so
    200 users spawned together would all fire again at the same instant.)"""
    user.next_at += 1 / PACE
    return max(0.0, user.next_at - time.monotonic())


class MemberUser(Account):
    wait_time = paced if PACE else constant(0)

    def on_start(self) -> None:
        super().on_start()
        if PACE:
            gevent.sleep(random.uniform(0, 1 / PACE))
            self.next_at = time.monotonic()

    @task(25)
    def report_list(self) -> None:
        with self.client.get("/api/v1/reports/", headers=self.auth, name="GET /reports/",
                             catch_response=True) as response:
            if response.status_code == 200:
                self._remember(row["id"] for row in response.json()["results"])

    @task(25)
    def report_detail(self) -> None:
        if not self.known:
            return self.report_list()
        self.client.get(f"/api/v1/reports/{random.choice(self.known)}/", headers=self.auth,
                        name="GET /reports/{id}/")

    @task(20)
    def map_reports(self) -> None:
        min_lat, min_lng, max_lat, max_lng = self.box
        # The viewport: the member's grid and a grid's width around it.
        pad = 0.002
        bbox = f"{min_lng - pad},{min_lat - pad},{max_lng + pad},{max_lat + pad}"
        self.client.get(f"/api/v1/map/reports.geojson?bbox={bbox}&status={OPEN}",
                        headers=self.auth, name="GET /map/reports.geojson")

    @task(20)
    def file_report(self) -> None:
        lat, lng = self._point()
        body = {"category": random.choice(CATEGORIES), "description": random.choice(DESCRIPTIONS),
                "lat": lat, "lng": lng, "address": "黄海路", "photo_ids": self.photos[-1:]}
        self.photos.clear()
        with self.client.post("/api/v1/reports/", json=body, name="POST /reports/",
                              headers={**self.auth, "Idempotency-Key": uuid.uuid4().hex},
                              catch_response=True) as response:
            if response.status_code == 201:
                self._remember([response.json()["id"]])

    @task(10)
    def upload_photo(self) -> None:
        lat, lng = self._point()
        with self.client.post("/api/v1/photos/", headers=self.auth, name="POST /photos/",
                              files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
                              data={"lat": f"{lat:.6f}", "lng": f"{lng:.6f}"},
                              catch_response=True) as response:
            if response.status_code == 201:
                self.photos.append(response.json()["id"])

    def _point(self) -> tuple[float, float]:
        min_lat, min_lng, max_lat, max_lng = self.box
        margin = 0.0001  # off the boundary: a point on an edge belongs to the neighbour
        return (round(random.uniform(min_lat + margin, max_lat - margin), 6),
                round(random.uniform(min_lng + margin, max_lng - margin), 6))

    def _remember(self, ids) -> None:
        self.known.extend(ids)
        del self.known[:-KNOWN_MAX]
