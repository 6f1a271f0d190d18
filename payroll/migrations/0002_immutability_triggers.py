"""Immutability in the database itself, not only in the services.

- An approved run may only become paid; a paid run changes no more; neither is deleted.
- A line of a submitted, approved or paid run is never inserted, updated or deleted: the
  approver approves exactly what was submitted. (Cancelling a submitted run marks its
  lines not live after the run itself is cancelled, which is allowed.)
- An approved adjustment is never updated or deleted.
- Run events and bank files are append-only.

SQLite gets row triggers that RAISE(ABORT); PostgreSQL gets PL/pgSQL trigger functions
raising SQLSTATE 23001 (restrict_violation). Both surface as django.db.IntegrityError.
The line guard on PostgreSQL is a statement trigger over the transition table, so that
generating 100,000 lines costs one check, not 100,000.

A test database is emptied with DELETE on SQLite: a `transaction=True` test that leaves
approved runs or events behind would be refused there (PostgreSQL uses TRUNCATE, which
these triggers do not see).

If a later migration adds a column to payroll_run, it must recreate the run guard with
the column in RUN_FROZEN_COLUMNS. On SQLite, Django rebuilds a table for most schema
changes, which drops its triggers: a migration altering one of these tables must create
its triggers again (tests/payroll/test_transitions.py fails if they are missing).
"""

from django.db import migrations

FROZEN = "('approved', 'paid')"
LINES_FROZEN = "('submitted', 'approved', 'paid')"
LINES_MESSAGE = "payroll: lines of a submitted or approved run are immutable"
# Every column of payroll_run except status, paid_by_id and paid_at, which the move from
# approved to paid sets.
RUN_FROZEN_COLUMNS = [
    "id", "number", "period", "region_id", "total", "total_base", "total_withheld",
    "total_adjustments", "line_count", "prepared_by_id", "prepared_at", "submitted_by_id",
    "submitted_at", "approved_by_id", "approved_at", "created_at",
]


