"""Load benchmark: the production shape under 200 simulated mini-program users.

    eval "$(scripts/services.sh start)"                     # PostgreSQL, Redis, S3
    .venv/bin/pip install -c constraints.txt -e ".[bench]"  # locust (make bench does it)
    .venv/bin/python benchmarks/load.py

It starts the stack of tests/e2e/stack.py (gunicorn, a Celery worker and beat, PostgreSQL
in a fresh database, a Redis of its own, the S3 server, the WeChat stub), fills it with
a year of history, logs in 200 users over the API and drives them with locust on
loopback, one bounded phase after the other:

1. ceiling: every user calls `GET /api/v1/ping` (a constant JSON through the middleware,
   JWT authentication and DRF) as fast as it is answered;
2. mix: every user does what a member does in the mini-program (benchmarks/
   _load_locustfile.py: 70 % reads, 20 % new reports, 10 % photo uploads), as fast as
   it is answered;
3. paced: the same mix at fractions (--paced) of the throughput phase 2 measured, spread
   evenly over the 200 users, one phase per fraction: the latency at loads the machine
   can carry, and the highest of them with p95 under 200 ms.

For each phase: requests per second, p50/p95/p99 latency, failures, and the CPU seconds
each process of the stack used (the load generator shares the two cores). Without
PostgreSQL, Redis, S3 or locust it says what is missing and exits 0, so that `make bench`
runs elsewhere. docs/performance.md records the figures, docs/deploy.md the capacity
they imply.
"""

import argparse
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCUSTFILE = ROOT / "benchmarks" / "_load_locustfile.py"
SEED_FLAG = "--seed-stack-database"
IMAGE_FLAG = "--image-work"
TARGET_RATIO, TARGET_P95_MS = 0.40, 200
TEMPLATES = {f"WECHAT_TEMPLATE_{kind}": f"tmpl-{kind.lower()}"
             for kind in ("NEW_REPORT", "ACCEPTED", "DISPATCHED", "RESOLVED", "CLOSED", "OVERDUE")}
# DEMO.md's leaders and residents, with the grid each leads or belongs to.
DEMO_USERS = {**{f"leader{k}": f"HHL-0{k}" for k in range(1, 10)},
              "leader10": "HPL-01", "leader11": "HPL-02",
              "resident1": "HHL-05", "resident2": "HHL-05", "resident3": "HPL-01"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated users")
    parser.add_argument("--duration", type=int, default=60, help="seconds per phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--history", type=int, default=10_000,
                        help="reports of the past year in the database before the run")
    parser.add_argument("--paced", default="0.25,0.5,0.75",
                        help="offered loads of the paced phases, as fractions of the mix "
                             "phase's throughput")
    parser.add_argument("--cost-requests", type=int, default=100,
                        help="requests per endpoint, one at a time, for the cost table")
    parser.add_argument("--costs-only", action="store_true",
                        help="stop after the cost table (no load phases)")
    parser.add_argument("--nice", type=int, default=0, metavar="N",
                        help="run the stack's processes and the load generator at this "
                             "niceness (e.g. -10, as root) so that other work on a shared "
                             "machine disturbs the figures less")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="sample the gunicorn workers with py-spy during the mix phase "
                             "into FILE (collapsed stacks, for flamegraph.pl or speedscope)")
    return parser.parse_args()


# --- preparing the stack's database (runs in a child process with the stack's settings) ---

def seed_stack_database(users: int, history: int, seed: int) -> None:
    """Members for the simulated users beyond the demo's, and `history` past reports in
    the simulated users' grids; prints each user's grid box and visible report ids."""
    import django

    django.setup()
    from django.db import connection, transaction

    with transaction.atomic():
        accounts = _members(users)
        visible = _history(accounts, history, random.Random(seed))
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would
        cursor.execute("ANALYZE")
    print(json.dumps([{"name": name, "grid": box, "report_ids": visible[name]}
                      for name, box in accounts.items()]))


