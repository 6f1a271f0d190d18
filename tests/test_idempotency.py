"""`Idempotency-Key` (API.md "Retries"), through real creating endpoints.

leader5 creates invites for HHL-05 (`POST /grids/{id}/invites/`); newcomer joins with
one (`POST /memberships/`). An invite is single-use, so a join that ran twice would
answer the retry with 400 `invite_invalid`: only a replayed response can be a 201.
"""

import threading
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from freezegun import freeze_time
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import idempotency
from accounts.idempotency import IdempotentCreateMixin, idempotent
from accounts.models import IdempotencyRecord, User
from accounts.tasks import purge_idempotency_records
from gridapp.services import memberships as services
from gridapp.models import Grid, GridMembership, Invite
from tests.conftest import needs_postgres

START = datetime.fromisoformat("2026-11-26T09:00:00+08:00")
KEY = "0b9f7c1e-4a53-4c2e-9a57-3f1f6a0d2b7e"


@pytest.fixture
def hhl05(world) -> Grid:
    return Grid.objects.get(code="HHL-05")


@pytest.fixture
def invite_url(hhl05) -> str:
    return f"/api/v1/grids/{hhl05.pk}/invites/"


def new_invite(grid: Grid, leader: str = "leader5") -> str:
    return services.create_invite(grid, actor=User.objects.get(username=leader)).code


def post(client: APIClient, url: str, body: dict | None = None, key: str | None = KEY):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(url, body or {}, format="json", **headers)


def is_replay(response) -> bool:
    return response.headers.get("Idempotent-Replayed") == "true"


# --- the same key twice ------------------------------------------------------------------

def test_an_invite_posted_twice_with_one_key_is_created_once(api, invite_url, hhl05):
    leader5 = api("leader5")
    first = post(leader5, invite_url)
    second = post(leader5, invite_url)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content  # byte for byte, key order included
    assert not is_replay(first) and is_replay(second)
    assert Invite.objects.filter(grid=hhl05).count() == 1


def test_a_join_posted_twice_with_one_key_is_created_once(api, hhl05):
    body = {"invite_code": new_invite(hhl05), "member_type": "volunteer"}
    newcomer = api("newcomer")
    first = post(newcomer, "/api/v1/memberships/", body)
    second = post(newcomer, "/api/v1/memberships/", body)
    assert first.status_code == second.status_code == 201
    assert first.json()["status"] == "pending"
    assert second.content == first.content
    assert is_replay(second)
    assert GridMembership.objects.filter(grid=hhl05, user__username="newcomer").count() == 1


def test_without_a_key_each_post_creates(api, invite_url, hhl05):
    leader5 = api("leader5")
    codes = {post(leader5, invite_url, key=None).json()["code"] for _ in range(2)}
    assert len(codes) == 2
    assert Invite.objects.filter(grid=hhl05).count() == 2


# --- the same key, something else --------------------------------------------------------

def test_one_key_with_a_different_body_is_409_idempotency_key_reused(api, hhl05):
    first_code, second_code = new_invite(hhl05), new_invite(hhl05)
    newcomer = api("newcomer")
    assert post(newcomer, "/api/v1/memberships/", {"invite_code": first_code}).status_code == 201
    response = post(newcomer, "/api/v1/memberships/", {"invite_code": second_code})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert GridMembership.objects.filter(user__username="newcomer").count() == 1


def test_one_key_on_another_grid_is_409_idempotency_key_reused(api, invite_url):
    leader5 = api("leader5")
    assert post(leader5, invite_url).status_code == 201
    other = Grid.objects.get(code="HHL-04")
    response = post(leader5, f"/api/v1/grids/{other.pk}/invites/")
    # leader5 does not lead HHL-04, but the key was spent on another request first.
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_key_reused")


def test_different_users_with_the_same_key_are_independent(api, hhl05):
    newcomer_code, resident3_code = new_invite(hhl05), new_invite(hhl05)
    mine = post(api("newcomer"), "/api/v1/memberships/", {"invite_code": newcomer_code})
    theirs = post(api("resident3"), "/api/v1/memberships/", {"invite_code": resident3_code})
    assert mine.status_code == theirs.status_code == 201
    assert not is_replay(theirs)
    assert mine.json()["id"] != theirs.json()["id"]
    assert GridMembership.objects.filter(grid=hhl05, status="pending").count() == 2


# --- the key itself ----------------------------------------------------------------------

