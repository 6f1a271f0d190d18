"""The database guards of 0002 extended to what 0003 added, on SQLite and PostgreSQL.

- payroll_run: the new columns (total_carried, payment_count) are frozen with the rest
  once the run is approved.
- payroll_payment (a bank file's line): never inserted or deleted once its run is
  submitted; while submitted only the bank details may be written (approval copies them
  in); once approved, never changed.
- payroll_suspension: never deleted (lifting records who and when); a lifted one never
  changes, and an active one changes only by being lifted.
- payroll_adjustment: a withdrawn one, like an approved one, never changes or goes away.
- payroll_bankaccount: written only from an approved payroll_bankaccountchange holding
  exactly the same details, a new one each time; never deleted.
- payroll_bankaccountchange: never deleted; what was requested never changes; once
  decided it never changes at all.

0003 rebuilt some of these tables on SQLite, which drops their triggers: this migration
drops every payroll trigger that may remain and creates the whole set again.
"""

import importlib

from django.db import migrations

base = importlib.import_module("payroll.migrations.0002_immutability_triggers")

FROZEN, LINES_FROZEN = base.FROZEN, base.LINES_FROZEN
RUN_FROZEN_COLUMNS = [*base.RUN_FROZEN_COLUMNS, "total_carried", "payment_count"]
PAYMENT_FROZEN_COLUMNS = ["id", "run_id", "position", "leader_id", "grid_id", "amount",
                          "shortfall", "line_count", "days_served"]
CHANGE_REQUEST_COLUMNS = ["id", "leader_id", "account_name", "bank_name", "account_number",
                          "reason", "requested_by_id", "requested_at"]
SUSPENSION_COLUMNS = ["id", "leader_id", "period", "reason", "created_by_id", "created_at"]

PAYMENTS_MESSAGE = "payroll: payments of a submitted or approved run are immutable"
SUSPENSION_MESSAGE = "payroll: a suspension is lifted, never deleted or rewritten"
ADJUSTMENT_MESSAGE = "payroll: an approved or withdrawn adjustment is immutable"
ACCOUNT_MESSAGE = "payroll: bank details change only through an approved bank account change"
CHANGE_MESSAGE = "payroll: a bank account change is history"


def _changed(columns: list[str]) -> str:
    return base._sqlite_changed(columns)


def _run_status(ref: str) -> str:
    return f"(SELECT status FROM payroll_run WHERE id = {ref}.run_id)"


def _approved_change_matches(ref: str) -> str:
    return (f"EXISTS (SELECT 1 FROM payroll_bankaccountchange c WHERE c.id = {ref}.change_id "
            f"AND c.status = 'approved' AND c.leader_id = {ref}.leader_id "
            f"AND c.account_name = {ref}.account_name AND c.bank_name = {ref}.bank_name "
            f"AND c.account_number = {ref}.account_number)")