def image_work(path: str, count: int) -> None:
    """The photo pipeline alone (`gridapp.images.process`: sniffing, decoding, EXIF, the
    stored image and its thumbnail encoded, SHA-256) on the mix's photo, `count` times in
    this process: prints the CPU ms per photo, the baseline of an upload's cost."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridapp import images

    data = Path(path).read_bytes()
    images.process(SimpleUploadedFile("photo.jpg", data, "image/jpeg"))  # warm
    started = time.process_time()
    for _i in range(count):
        images.process(SimpleUploadedFile("photo.jpg", data, "image/jpeg"))
    print(1000 * (time.process_time() - started) / count)


def measure_image_work(stack, path: str, count: int) -> float:
    return float(run_self(stack, IMAGE_FLAG, path, count))


def run_self(stack, flag: str, *args) -> str:
    """This script run again with `flag` in a process of its own, with Django set up
    against the stack's database and settings: its output."""
    env = stack.env | {"DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run([sys.executable, __file__, flag, *map(str, args)], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout


def _members(users: int) -> dict[str, list[float]]:
    """username → the box of their grid: the demo's leaders and residents, then members
    bench001… spread over the demo grids round-robin."""
    from django.utils import timezone

    from accounts.models import User
    from accounts.wechat import dev_openid
    from gridapp.models import Grid, GridMembership

    grids = {g.code: g for g in Grid.objects.order_by("code")}
    names = dict(list(DEMO_USERS.items())[:users])
    codes = sorted(grids)
    for i in range(users - len(names)):
        name, grid = f"bench{i + 1:03d}", grids[codes[i % len(codes)]]
        user = User.objects.create(username=name, display_name=name,
                                   wechat_openid=dev_openid(name))
        GridMembership.objects.create(grid=grid, user=user, member_type="volunteer",
                                      status="active", decided_at=timezone.now())
        names[name] = grid.code
    return {name: [grids[code].min_lat, grids[code].min_lng, grids[code].max_lat,
                   grids[code].max_lng] for name, code in names.items()}


def _history(accounts: dict[str, list[float]], count: int, rng: random.Random) -> dict:
    """A year of reports, each with a photo and its submit event, bulk-inserted."""
    from accounts.models import User
    from gridapp.models import Category, Grid, Photo, Report, ReportEvent

    users = {u.username: u for u in User.objects.filter(username__in=accounts)}
    grids = list(Grid.objects.select_related("community"))
    categories = list(Category.objects.filter(children__isnull=True, active=True))
    numbers: dict = {}
    reports = Report.objects.bulk_create([
        _past_report(rng, users[name], accounts[name], grids, categories, numbers)
        for name in (rng.choice(list(accounts)) for _i in range(count))])
    ReportEvent.objects.bulk_create([ReportEvent(
        report=r, action="submit", actor_id=r.reporter_id, to_status="submitted",
        level="community", at=r.created_at) for r in reports])
    Photo.objects.bulk_create([Photo(
        owner_id=r.reporter_id, report=r, kind="before", image=f"photos/h/{r.number}.jpg",
        thumbnail=r.thumbnail_name, content_type="image/jpeg", width=1280,
        height=960, original_format="JPEG", original_bytes=150_000, sha256="0" * 64)
        for r in reports])
    return _visible_ids(accounts, reports, users)


def _past_report(rng: random.Random, reporter, box: list[float], grids: list,
                 categories: list, numbers: dict):
    """One report 1–365 days old at a point in the reporter's grid: older than a month
    it is closed (or rejected), younger it may be at any step. Numbers count per day, on
    days before today, so they never meet the ones the run creates."""
    from django.conf import settings
    from django.utils import timezone

    from gridapp.models import Report

    min_lat, min_lng, max_lat, max_lng = box
    lat = rng.uniform(min_lat + 1e-4, max_lat - 1e-4)
    lng = rng.uniform(min_lng + 1e-4, max_lng - 1e-4)
    grid = next(g for g in grids if g.min_lat <= lat <= g.max_lat and g.min_lng <= lng <= g.max_lng)
    created = timezone.now() - timedelta(days=rng.uniform(1, 365))
    day = timezone.localdate(created)
    numbers[day] = numbers.get(day, 0) + 1
    status = (rng.choice(["closed"] * 8 + ["rejected"]) if (timezone.localdate() - day).days > 30
              else rng.choice(["submitted", "accepted", "dispatched", "in_progress", "resolved",
                               "closed"]))
    number = f"{settings.REPORT_NUMBER_PREFIX}{day:%Y%m%d}{numbers[day]:06d}"
    return Report(number=number, reporter=reporter, category=rng.choice(categories),
                  description="路灯不亮", lat=lat, lng=lng, grid=grid,
                  region_code=grid.community.code, status=status, content_check="pass",
                  created_at=created, photo_count=1, thumbnail_name=f"photos/h/{number}_t.jpg")


def _visible_ids(accounts: dict, reports: list, users: dict) -> dict[str, list[int]]:
    """What each user may open: their own reports, and a leader their grid's too."""
    from gridapp.models import Grid

    by_grid: dict[int, list[int]] = {}
    by_reporter: dict[int, list[int]] = {}
    for r in reports:
        by_grid.setdefault(r.grid_id, []).append(r.pk)
        by_reporter.setdefault(r.reporter_id, []).append(r.pk)
    grid_ids = dict(Grid.objects.values_list("code", "pk"))
    visible = {}
    for name in accounts:
        own = by_reporter.get(users[name].pk, [])
        led = by_grid.get(grid_ids[DEMO_USERS[name]], []) if name.startswith("leader") else []
        visible[name] = sorted(set(own) | set(led))[-200:]
    return visible


# --- the run -----------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    percentiles: dict[int, float] = field(default_factory=dict)
    endpoints: list[tuple[str, int, int, dict]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    offered: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def missing() -> list[str]:
    from tests.e2e.stack import missing_services

    gone = missing_services()
    if not (Path(sys.executable).parent / "locust").exists():
        gone.append('locust (pip install -c constraints.txt -e ".[bench]")')
    return gone


def prepare(stack, args: argparse.Namespace) -> list[dict]:
    """Seed the database, then log every simulated user in through the API."""
    accounts = json.loads(run_self(stack, SEED_FLAG, args.users, args.history, args.seed))
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda a: _login(stack, a["name"]), accounts))
    return [a | {"token": t} for a, t in zip(accounts, tokens)]