@pytest.mark.parametrize("key", ["k" * 65, "", "nul\x00inside"])
def test_a_key_that_is_too_long_empty_or_unprintable_is_400_idempotency_key_invalid(
        api, invite_url, hhl05, key):
    response = post(api("leader5"), invite_url, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not Invite.objects.filter(grid=hhl05).exists()


def test_a_key_of_64_characters_is_accepted(api, invite_url):
    assert post(api("leader5"), invite_url, key="k" * 64).status_code == 201


# --- what is stored, and for how long ----------------------------------------------------

def test_a_failed_request_is_not_stored_so_a_corrected_retry_with_the_key_works(api, hhl05):
    newcomer = api("newcomer")
    failed = post(newcomer, "/api/v1/memberships/", {"invite_code": "WRONGCODE2"})
    assert (failed.status_code, failed.json()["code"]) == (400, "invite_invalid")
    assert not IdempotencyRecord.objects.exists()
    retried = post(newcomer, "/api/v1/memberships/", {"invite_code": new_invite(hhl05)})
    assert retried.status_code == 201  # not 409: the failed body was never recorded
    assert not is_replay(retried)


def test_a_forbidden_request_is_not_stored(api, invite_url):
    assert post(api("resident1"), invite_url).status_code == 403
    assert not IdempotencyRecord.objects.exists()


def test_the_key_is_replayed_within_24_hours_and_fresh_after(api, invite_url, hhl05):
    with freeze_time(START) as clock:
        first = post(api("leader5"), invite_url)
        clock.move_to(START + timedelta(hours=23, minutes=59))
        # a new client: its access token must be valid at the moved clock
        assert post(api("leader5"), invite_url).content == first.content
        clock.move_to(START + timedelta(hours=24, seconds=1))
        later = post(api("leader5"), invite_url)
    assert later.status_code == 201 and not is_replay(later)
    assert later.json()["code"] != first.json()["code"]
    assert Invite.objects.filter(grid=hhl05).count() == 2


def test_the_purge_task_deletes_records_older_than_24_hours(api, invite_url):
    with freeze_time(START) as clock:
        post(api("leader5"), invite_url, key="old")
        clock.move_to(START + timedelta(hours=20))
        post(api("leader5"), invite_url, key="recent")
        clock.move_to(START + timedelta(hours=24, seconds=1))
        assert purge_idempotency_records.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


# --- every creating POST uses it ---------------------------------------------------------

def creating_post_views() -> dict[str, type]:
    """{schema path: view class} of every POST that the schema documents with a 201."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    found = {}
    for path, _regex, method, callback in generator.endpoints:
        if method != "POST":
            continue
        path = generator.coerce_path(path, method, generator.create_view(callback, method))
        if "201" in schema["paths"][path]["post"]["responses"]:
            found[path] = callback.cls
    return found


def uses_idempotency(view: type) -> bool:
    """It inherits the mixin, or its `post` calls `idempotent(...)`."""
    return issubclass(view, IdempotentCreateMixin) or "idempotent" in view.post.__code__.co_names


def test_every_creating_post_uses_the_idempotency_mechanism():
    views = creating_post_views()
    assert {"/api/v1/grids/{id}/invites/", "/api/v1/memberships/"} <= views.keys()
    assert [path for path, view in views.items() if not uses_idempotency(view)] == []


def test_the_schema_documents_the_key_on_every_creating_post():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    invite = schema["paths"]["/api/v1/grids/{id}/invites/"]["post"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= invite["parameters"][-1].items()


# --- two requests at once ----------------------------------------------------------------

def access_token(username: str) -> str:
    return str(RefreshToken.for_user(User.objects.get(username=username)).access_token)


def client_for(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post_together(url: str, bodies: list[dict], token: str) -> list:
    """POST every body with KEY at the same moment, each from its own thread and client."""
    barrier = threading.Barrier(len(bodies))
    responses: list = [None] * len(bodies)

    def send(i: int) -> None:
        try:
            client = client_for(token)
            barrier.wait(timeout=10)
            responses[i] = post(client, url, bodies[i])
        except Exception as error:  # noqa: BLE001 - shown by the caller's assertion
            responses[i] = error
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return responses


def slowed(monkeypatch, name: str) -> list:
    """Make `services.<name>` take 0.2 s, so that the second request really arrives while
    the first is inside it (not a timing assertion), and count its calls."""
    calls: list = []
    original = getattr(services, name)

    def slow(*args, **kwargs):
        calls.append(1)
        threading.Event().wait(0.2)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, name, slow)
    return calls


def test_the_database_runs_in_the_mode_the_mechanism_relies_on(db):
    """PostgreSQL: READ COMMITTED, so the statement after a failed INSERT sees the twin's
    committed record. SQLite: a file (threads share it) in WAL mode, where BEGIN IMMEDIATE
    queues a second writer behind the first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "read committed"
        else:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
            assert not connection.is_in_memory_db()


@pytest.mark.real_clock  # two threads meet inside a timed wait
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_invites_with_one_key_create_one(world, monkeypatch):
    grid = Grid.objects.get(code="HHL-05")
    calls = slowed(monkeypatch, "create_invite")
    responses = post_together(f"/api/v1/grids/{grid.pk}/invites/", [{}, {}], access_token("leader5"))
    assert [getattr(r, "status_code", r) for r in responses] == [201, 201]
    assert responses[0].content == responses[1].content
    assert sorted(is_replay(r) for r in responses) == [False, True]
    assert len(calls) == 1
    assert Invite.objects.filter(grid=grid).count() == 1


@pytest.mark.real_clock  # two threads meet inside a timed wait
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_joins_with_one_key_create_one_membership(world, monkeypatch):
    body = {"invite_code": new_invite(Grid.objects.get(code="HHL-05"))}
    calls = slowed(monkeypatch, "join_grid")
    responses = post_together("/api/v1/memberships/", [body, body], access_token("newcomer"))
    assert [getattr(r, "status_code", r) for r in responses] == [201, 201]
    assert responses[0].content == responses[1].content
    assert len(calls) == 1
    assert GridMembership.objects.filter(user__username="newcomer").count() == 1


@pytest.mark.real_clock  # two threads meet inside a timed wait
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_different_body_with_one_key_is_409(world, monkeypatch):
    grid = Grid.objects.get(code="HHL-05")
    bodies = [{"invite_code": new_invite(grid)}, {"invite_code": new_invite(grid)}]
    slowed(monkeypatch, "join_grid")
    responses = post_together("/api/v1/memberships/", bodies, access_token("newcomer"))
    assert sorted(getattr(r, "status_code", 0) for r in responses) == [201, 409], responses
    assert GridMembership.objects.filter(user__username="newcomer").count() == 1


@pytest.mark.real_clock  # two threads meet inside a timed wait
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_that_waits_too_long_for_the_first_is_409_idempotency_key_in_use(
        world, monkeypatch, settings):
    """The first request holds the key until the second has answered: the second gives up
    after IDEMPOTENCY_WAIT_SECONDS instead of hanging on the first one's lock."""
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.2
    grid = Grid.objects.get(code="HHL-05")
    inside, release = threading.Event(), threading.Event()
    original = services.create_invite

    def held(*args, **kwargs):
        inside.set()
        release.wait(timeout=30)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "create_invite", held)
    token, url = access_token("leader5"), f"/api/v1/grids/{grid.pk}/invites/"
    first: list = []

    def send_first() -> None:
        try:
            first.append(post(client_for(token), url))
        finally:
            connection.close()

    thread = threading.Thread(target=send_first)
    thread.start()
    try:
        assert inside.wait(timeout=10)
        second = post(client_for(token), url)
    finally:
        release.set()
        thread.join(timeout=30)
    assert (second.status_code, second.json()["code"]) == (409, "idempotency_key_in_use")
    assert first[0].status_code == 201
    assert Invite.objects.filter(grid=grid).count() == 1