SQLITE = [
    # 0002's list, with the run guard over the new columns
    ("payroll_run_frozen_update", "BEFORE UPDATE", "payroll_run",
     f"OLD.status = 'paid' OR (OLD.status = 'approved' AND (NEW.status NOT IN {FROZEN} OR "
     f"{_changed(RUN_FROZEN_COLUMNS)}))",
     "payroll: an approved run is immutable"),
    *(trigger for trigger in base.SQLITE
      if trigger[0] not in ("payroll_run_frozen_update", "payroll_adjustment_frozen_update",
                            "payroll_adjustment_frozen_delete")),
    ("payroll_adjustment_frozen_update", "BEFORE UPDATE", "payroll_adjustment",
     "OLD.approved_by_id IS NOT NULL OR OLD.withdrawn_at IS NOT NULL", ADJUSTMENT_MESSAGE),
    ("payroll_adjustment_frozen_delete", "BEFORE DELETE", "payroll_adjustment",
     "OLD.approved_by_id IS NOT NULL OR OLD.withdrawn_at IS NOT NULL", ADJUSTMENT_MESSAGE),
    ("payroll_payment_frozen_insert", "BEFORE INSERT", "payroll_payment",
     f"{_run_status('NEW')} IN {LINES_FROZEN}", PAYMENTS_MESSAGE),
    ("payroll_payment_frozen_delete", "BEFORE DELETE", "payroll_payment",
     f"{_run_status('OLD')} IN {LINES_FROZEN}", PAYMENTS_MESSAGE),
    ("payroll_payment_frozen_update", "BEFORE UPDATE", "payroll_payment",
     f"{_run_status('OLD')} IN {FROZEN} OR ({_run_status('OLD')} = 'submitted' "
     f"AND ({_changed(PAYMENT_FROZEN_COLUMNS)}))", PAYMENTS_MESSAGE),
    ("payroll_suspension_kept_delete", "BEFORE DELETE", "payroll_suspension", "1",
     SUSPENSION_MESSAGE),
    ("payroll_suspension_kept_update", "BEFORE UPDATE", "payroll_suspension",
     f"OLD.lifted_at IS NOT NULL OR {_changed(SUSPENSION_COLUMNS)}", SUSPENSION_MESSAGE),
    ("payroll_bankaccount_guard_insert", "BEFORE INSERT", "payroll_bankaccount",
     f"NOT {_approved_change_matches('NEW')}", ACCOUNT_MESSAGE),
    ("payroll_bankaccount_guard_update", "BEFORE UPDATE", "payroll_bankaccount",
     f"NEW.change_id IS OLD.change_id OR NOT {_approved_change_matches('NEW')}",
     ACCOUNT_MESSAGE),
    ("payroll_bankaccount_guard_delete", "BEFORE DELETE", "payroll_bankaccount", "1",
     ACCOUNT_MESSAGE),
    ("payroll_bankaccountchange_kept_delete", "BEFORE DELETE", "payroll_bankaccountchange", "1",
     CHANGE_MESSAGE),
    ("payroll_bankaccountchange_kept_update", "BEFORE UPDATE", "payroll_bankaccountchange",
     f"OLD.status <> 'pending' OR {_changed(CHANGE_REQUEST_COLUMNS)}", CHANGE_MESSAGE),
]


def _pg_row(ref: str, columns: list[str]) -> str:
    return "ROW(" + ", ".join(f"{ref}.{c}" for c in columns) + ")"


_refuse = base._pg_refuse

POSTGRES_FUNCTIONS = {
    **base.POSTGRES_FUNCTIONS,
    "payroll_run_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status IN {FROZEN} THEN
              {_refuse('payroll: an approved run cannot be deleted')}
            END IF;
            RETURN OLD;
          END IF;
          IF OLD.status = 'paid' OR (OLD.status = 'approved' AND (NEW.status NOT IN {FROZEN}
             OR {_pg_row('NEW', RUN_FROZEN_COLUMNS)} IS DISTINCT FROM
                {_pg_row('OLD', RUN_FROZEN_COLUMNS)})) THEN
            {_refuse('payroll: an approved run is immutable')}
          END IF;
          RETURN NEW;
        END""",
    "payroll_adjustment_guard": f"""
        BEGIN
          IF OLD.approved_by_id IS NOT NULL OR OLD.withdrawn_at IS NOT NULL THEN
            {_refuse(ADJUSTMENT_MESSAGE)}
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END""",
    # One check per statement: a run's 100,000 payments are inserted in one statement.
    "payroll_payment_guard": f"""
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM new_rows p JOIN payroll_run r ON r.id = p.run_id
                       WHERE r.status IN {LINES_FROZEN}) THEN
              {_refuse(PAYMENTS_MESSAGE)}
            END IF;
          ELSIF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM old_rows p JOIN payroll_run r ON r.id = p.run_id
                       WHERE r.status IN {LINES_FROZEN}) THEN
              {_refuse(PAYMENTS_MESSAGE)}
            END IF;
          ELSE
            IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                       JOIN payroll_run r ON r.id = o.run_id
                       WHERE r.status IN {FROZEN} OR (r.status = 'submitted' AND
                         {_pg_row('o', PAYMENT_FROZEN_COLUMNS)} IS DISTINCT FROM
                         {_pg_row('n', PAYMENT_FROZEN_COLUMNS)})) THEN
              {_refuse(PAYMENTS_MESSAGE)}
            END IF;
          END IF;
          RETURN NULL;
        END""",
    "payroll_suspension_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' OR OLD.lifted_at IS NOT NULL
             OR {_pg_row('NEW', SUSPENSION_COLUMNS)} IS DISTINCT FROM
                {_pg_row('OLD', SUSPENSION_COLUMNS)} THEN
            {_refuse(SUSPENSION_MESSAGE)}
          END IF;
          RETURN NEW;
        END""",
    "payroll_bankaccount_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' THEN
            {_refuse(ACCOUNT_MESSAGE)}
          END IF;
          IF (TG_OP = 'UPDATE' AND NEW.change_id IS NOT DISTINCT FROM OLD.change_id)
             OR NOT EXISTS (SELECT 1 FROM payroll_bankaccountchange c
                            WHERE c.id = NEW.change_id AND c.status = 'approved'
                              AND c.leader_id = NEW.leader_id
                              AND c.account_name = NEW.account_name
                              AND c.bank_name = NEW.bank_name
                              AND c.account_number = NEW.account_number) THEN
            {_refuse(ACCOUNT_MESSAGE)}
          END IF;
          RETURN NEW;
        END""",
    "payroll_bankaccountchange_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' OR OLD.status <> 'pending'
             OR {_pg_row('NEW', CHANGE_REQUEST_COLUMNS)} IS DISTINCT FROM
                {_pg_row('OLD', CHANGE_REQUEST_COLUMNS)} THEN
            {_refuse(CHANGE_MESSAGE)}
          END IF;
          RETURN NEW;
        END""",
}

