"""Version tokens the database changes by trigger (see gridapp/models/versions.py).

Triggers upsert the token rows rather than update them, so that a test database flushed
between tests (which empties these tables too) goes on working. Tokens are random, never
counters: a rolled-back write restores the old token, and a
counter would hand the same number to the next, different write, so that something
cached inside the rolled-back transaction could pass for current.

On SQLite, Django rebuilds a table for most schema changes, which drops its triggers: a
later migration that alters one of these tables must create them again
(tests/gridapp/test_locate.py and test_roles.py fail otherwise).
"""

from django.db import migrations, models

PG_RANDOM = "floor(random() * 9.2e18)::bigint"

# --- The grid index: any real change to a grid row ----------------------------------

GRID_INDEX_POSTGRES_UP = f"""
CREATE FUNCTION gridapp_grid_touch_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gridapp_gridindexversion (id, token) VALUES (1, {PG_RANDOM})
        ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END $$;
CREATE TRIGGER gridapp_grid_touch_index
    AFTER INSERT OR DELETE OR TRUNCATE ON gridapp_grid
    FOR EACH STATEMENT EXECUTE FUNCTION gridapp_grid_touch_index();
CREATE TRIGGER gridapp_grid_touch_index_on_change
    AFTER UPDATE ON gridapp_grid
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION gridapp_grid_touch_index();
"""
# An update that writes the same values (seed_demo run again) changes nothing, so no
# process rebuilds its index for it. SQLite compares the columns the index keeps.
GRID_COLUMNS = ("id", "code", "name", "community_id", "boundary",
                "min_lat", "min_lng", "max_lat", "max_lng")
GRID_INDEX_SQLITE_UP = [
    f"CREATE TRIGGER gridapp_grid_touch_index_{event} AFTER {event.upper()} ON gridapp_grid "
    f"{when} BEGIN INSERT INTO gridapp_gridindexversion (id, token) VALUES (1, random()) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token; END"
    for event, when in (
        ("insert", ""), ("delete", ""),
        ("update", "WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in GRID_COLUMNS)))
]

# --- Roles: staff roles, memberships, leader terms, and the grids they point at --------

# Each table with the columns that make roles: an update that changes none of them (a
# decision's note, seed_demo run again) leaves the token alone.
ROLE_COLUMNS = {
    "accounts_staffrole": ("user_id", "role", "region_id", "department_id"),
    "gridapp_gridmembership": ("user_id", "grid_id", "status"),
    "gridapp_leaderterm": ("user_id", "grid_id", "start_date", "end_date"),
}
ROLE_TABLES = tuple(ROLE_COLUMNS)
# Everyone whose roles name a grid, once each (an upsert may touch a row only once).
GRID_PEOPLE = ("SELECT user_id FROM gridapp_gridmembership WHERE grid_id = NEW.id "
               "UNION SELECT user_id FROM gridapp_leaderterm WHERE grid_id = NEW.id")
PG_TOUCH_USER = (f"INSERT INTO gridapp_rolesversion (user_id, token) VALUES (%s, {PG_RANDOM}) "
                 "ON CONFLICT (user_id) DO UPDATE SET token = EXCLUDED.token;")
ROLES_POSTGRES_UP = f"""
CREATE FUNCTION gridapp_touch_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {PG_TOUCH_USER % "OLD.user_id"} END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN {PG_TOUCH_USER % "NEW.user_id"} END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION gridapp_grid_touch_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gridapp_rolesversion (user_id, token)
        SELECT user_id, {PG_RANDOM} FROM ({GRID_PEOPLE}) AS people
        ON CONFLICT (user_id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END $$;
""" + "".join(
    f"CREATE TRIGGER gridapp_touch_roles AFTER INSERT OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION gridapp_touch_roles();\n"
    f"CREATE TRIGGER gridapp_touch_roles_on_change AFTER UPDATE ON {table} FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    + ") EXECUTE FUNCTION gridapp_touch_roles();\n" for table, columns in ROLE_COLUMNS.items()
) + """
CREATE TRIGGER gridapp_grid_touch_roles AFTER UPDATE ON gridapp_grid FOR EACH ROW
    WHEN (OLD.community_id IS DISTINCT FROM NEW.community_id OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION gridapp_grid_touch_roles();
"""
SQLITE_TOUCH_USER = ("INSERT INTO gridapp_rolesversion (user_id, token) VALUES ({}, random()) "
                     "ON CONFLICT (user_id) DO UPDATE SET token = excluded.token;")
ROLES_SQLITE_UP = [
    f"CREATE TRIGGER gridapp_touch_roles_{table}_{event} AFTER {event.upper()} ON {table} "
    f"{when} BEGIN {' '.join(SQLITE_TOUCH_USER.format(row) for row in rows)} END"
    for table, columns in ROLE_COLUMNS.items()
    for event, when, rows in (
        ("insert", "", ["NEW.user_id"]), ("delete", "", ["OLD.user_id"]),
        ("update", "WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns),
         ["OLD.user_id", "NEW.user_id"]))
] + [
    "CREATE TRIGGER gridapp_grid_touch_roles AFTER UPDATE ON gridapp_grid "
    "WHEN OLD.community_id IS NOT NEW.community_id OR OLD.code IS NOT NEW.code BEGIN "
    f"INSERT INTO gridapp_rolesversion (user_id, token) SELECT user_id, random() "
    f"FROM ({GRID_PEOPLE}) AS people WHERE true "  # WHERE: SQLite's upsert needs it after a SELECT
    "ON CONFLICT (user_id) DO UPDATE SET token = excluded.token; END"
]


def create_tokens_and_triggers(apps, schema_editor) -> None:
    apps.get_model("gridapp", "GridIndexVersion").objects.create(id=1, token=1)
    random = PG_RANDOM if schema_editor.connection.vendor == "postgresql" else "random()"
    schema_editor.execute(  # everyone who has roles already, so that they are kept too
        f"INSERT INTO gridapp_rolesversion (user_id, token) SELECT user_id, {random} FROM ("
        + " UNION ".join(f"SELECT user_id FROM {table}" for table in ROLE_TABLES) + ") AS people")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRID_INDEX_POSTGRES_UP)
        schema_editor.execute(ROLES_POSTGRES_UP)
        return
    for statement in [*GRID_INDEX_SQLITE_UP, *ROLES_SQLITE_UP]:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in ROLE_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS gridapp_touch_roles ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS gridapp_touch_roles_on_change ON {table}")
        for name in ("gridapp_grid_touch_index", "gridapp_grid_touch_index_on_change",
                     "gridapp_grid_touch_roles"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON gridapp_grid")
        for function in ("gridapp_grid_touch_index", "gridapp_touch_roles",
                         "gridapp_grid_touch_roles"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        return
    for statement in [*GRID_INDEX_SQLITE_UP, *ROLES_SQLITE_UP]:
        name = statement.split()[2]
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('gridapp', '0006_grid_history'),
    ]

    operations = [
        migrations.CreateModel(
            name='GridIndexVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.BigIntegerField(default=0, verbose_name='token')),
            ],
            options={
                'verbose_name': 'grid index version',
                'verbose_name_plural': 'grid index versions',
            },
        ),
        migrations.CreateModel(
            name='RolesVersion',
            fields=[
                ('user_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='user id')),
                ('token', models.BigIntegerField(default=0, verbose_name='token')),
            ],
            options={
                'verbose_name': 'roles version',
                'verbose_name_plural': 'roles versions',
            },
        ),
        migrations.RunPython(create_tokens_and_triggers, drop_triggers),
    ]