@needs_postgres
def test_the_handler_keeps_the_servers_lock_timeout(api, invite_url, monkeypatch):
    """The wait limit is for the key's insert only: the work itself runs under the
    server's own lock_timeout (e.g. a select_for_update in a service)."""
    seen: list = []
    original = services.create_invite

    def spy(*args, **kwargs):
        seen.append(_lock_timeout())
        return original(*args, **kwargs)

    before = _lock_timeout()
    monkeypatch.setattr(services, "create_invite", spy)
    assert post(api("leader5"), invite_url).status_code == 201
    assert seen == [before]


def _lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


def test_an_anonymous_caller_s_key_is_ignored(rf):
    """Keys live per user; an anonymous POST (Open311, say) has no place to keep one."""
    request = Request(rf.post("/x/", {}, HTTP_IDEMPOTENCY_KEY=KEY))
    request.user = AnonymousUser()
    handled = [idempotent(request, lambda: Response({"n": n}, status=201)) for n in (1, 2)]
    assert [r.data for r in handled] == [{"n": 1}, {"n": 2}]


def test_a_fingerprint_ignores_key_order_but_not_values(rf):
    def request(raw: bytes) -> Request:
        return Request(rf.post("/x/", raw, content_type="application/json"),
                       parsers=[JSONParser()])

    a = idempotency.fingerprint(request(b'{"a": 1, "b": 2}'))
    assert a == idempotency.fingerprint(request(b'{"b": 2, "a": 1}'))
    assert a != idempotency.fingerprint(request(b'{"a": 1, "b": 3}'))


def test_a_fingerprint_of_an_upload_is_its_content_not_its_encoding(rf):
    def upload(content: bytes, boundary: str) -> Request:
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
        body += content + f"\r\n--{boundary}--\r\n".encode()
        django_request = rf.post("/x/", body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
        return Request(django_request, parsers=[MultiPartParser()])

    a = idempotency.fingerprint(upload(b"\xff\xd8 one", "AaB03x"))
    assert a == idempotency.fingerprint(upload(b"\xff\xd8 one", "another-boundary"))
    assert a != idempotency.fingerprint(upload(b"\xff\xd8 two", "AaB03x"))