NEW_POSTGRES_TRIGGERS = {
    "payroll_payment_guard_insert": (
        "payroll_payment", "AFTER INSERT ON payroll_payment REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION payroll_payment_guard()"),
    "payroll_payment_guard_update": (
        "payroll_payment", "AFTER UPDATE ON payroll_payment REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payroll_payment_guard()"),
    "payroll_payment_guard_delete": (
        "payroll_payment", "AFTER DELETE ON payroll_payment REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION payroll_payment_guard()"),
    "payroll_suspension_guard": (
        "payroll_suspension", "BEFORE UPDATE OR DELETE ON payroll_suspension "
        "FOR EACH ROW EXECUTE FUNCTION payroll_suspension_guard()"),
    "payroll_bankaccount_guard": (
        "payroll_bankaccount", "BEFORE INSERT OR UPDATE OR DELETE ON payroll_bankaccount "
        "FOR EACH ROW EXECUTE FUNCTION payroll_bankaccount_guard()"),
    "payroll_bankaccountchange_guard": (
        "payroll_bankaccountchange", "BEFORE UPDATE OR DELETE ON payroll_bankaccountchange "
        "FOR EACH ROW EXECUTE FUNCTION payroll_bankaccountchange_guard()"),
}


def _drop_sqlite(schema_editor, names) -> None:
    for name in names:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_sqlite(schema_editor, triggers) -> None:
    for trigger in triggers:
        schema_editor.execute(base._sqlite_trigger(*trigger))


def _pg_functions(schema_editor, functions: dict[str, str]) -> None:
    for name, body in functions.items():
        schema_editor.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                              f"LANGUAGE plpgsql AS $${body}$$")


def create_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _drop_sqlite(schema_editor, {t[0] for t in [*base.SQLITE, *SQLITE]})
        _create_sqlite(schema_editor, SQLITE)
    elif vendor == "postgresql":
        # PostgreSQL keeps 0002's triggers through 0003; the functions are replaced in place.
        _pg_functions(schema_editor, POSTGRES_FUNCTIONS)
        for name, (_table, definition) in NEW_POSTGRES_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {definition}")
    else:
        raise NotImplementedError(f"payroll triggers are written for SQLite and PostgreSQL, "
                                  f"not {vendor}")


def drop_triggers(apps, schema_editor) -> None:
    """Back to 0002's guards."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _drop_sqlite(schema_editor, {t[0] for t in SQLITE})
        _create_sqlite(schema_editor, base.SQLITE)
    elif vendor == "postgresql":
        for name, (table, _definition) in NEW_POSTGRES_TRIGGERS.items():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRES_FUNCTIONS.keys() - base.POSTGRES_FUNCTIONS.keys():
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        _pg_functions(schema_editor, base.POSTGRES_FUNCTIONS)


class Migration(migrations.Migration):

    dependencies = [
        ("payroll", "0003_netted_payments_bank_changes"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