def _login(stack, name: str) -> str:
    import requests

    response = requests.post(stack.url("/api/v1/auth/wechat/login"),
                             json={"code": f"e2e-{name}"}, timeout=30)
    response.raise_for_status()
    return response.json()["access"]


def photo_bytes(seed: int) -> bytes:
    """A 1280 × 960 JPEG of about 100 KB: what wx.chooseMedia sends with sizeType
    'compressed' (a 12-megapixel original costs ~55 ms more to process: performance.md)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    image = Image.radial_gradient("L").resize((1280, 960)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _i in range(300):
        x, y = rng.randrange(1280), rng.randrange(960)
        draw.rectangle([x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 80)],
                       fill=tuple(rng.randrange(256) for _c in range(3)))
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1)).save(out, "JPEG", quality=85)
    return out.getvalue()


def run_phase(stack, name: str, user_class: str, args: argparse.Namespace, files: dict,
              *, users: int, seconds: int, pace: float | None = None) -> Phase:
    workdir = stack.logdir
    stats_file = workdir / f"locust-{name}.json"
    env = os.environ | files | {"LOAD_PACE": str(pace or "")}
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE),
               "--headless", "--host", stack.base_url, "--users", str(users),
               "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--reset-stats",
               "--stop-timeout", "10", "--only-summary", "--skip-log",
               "--json-file", str(stats_file.with_suffix("")), user_class]
    with (workdir / f"locust-{name}.log").open("wb") as log:
        cpu = CpuMeter(stack)
        locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        if args.nice:
            prioritize([*cpu.our_processes(), locust.pid], args.nice)
        profiler = profile(stack, args.profile, seconds) if args.profile and name == "mix" else None
        locust.wait(timeout=seconds + 120)
        used = cpu.stop()
        if profiler:
            profiler.wait(timeout=60)
    phase = summarize(name, json.loads(stats_file.read_text()))
    phase.cpu, phase.offered = used, pace * users if pace else None
    return phase


def summarize(name: str, entries: list[dict]) -> Phase:
    phase = Phase(name)
    histogram: dict[int, int] = {}
    start, end = float("inf"), 0.0
    for entry in entries:
        phase.requests += entry["num_requests"]
        phase.failures += entry["num_failures"]
        times = {int(ms): n for ms, n in entry["response_times"].items()}
        for ms, n in times.items():
            histogram[ms] = histogram.get(ms, 0) + n
        start = min(start, entry["start_time"])
        end = max(end, entry["last_request_timestamp"] or 0)
        phase.endpoints.append((entry["name"], entry["num_requests"], entry["num_failures"],
                                percentiles(times)))
    phase.seconds = max(end - start, 1e-9)
    phase.percentiles = percentiles(histogram)
    return phase


def percentiles(histogram: dict[int, int], points=(50, 95, 99)) -> dict[int, float]:
    """From locust's histogram (milliseconds rounded to 2 significant digits above 100)."""
    total = sum(histogram.values())
    result, seen = {}, 0
    wanted = sorted(points)
    for ms in sorted(histogram):
        seen += histogram[ms]
        while wanted and seen >= total * wanted[0] / 100:
            result[wanted.pop(0)] = ms
    return result