def _sqlite_changed(columns: list[str]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> str:
    return (f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END;")


def _sqlite_run_status(ref: str) -> str:
    return f"(SELECT status FROM payroll_run WHERE id = {ref}.run_id) IN {LINES_FROZEN}"


SQLITE = [
    ("payroll_run_frozen_update", "BEFORE UPDATE", "payroll_run",
     f"OLD.status = 'paid' OR (OLD.status = 'approved' AND (NEW.status NOT IN {FROZEN} OR "
     f"{_sqlite_changed(RUN_FROZEN_COLUMNS)}))",
     "payroll: an approved run is immutable"),
    ("payroll_run_frozen_delete", "BEFORE DELETE", "payroll_run",
     f"OLD.status IN {FROZEN}", "payroll: an approved run cannot be deleted"),
    ("payroll_runline_frozen_insert", "BEFORE INSERT", "payroll_runline",
     _sqlite_run_status("NEW"), LINES_MESSAGE),
    ("payroll_runline_frozen_update", "BEFORE UPDATE", "payroll_runline",
     f"{_sqlite_run_status('OLD')} OR {_sqlite_run_status('NEW')}",
     LINES_MESSAGE),
    ("payroll_runline_frozen_delete", "BEFORE DELETE", "payroll_runline",
     _sqlite_run_status("OLD"), LINES_MESSAGE),
    ("payroll_adjustment_frozen_update", "BEFORE UPDATE", "payroll_adjustment",
     "OLD.approved_by_id IS NOT NULL", "payroll: an approved adjustment is immutable"),
    ("payroll_adjustment_frozen_delete", "BEFORE DELETE", "payroll_adjustment",
     "OLD.approved_by_id IS NOT NULL", "payroll: an approved adjustment is immutable"),
    ("payroll_runevent_append_only_update", "BEFORE UPDATE", "payroll_runevent", "1",
     "payroll: run events are append-only"),
    ("payroll_runevent_append_only_delete", "BEFORE DELETE", "payroll_runevent", "1",
     "payroll: run events are append-only"),
    ("payroll_runexport_append_only_update", "BEFORE UPDATE", "payroll_runexport", "1",
     "payroll: bank files are append-only"),
    ("payroll_runexport_append_only_delete", "BEFORE DELETE", "payroll_runexport", "1",
     "payroll: bank files are append-only"),
]


def _pg_refuse(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';"


_pg_new = ", ".join(f"NEW.{c}" for c in RUN_FROZEN_COLUMNS)
_pg_old = ", ".join(f"OLD.{c}" for c in RUN_FROZEN_COLUMNS)

POSTGRES_FUNCTIONS = {
    "payroll_run_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status IN {FROZEN} THEN
              {_pg_refuse('payroll: an approved run cannot be deleted')}
            END IF;
            RETURN OLD;
          END IF;
          IF OLD.status = 'paid' OR (OLD.status = 'approved' AND (NEW.status NOT IN {FROZEN}
             OR ROW({_pg_new}) IS DISTINCT FROM ROW({_pg_old}))) THEN
            {_pg_refuse('payroll: an approved run is immutable')}
          END IF;
          RETURN NEW;
        END""",
    # Nested IFs: PL/pgSQL plans a whole condition, and INSERT has no old_rows table.
    "payroll_runline_guard": f"""
        BEGIN
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF EXISTS (SELECT 1 FROM new_rows l JOIN payroll_run r ON r.id = l.run_id
                       WHERE r.status IN {LINES_FROZEN}) THEN
              {_pg_refuse(LINES_MESSAGE)}
            END IF;
          END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF EXISTS (SELECT 1 FROM old_rows l JOIN payroll_run r ON r.id = l.run_id
                       WHERE r.status IN {LINES_FROZEN}) THEN
              {_pg_refuse(LINES_MESSAGE)}
            END IF;
          END IF;
          RETURN NULL;
        END""",
    "payroll_adjustment_guard": f"""
        BEGIN
          IF OLD.approved_by_id IS NOT NULL THEN
            {_pg_refuse('payroll: an approved adjustment is immutable')}
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END""",
    "payroll_append_only": f"""
        BEGIN
          {_pg_refuse('payroll: this table is append-only')}
        END""",
}

POSTGRES_TRIGGERS = [
    "CREATE TRIGGER payroll_run_guard BEFORE UPDATE OR DELETE ON payroll_run "
    "FOR EACH ROW EXECUTE FUNCTION payroll_run_guard()",
    "CREATE TRIGGER payroll_runline_guard_insert AFTER INSERT ON payroll_runline "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payroll_runline_guard()",
    "CREATE TRIGGER payroll_runline_guard_update AFTER UPDATE ON payroll_runline "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION payroll_runline_guard()",
    "CREATE TRIGGER payroll_runline_guard_delete AFTER DELETE ON payroll_runline "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION payroll_runline_guard()",
    "CREATE TRIGGER payroll_adjustment_guard BEFORE UPDATE OR DELETE ON payroll_adjustment "
    "FOR EACH ROW EXECUTE FUNCTION payroll_adjustment_guard()",
    "CREATE TRIGGER payroll_runevent_append_only BEFORE UPDATE OR DELETE ON payroll_runevent "
    "FOR EACH ROW EXECUTE FUNCTION payroll_append_only()",
    "CREATE TRIGGER payroll_runexport_append_only BEFORE UPDATE OR DELETE ON payroll_runexport "
    "FOR EACH ROW EXECUTE FUNCTION payroll_append_only()",
]
POSTGRES_TRIGGER_TABLES = {
    "payroll_run_guard": "payroll_run", "payroll_runline_guard_insert": "payroll_runline",
    "payroll_runline_guard_update": "payroll_runline",
    "payroll_runline_guard_delete": "payroll_runline",
    "payroll_adjustment_guard": "payroll_adjustment",
    "payroll_runevent_append_only": "payroll_runevent",
    "payroll_runexport_append_only": "payroll_runexport",
}


def create_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for trigger in SQLITE:
            schema_editor.execute(_sqlite_trigger(*trigger))
    elif vendor == "postgresql":
        for name, body in POSTGRES_FUNCTIONS.items():
            schema_editor.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                                  f"LANGUAGE plpgsql AS $${body}$$")
        for statement in POSTGRES_TRIGGERS:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"payroll immutability triggers are written for SQLite and "
                                  f"PostgreSQL, not {vendor}")


def drop_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name, *_rest in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        for name, table in POSTGRES_TRIGGER_TABLES.items():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRES_FUNCTIONS:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):

    dependencies = [
        ("payroll", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
