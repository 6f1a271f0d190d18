"""The production shape, started for real on loopback: gunicorn with 2 workers, a Celery
worker and beat, against PostgreSQL, a Redis of its own, the local S3 server and the
WeChat stub. Used by the end-to-end smoke test and the load benchmark.

Needs a PostgreSQL server (`DATABASE_URL`), `redis-server` on PATH and the local S3
server (`S3_TEST_ENDPOINT_URL`); `scripts/services.sh start` provides all three. With a
streaming replica of that server (`REPLICA_TEST_URL`: `WITH_REPLICA=1
scripts/services.sh start`), the stack reads what may lag from it (DATABASE_REPLICA_URL).
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import boto3
import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(sys.executable).parent
BUCKET = "gridlink-e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_services() -> list[str]:
    """What the stack needs and this machine lacks (the reason to skip)."""
    missing = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not os.environ.get("S3_TEST_ENDPOINT_URL"):
        missing.append("a local S3 server (S3_TEST_ENDPOINT_URL)")
    return missing


@dataclass
class Redis:
    port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _tcp_open(self.port), what=f"Redis on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class Stack:
    base_url: str
    stub_url: str
    env: dict
    redis: Redis
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logdir: Path = Path(".")

    def url(self, path: str) -> str:
        return self.base_url + path

    def stub_messages(self) -> list[dict]:
        return requests.get(self.stub_url + "/_stub/messages", timeout=5).json()["messages"]

    def logs(self) -> str:
        """The tail of every process's log, for a failing assertion's message."""
        return "\n".join(f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.logdir.glob("*.log")))


def _tcp_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, *, what: str, timeout: float = 60.0, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(interval)
    raise TimeoutError(f"gave up waiting for {what}")


def _fresh_database(server_url: str, name: str) -> str:
    admin = urlparse(server_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlparse(server_url)._replace(path=f"/{name}").geturl()


def _drop_database(server_url: str, name: str) -> None:
    admin = urlparse(server_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_bucket(endpoint: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="e2e-key", aws_secret_access_key="e2e-secret")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def production_env(*, database_url: str, redis_url: str, stub_url: str, s3_endpoint: str,
                   url_expire: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "CACHE_URL": f"{redis_url}/1", "CELERY_BROKER_URL": f"{redis_url}/0",
        "STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint, "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "e2e-key", "AWS_SECRET_ACCESS_KEY": "e2e-secret",
        "AWS_S3_ADDRESSING_STYLE": "path", "AWS_QUERYSTRING_EXPIRE": str(url_expire),
        "WECHAT_APP_ID": "wx-e2e", "WECHAT_APP_SECRET": "e2e-secret",
        "WECHAT_API_BASE": stub_url, "WECHAT_TIMEOUT": "3",
        "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1",
        # Generous limits: the smoke test and the load benchmark are not abuse.
        "THROTTLE_LOGIN": "100000/min", "THROTTLE_UPLOAD": "100000/min",
        "THROTTLE_REPORT": "100000/min", "THROTTLE_INVITE": "100000/min",
    })
    return env


@contextmanager
def running_stack(*, gunicorn_workers: int = 2, url_expire: int = 3600,
                  extra_env: dict | None = None) -> Iterator[Stack]:
    server_url = os.environ["DATABASE_URL"]
    db_name = f"gridlink_e2e_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="gridlink-e2e-"))
    redis = Redis(port=free_port(), workdir=workdir)
    processes: dict[str, subprocess.Popen] = {}
    try:
        redis.start()
        stub_port = free_port()
        processes["wechat-stub"] = _spawn(
            [PYTHON, str(ROOT / "scripts" / "wechat_stub.py"), str(stub_port)],
            os.environ.copy(), workdir / "wechat-stub.log")
        stub_url = f"http://127.0.0.1:{stub_port}"
        _fresh_bucket(os.environ["S3_TEST_ENDPOINT_URL"])
        env = production_env(database_url=_fresh_database(server_url, db_name),
                             redis_url=redis.url, stub_url=stub_url,
                             s3_endpoint=os.environ["S3_TEST_ENDPOINT_URL"],
                             url_expire=url_expire) | (extra_env or {})
        if os.environ.get("REPLICA_TEST_URL"):  # the same database, streamed to the replica
            env["DATABASE_REPLICA_URL"] = (urlparse(os.environ["REPLICA_TEST_URL"])
                                           ._replace(path=f"/{db_name}").geturl())
        seed = ["seed_demo", "--i-know-this-is-not-production"]  # the stack runs DEBUG off
        for command in (["migrate", "--noinput"], seed):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                           capture_output=True)
        web_port = free_port()
        processes["gunicorn"] = _spawn(
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi",
             "--workers", str(gunicorn_workers),
             "--bind", f"127.0.0.1:{web_port}", "--timeout", "30", "--graceful-timeout", "5"],
            env, workdir / "gunicorn.log")
        processes["worker"] = _spawn(
            [str(BIN / "celery"), "-A", "config", "worker", "--concurrency", "2",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            env, workdir / "worker.log")
        processes["beat"] = _spawn(
            [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", str(workdir / "beat-schedule")], env, workdir / "beat.log")
        stack = Stack(base_url=f"http://127.0.0.1:{web_port}", stub_url=stub_url, env=env,
                      redis=redis, processes=processes, logdir=workdir)
        wait_for(lambda: requests.get(stack.url("/readyz"), timeout=2).status_code == 200,
                 what="the web stack to be ready")
        yield stack
    finally:
        for process in processes.values():
            _stop(process)
        redis.stop()
        _drop_database(server_url, db_name)
        shutil.rmtree(workdir, ignore_errors=True)


def _spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
