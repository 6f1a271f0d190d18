"""The read replica's routing (config/db.py, config/api/replica.py): which reads may go
there, and who is kept on the primary. `tests/e2e/test_smoke.py` checks it against a real
streaming replica; here the decisions themselves, with the replica declared present."""

import pytest
from django.db import DEFAULT_DB_ALIAS, transaction

from config import db
from gridapp.models import Report
from gridapp.selectors import reports as report_selectors

HHL05 = {"lat": 21.4830, "lng": 109.1130}


@pytest.fixture
def replica(monkeypatch):
    monkeypatch.setattr(db, "replica_configured", lambda: True)


@pytest.fixture
def map_reads(monkeypatch) -> list[bool]:
    """For each map request: had the view allowed replica reads when it selected its
    reports? (The router itself answers the primary all the same here: a test runs inside
    a transaction.)"""
    seen, map_rows = [], report_selectors.map_rows

    def recording(*args, **kwargs):
        seen.append(db._replica_reads.get())
        return map_rows(*args, **kwargs)

    monkeypatch.setattr(report_selectors, "map_rows", recording)
    return seen


def router_answer() -> str | None:
    return db.ReplicaRouter().db_for_read(Report)


def test_reads_go_to_the_primary_unless_a_view_allows_the_replica(replica):
    assert router_answer() is None
    with db.replica_reads():
        assert router_answer() == db.REPLICA
    assert router_answer() is None


def test_without_a_replica_nothing_changes():
    with db.replica_reads():
        assert router_answer() is None


@pytest.mark.django_db
def test_a_read_inside_a_transaction_stays_with_the_writes_on_the_primary(replica):
    with db.replica_reads(), transaction.atomic():
        assert router_answer() is None


def test_writes_and_migrations_never_go_to_the_replica(replica):
    router = db.ReplicaRouter()
    with db.replica_reads():
        assert router.db_for_write(Report) == DEFAULT_DB_ALIAS
    assert not router.allow_migrate(db.REPLICA, "gridapp")
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "gridapp")


MAP = "/api/v1/map/reports.geojson"


def test_a_map_may_come_from_the_replica(api, replica, map_reads):
    assert api("dispatcher-city").get(MAP).status_code == 200
    assert map_reads == [True]
    assert not db._replica_reads.get()  # and only while the request lasted


def test_someone_who_just_wrote_reads_from_the_primary(api, replica, map_reads):
    client = api("leader5")
    created = client.post("/api/v1/reports/", {"category": "clutter", "description": "楼道堆物",
                                                "photo_ids": [], **HHL05}, format="json")
    assert created.status_code == 201, created.json()
    client.get(MAP)
    api("dispatcher-city").get(MAP)
    assert map_reads == [False, True]


def test_a_refused_write_pins_nobody(api, replica, map_reads):
    client = api("leader5")
    assert client.post("/api/v1/reports/", {"category": "nope"}, format="json").status_code == 400
    client.get(MAP)
    assert map_reads == [True]


def test_without_a_replica_nobody_is_pinned(api, user):
    api("leader5").post("/api/v1/reports/", {"category": "clutter", "description": "楼道堆物",
                                             "photo_ids": [], **HHL05}, format="json")
    assert not db.pinned_to_primary(user("leader5").pk)


@pytest.mark.django_db(transaction=True)
def test_roles_are_read_on_the_primary_where_their_token_is(replica, settings):
    # The API's authentication loads the roles token with the user on the primary; roles
    # loaded from a lagging replica would be kept under a token that calls them current.
    # With the router installed and outside a transaction, reads would go to the replica
    # (not declared here: reading there would fail).
    from accounts.models import User
    from gridapp.models import Grid, LeaderTerm, Region
    from gridapp.selectors import roles

    settings.DATABASE_ROUTERS = ["config.db.ReplicaRouter"]
    user = User.objects.create(username="leader-of-one")
    region = Region.objects.create(code="450502001001", name="测试社区", level="community")
    square = [[109.0, 21.4], [109.01, 21.4], [109.01, 21.41], [109.0, 21.41], [109.0, 21.4]]
    grid = Grid.objects.create(code="T-01", name="测试网格", community=region,
                               boundary={"type": "Polygon", "coordinates": [square]})
    LeaderTerm.objects.create(grid=grid, user=user, start_date="2020-01-01")
    user = User.objects.get(pk=user.pk)
    with db.replica_reads():
        assert Report.objects.db == db.REPLICA
        assert roles.roles_of(user).led_grid_ids == {grid.pk}
