"""A throwaway database for a benchmark, chosen before Django reads its settings.

PostgreSQL when `DATABASE_URL` names one (a database of the benchmark's own on that
server, created and dropped), otherwise a temporary SQLite file. Never the developer's
database, never a shared cache.
"""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://", "psql://")


@contextmanager
def throwaway_database(name: str, keep: bool = False) -> Iterator[str]:
    """The URL of a database called `name` (PostgreSQL) or a temporary file (SQLite).
    With `keep`, the database outlives the run and the next run with `keep` opens it
    again (a million reports take a quarter of an hour to build): PostgreSQL's `name`,
    or `name`.sqlite3 in the temporary folder."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(POSTGRES_SCHEMES):
        with _postgres_database(given, name, keep) as url:
            yield url
    elif keep:
        yield f"sqlite:///{Path(tempfile.gettempdir()) / name}.sqlite3"
    else:
        folder = tempfile.mkdtemp(prefix=f"{name}-")
        try:
            yield f"sqlite:///{folder}/bench.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _postgres_database(given: str, name: str, keep: bool) -> Iterator[str]:
    import psycopg

    parts = urlsplit(given)  # the server and credentials; the database name is ours
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not keep:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not keep:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(database_url: str, name: str) -> None:
    """Point Django at the throwaway database (and a private cache) and migrate it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["CACHE_URL"] = f"locmemcache://{name}"  # not a shared Redis
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@contextmanager
def demo_database(name: str, keep: bool = False) -> Iterator[bool]:
    """A throwaway database (above), migrated, with DEMO.md's world in it. Yields whether
    the world was built now (False: a kept database that already holds it)."""
    with throwaway_database(name, keep) as url:
        setup_django(url, name)
        from config.demo import build_demo_world
        from gridapp.models import Region

        fresh = not Region.objects.exists()
        if fresh:
            build_demo_world()
        yield fresh


def signed_in_client(user):
    """A DRF test client carrying `user`'s access token, as the mini-program sends it."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client