def profile(stack, output: Path, seconds: int) -> subprocess.Popen:
    """py-spy samples every gunicorn worker for the phase (it needs ptrace: root, or
    kernel.yama.ptrace_scope=0). Its own CPU lands in the next phase's generator figure."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--pid",
         str(stack.processes["gunicorn"].pid), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--output", str(output.resolve())],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prioritize(pids: list[int], niceness: int) -> None:
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
        except (ProcessLookupError, PermissionError):
            pass  # gone meanwhile, or not ours to raise: measured as it is


class CpuMeter:
    """CPU seconds used by each part of the stack between start and stop, and by the
    whole machine (the rest is other people's work on the same cores)."""

    def __init__(self, stack) -> None:
        import psutil

        self.psutil = psutil
        database = urlparse(stack.env["DATABASE_URL"]).path.lstrip("/")
        self.roots = {"gunicorn": stack.processes["gunicorn"].pid,
                      "celery worker+beat": [stack.processes["worker"].pid,
                                             stack.processes["beat"].pid],
                      "wechat stub": stack.processes["wechat-stub"].pid,
                      "redis": stack.redis.process.pid}
        self.database = database
        self.before = self._sample()
        self.machine_before = psutil.cpu_times()
        # locust is our child: it has exited by the time we stop, so count it as such.
        self.children_before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def our_processes(self) -> list[int]:
        """The processes of this stack (not the shared S3 server)."""
        return [p.pid for group, processes in self._processes().items()
                if group != "S3 server (moto)" for p in processes]

    def _processes(self) -> dict[str, list]:
        groups: dict[str, list] = {}
        for group, pids in self.roots.items():
            for pid in pids if isinstance(pids, list) else [pids]:
                try:
                    root = self.psutil.Process(pid)
                    groups.setdefault(group, []).extend([root, *root.children(recursive=True)])
                except self.psutil.NoSuchProcess:
                    pass
        for process in self.psutil.process_iter(["name", "cmdline"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if process.info["name"] == "postgres" and f" {self.database} " in f" {cmdline} ":
                groups.setdefault("postgres (this database)", []).append(process)
            elif "moto" in cmdline and "python" in cmdline.split(" ")[0]:
                groups.setdefault("S3 server (moto)", []).append(process)
        return groups

    def _sample(self) -> dict[tuple[str, int], float]:
        sample = {}
        for group, processes in self._processes().items():
            for process in processes:
                try:
                    times = process.cpu_times()
                    sample[(group, process.pid)] = times.user + times.system
                except self.psutil.NoSuchProcess:
                    pass
        return sample

    def stop(self) -> dict[str, float]:
        after = self._sample()
        used: dict[str, float] = {}
        for (group, pid), seconds in after.items():
            used[group] = used.get(group, 0.0) + seconds - self.before.get((group, pid), 0.0)
        machine = self.psutil.cpu_times()
        idle = (machine.idle + machine.iowait) - (self.machine_before.idle + self.machine_before.iowait)
        total = sum(machine) - sum(self.machine_before)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used["locust (load generator)"] = (children.ru_utime + children.ru_stime
                                           - self.children_before.ru_utime
                                           - self.children_before.ru_stime)
        used["whole machine"] = total - idle
        return used


def stack_errors(logdir: Path) -> list[str]:
    """ERROR lines and tracebacks in the logs of the stack's processes (not locust's)."""
    return [line for log in sorted(logdir.glob("*.log")) if not log.name.startswith("locust")
            for line in log.read_text(errors="replace").splitlines()
            if '"level": "ERROR"' in line or "Traceback" in line or "[ERROR]" in line]


COST_PARTS = {"gunicorn": "web", "postgres (this database)": "PostgreSQL",
              "celery worker+beat": "Celery", "S3 server (moto)": "S3",
              "wechat stub": "WeChat stub"}


def endpoint_costs(stack, account: dict, photo: bytes, count: int) -> dict[str, dict]:
    """Each endpoint of the mix `count` times, one request at a time: wall time and the
    CPU each part of the stack spent per request, free of queueing."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {account['token']}"
    min_lat, min_lng, max_lat, max_lng = account["grid"]
    lat, lng = (min_lat + max_lat) / 2, (min_lng + max_lng) / 2
    report_id = account["report_ids"][-1]
    bbox = f"{min_lng - 0.002},{min_lat - 0.002},{max_lng + 0.002},{max_lat + 0.002}"
    calls = {
        "GET /ping": lambda: session.get(stack.url("/api/v1/ping")),
        "GET /reports/": lambda: session.get(stack.url("/api/v1/reports/")),
        "GET /reports/{id}/": lambda: session.get(stack.url(f"/api/v1/reports/{report_id}/")),
        "GET /map/reports.geojson": lambda: session.get(stack.url(
            f"/api/v1/map/reports.geojson?bbox={bbox}&status=submitted,accepted,dispatched,in_progress")),
        "POST /reports/": lambda: session.post(
            stack.url("/api/v1/reports/"), headers={"Idempotency-Key": os.urandom(8).hex()},
            json={"category": "streetlight", "description": "路灯不亮", "lat": lat, "lng": lng,
                  "photo_ids": []}),
        "POST /photos/": lambda: session.post(
            stack.url("/api/v1/photos/"), files={"file": ("photo.jpg", photo, "image/jpeg")}),
    }
    costs = {}
    for name, call in calls.items():
        assert call().status_code in (200, 201)  # warm
        walls = []
        meter = CpuMeter(stack)
        for _i in range(count):
            started = time.perf_counter()
            response = call()
            walls.append(1000 * (time.perf_counter() - started))
            assert response.status_code in (200, 201), (name, response.status_code, response.text[:300])
        time.sleep(0.5)  # let the Celery worker finish what the requests queued
        used = meter.stop()
        costs[name] = {"wall_ms": sorted(walls)[len(walls) // 2]} | {
            part: 1000 * used.get(group, 0.0) / count for group, part in COST_PARTS.items()}
    return costs


def print_costs(costs: dict[str, dict], count: int, image_ms: float) -> None:
    print(f"\none request at a time, {count} of each: median wall ms and CPU ms per request")
    parts = list(COST_PARTS.values())
    print(f"  {'endpoint':<26} {'wall':>6}" + "".join(f" {p:>11}" for p in parts))
    for name, cost in costs.items():
        print(f"  {name:<26} {cost['wall_ms']:>6.1f}"
              + "".join(f" {cost[p]:>11.2f}" for p in parts))
    weights = {"GET /reports/": 25, "GET /reports/{id}/": 25, "GET /map/reports.geojson": 20,
               "POST /reports/": 20, "POST /photos/": 10}
    web = sum(w * costs[n]["web"] for n, w in weights.items()) / 100
    ping = costs["GET /ping"]["web"]
    print(f"  mix average: {web:.2f} ms web CPU per request; ping {ping:.2f} ms")
    print("  web CPU against ping: " + ", ".join(
        f"{name} {cost['web'] / ping:.1f}×" for name, cost in costs.items()
        if name != "GET /ping"))
    print(f"  POST /photos/ against the image work alone ({image_ms:.2f} ms, the same photo, "
          f"one process): {costs['POST /photos/']['web'] / image_ms:.2f}×")


def report(ceiling: Phase, mix: Phase, paced: list[Phase], args: argparse.Namespace) -> None:
    phases = [ceiling, mix, *paced]
    print(f"\n{'phase':<8} {'users':>5} {'offered':>8} {'req/s':>7} {'p50':>6} {'p95':>6} "
          f"{'p99':>6} {'requests':>9} {'failures':>8}")
    for phase in phases:
        offered = f"{phase.offered:.0f}/s" if phase.offered else "max"
        p = phase.percentiles
        print(f"{phase.name:<8} {args.users:>5} {offered:>8} {phase.rps:>7.1f} {p.get(50, 0):>6.0f} "
              f"{p.get(95, 0):>6.0f} {p.get(99, 0):>6.0f} {phase.requests:>9} {phase.failures:>8}")
    print("\nper endpoint (ms):")
    for phase in phases:
        for name, requests, failures, p in phase.endpoints:
            print(f"  {phase.name:<8} {name:<30} {requests:>7} req  {failures:>4} failed  "
                  f"p50 {p.get(50, 0):>5.0f}  p95 {p.get(95, 0):>5.0f}  p99 {p.get(99, 0):>5.0f}")
    print("\nCPU seconds per phase (2 cores = 2 CPU-seconds per second):")
    groups = sorted({g for phase in phases for g in phase.cpu})
    for group in groups:
        print(f"  {group:<28}" + "".join(f" {phase.name}: {phase.cpu.get(group, 0):6.1f}"
                                         for phase in phases))
    for phase in phases:
        web = phase.cpu.get("gunicorn", 0) + phase.cpu.get("postgres (this database)", 0)
        print(f"  {phase.name}: gunicorn {1000 * phase.cpu.get('gunicorn', 0) / max(phase.requests, 1):.2f}"
              f" ms CPU per request, gunicorn + PostgreSQL {1000 * web / max(phase.requests, 1):.2f} ms")
    ratio = mix.rps / ceiling.rps if ceiling.rps else 0.0
    failures = sum(p.failures for p in phases)
    within = [p for p in paced if p.percentiles.get(95, float("inf")) < TARGET_P95_MS]
    carried = max((p.rps for p in within), default=0.0)
    print(f"\nmix / ceiling = {ratio:.1%} (target ≥ {TARGET_RATIO:.0%}): {ratio >= TARGET_RATIO}; "
          f"mix at saturation p95 {mix.percentiles.get(95, 0):.0f} ms; the highest paced load "
          f"with p95 < {TARGET_P95_MS} ms: {carried:.1f} req/s; failures {failures} (target 0): "
          f"{failures == 0}")


def main() -> int:
    args = parse_args()
    if gone := missing():
        print(f"load benchmark skipped: missing {', '.join(gone)}; "
              'start them with eval "$(scripts/services.sh start)"')
        return 0
    from tests.e2e.stack import running_stack

    if args.nice:
        prioritize([os.getpid()], args.nice)  # the cost table's client; children inherit it
    extra = TEMPLATES | {"JWT_ACCESS_MINUTES": "240"}
    started = time.monotonic()
    with running_stack(gunicorn_workers=args.workers, extra_env=extra) as stack:
        users = prepare(stack, args)
        files = {"LOAD_USERS_FILE": str(stack.logdir / "users.json"),
                 "LOAD_PHOTO_FILE": str(stack.logdir / "photo.jpg")}
        Path(files["LOAD_USERS_FILE"]).write_text(json.dumps(users))
        Path(files["LOAD_PHOTO_FILE"]).write_bytes(photo_bytes(args.seed))
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.2f}; gunicorn {args.workers} sync workers; nice {args.nice}; "
              f"{len(users)} users, {args.history:,} past reports; prepared in "
              f"{time.monotonic() - started:.0f} s", flush=True)
        run_phase(stack, "warm-up", "MemberUser", args, files, users=20, seconds=10)
        member = next(u for u in users if u["name"].startswith("bench") and u["report_ids"])
        costs = endpoint_costs(stack, member, Path(files["LOAD_PHOTO_FILE"]).read_bytes(),
                               args.cost_requests)
        print_costs(costs, args.cost_requests,
                    measure_image_work(stack, files["LOAD_PHOTO_FILE"], args.cost_requests))
        if args.costs_only:
            return 0
        ceiling = run_phase(stack, "ceiling", "PingUser", args, files, users=args.users,
                            seconds=args.duration)
        mix = run_phase(stack, "mix", "MemberUser", args, files, users=args.users,
                        seconds=args.duration)
        paced = [run_phase(stack, f"paced{i + 1}", "MemberUser", args, files,
                           users=args.users, seconds=args.duration,
                           pace=float(fraction) * mix.rps / args.users)
                 for i, fraction in enumerate(f for f in args.paced.split(",") if f)]
        errors = stack_errors(stack.logdir)
        report(ceiling, mix, paced, args)
        print(f"error lines in the stack's logs: {len(errors)}"
              + "".join(f"\n  {line[:300]}" for line in errors[:5]))
        print(f"load average at the end {os.getloadavg()[0]:.2f}; "
              f"{time.monotonic() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == [SEED_FLAG]:
        seed_stack_database(*map(int, sys.argv[2:5]))
    elif sys.argv[1:2] == [IMAGE_FLAG]:
        image_work(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
