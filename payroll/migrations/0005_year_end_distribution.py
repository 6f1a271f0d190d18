"""The year-end distribution (issue 16): its tables, and the database guards that make
what was published, approved or paid unchangeable (below the generated operations)."""

import importlib

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gridapp', '0006_grid_history'),
        ('payroll', '0004_guards_for_payments_and_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Distribution',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=40, unique=True, verbose_name='number')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('status', models.CharField(choices=[('draft', 'draft'), ('published', 'published (public notice)'), ('submitted', 'submitted'), ('approved', 'approved'), ('paid', 'paid'), ('cancelled', 'cancelled')], default='draft', max_length=16, verbose_name='status')),
                ('as_of', models.DateField(verbose_name='scores as of')),
                ('withheld_pool', models.DecimalField(decimal_places=2, max_digits=13, verbose_name="withheld from the year's monthly lines")),
                ('extra_pool', models.DecimalField(decimal_places=2, max_digits=13, verbose_name='extra budget')),
                ('pool', models.DecimalField(decimal_places=2, max_digits=13, verbose_name='pool')),
                ('share_count', models.PositiveIntegerField(default=0, verbose_name='shares')),
                ('payment_count', models.PositiveIntegerField(default=0, verbose_name='payments')),
                ('policy', models.JSONField(default=dict, verbose_name='scoring policy')),
                ('publish_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='notice days')),
                ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='published at')),
                ('notice_ends_at', models.DateTimeField(blank=True, null=True, verbose_name='notice ends at')),
                ('prepared_at', models.DateTimeField(verbose_name='prepared at')),
                ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted at')),
                ('approved_at', models.DateTimeField(blank=True, null=True, verbose_name='approved at')),
                ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='paid at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by')),
                ('paid_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='marked paid by')),
                ('prepared_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='prepared by')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='published by')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='year_end_distributions', to='gridapp.region', verbose_name='region')),
                ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='submitted by')),
            ],
            options={
                'verbose_name': 'year-end distribution',
                'verbose_name_plural': 'year-end distributions',
                'ordering': ['-year', 'region__code', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Appeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='reason')),
                ('status', models.CharField(choices=[('open', 'open'), ('upheld', 'upheld'), ('dismissed', 'dismissed'), ('closed', 'closed with its distribution')], default='open', max_length=16, verbose_name='status')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_note', models.TextField(blank=True, verbose_name='decision note')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('leader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='year_end_appeals', to=settings.AUTH_USER_MODEL, verbose_name='leader')),
                ('distribution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appeals', to='payroll.distribution', verbose_name='distribution')),
            ],
            options={
                'verbose_name': 'year-end appeal',
                'verbose_name_plural': 'year-end appeals',
                'ordering': ['distribution', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DistributionEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('created', 'created'), ('published', 'published'), ('appealed', 'appealed'), ('appeal_upheld', 'appeal upheld'), ('appeal_dismissed', 'appeal dismissed'), ('submitted', 'submitted'), ('approved', 'approved'), ('paid', 'marked paid'), ('cancelled', 'cancelled'), ('exported', 'exported')], max_length=20, verbose_name='action')),
                ('from_status', models.CharField(blank=True, max_length=16, verbose_name='from status')),
                ('to_status', models.CharField(max_length=16, verbose_name='to status')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('pool', models.DecimalField(decimal_places=2, max_digits=13, verbose_name='pool')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('appeal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='payroll.appeal', verbose_name='appeal')),
                ('distribution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='payroll.distribution', verbose_name='distribution')),
            ],
            options={
                'verbose_name': 'year-end event',
                'verbose_name_plural': 'year-end events',
                'ordering': ['distribution', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DistributionExport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'XLSX')], max_length=8, verbose_name='format')),
                ('template', models.CharField(default='standard', max_length=32, verbose_name='template')),
                ('full_account_numbers', models.BooleanField(default=False, verbose_name='full account numbers')),
                ('content', models.BinaryField(verbose_name='content')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('size', models.PositiveIntegerField(verbose_name='size (bytes)')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('distribution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exports', to='payroll.distribution', verbose_name='distribution')),
            ],
            options={
                'verbose_name': 'year-end file',
                'verbose_name_plural': 'year-end files',
            },
        ),
        migrations.CreateModel(
            name='Share',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('days_served', models.PositiveSmallIntegerField(verbose_name='days served')),
                ('score', models.DecimalField(decimal_places=6, max_digits=12, verbose_name='score')),
                ('breakdown', models.JSONField(default=dict, verbose_name='score breakdown')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=13, verbose_name='share')),
                ('distribution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='shares', to='payroll.distribution', verbose_name='distribution')),
                ('grid', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='gridapp.grid', verbose_name='grid')),
                ('leader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='year_end_shares', to=settings.AUTH_USER_MODEL, verbose_name='leader')),
                ('leader_term', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='year_end_shares', to='gridapp.leaderterm', verbose_name='leader term')),
            ],
            options={
                'verbose_name': 'year-end share',
                'verbose_name_plural': 'year-end shares',
                'ordering': ['distribution', 'leader_term_id'],
            },
        ),
        migrations.CreateModel(
            name='YearEndPayment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField(verbose_name='position in the bank file')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=13, verbose_name='amount paid')),
                ('line_count', models.PositiveIntegerField(verbose_name='shares')),
                ('days_served', models.PositiveIntegerField(default=0, verbose_name='days served')),
                ('account_name', models.CharField(blank=True, max_length=64, verbose_name='account holder')),
                ('bank_name', models.CharField(blank=True, max_length=128, verbose_name='bank')),
                ('account_number', models.CharField(blank=True, max_length=34, verbose_name='account number')),
                ('bank_account_change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payroll.bankaccountchange', verbose_name='bank details from')),
                ('distribution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='payroll.distribution', verbose_name='distribution')),
                ('grid', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='gridapp.grid', verbose_name='grid')),
                ('leader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='payee')),
            ],
            options={
                'verbose_name': 'year-end payment',
                'verbose_name_plural': 'year-end payments',
                'ordering': ['distribution', 'position'],
            },
        ),
        migrations.AddConstraint(
            model_name='distribution',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published', 'submitted', 'approved', 'paid', 'cancelled'])), name='payroll_ye_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='distribution',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'cancelled'), _negated=True), fields=('year', 'region'), name='payroll_ye_one_live_per_year_region'),
        ),
        migrations.AddConstraint(
            model_name='distribution',
            constraint=models.CheckConstraint(condition=models.Q(('pool', django.db.models.expressions.CombinedExpression(models.F('withheld_pool'), '+', models.F('extra_pool'))), ('extra_pool__gte', 0), ('withheld_pool__gte', 0)), name='payroll_ye_pool_sum'),
        ),
        migrations.AddConstraint(
            model_name='distribution',
            constraint=models.CheckConstraint(condition=models.Q(('approved_by__isnull', True), models.Q(models.Q(('approved_by', models.F('prepared_by')), _negated=True), models.Q(('approved_by', models.F('submitted_by')), _negated=True)), _connector='OR'), name='payroll_ye_maker_checker'),
        ),
        migrations.AddConstraint(
            model_name='distribution',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['approved', 'paid']), _negated=True), models.Q(('approved_at__isnull', False), ('approved_by__isnull', False), ('published_at__isnull', False), ('submitted_by__isnull', False)), _connector='OR'), name='payroll_ye_approval_recorded'),
        ),
        migrations.AddConstraint(
            model_name='appeal',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'upheld', 'dismissed', 'closed'])), name='payroll_ye_appeal_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='appeal',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('status', 'open')), models.Q(models.Q(('status', 'open'), _negated=True), ('decided_at__isnull', False)), _connector='OR'), name='payroll_ye_appeal_decision_recorded'),
        ),
        migrations.AddConstraint(
            model_name='distributionexport',
            constraint=models.UniqueConstraint(fields=('distribution', 'format', 'template', 'full_account_numbers'), name='payroll_ye_export_one_per_template'),
        ),
        migrations.AddConstraint(
            model_name='share',
            constraint=models.UniqueConstraint(fields=('distribution', 'leader_term'), name='payroll_ye_share_one_per_term'),
        ),
        migrations.AddConstraint(
            model_name='share',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0), ('score__gte', 0)), name='payroll_ye_share_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='yearendpayment',
            constraint=models.UniqueConstraint(fields=('distribution', 'leader'), name='payroll_ye_payment_one_per_payee'),
        ),
        migrations.AddConstraint(
            model_name='yearendpayment',
            constraint=models.UniqueConstraint(fields=('distribution', 'position'), name='payroll_ye_payment_position_unique'),
        ),
        migrations.AddConstraint(
            model_name='yearendpayment',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='payroll_ye_payment_not_negative'),
        ),
    ]


# --- Immutability in the database itself, as for monthly runs (0002, 0004) ----------------
#
# - An approved distribution may only become paid; a paid one changes no more; only a
#   draft is ever deleted.
# - Shares are written in draft only: from publication (公示) on, what leaders were shown
#   is what is submitted, approved and paid.
# - Payments are inserted and deleted in draft only; after that only the bank details
#   approval copies may be written, and once approved nothing.
# - A decided appeal never changes; no appeal is deleted. Events and files are append-only.

base = importlib.import_module("payroll.migrations.0002_immutability_triggers")

FROZEN = base.FROZEN
DIST_FROZEN_COLUMNS = [
    "id", "number", "year", "region_id", "as_of", "withheld_pool", "extra_pool", "pool",
    "share_count", "payment_count", "policy", "publish_days", "published_by_id",
    "published_at", "notice_ends_at", "prepared_by_id", "prepared_at", "submitted_by_id",
    "submitted_at", "approved_by_id", "approved_at", "created_at",
]
PAYMENT_FROZEN_COLUMNS = ["id", "distribution_id", "position", "leader_id", "grid_id",
                          "amount", "line_count", "days_served"]
DIST_MESSAGE = "payroll: an approved distribution is immutable"
SHARES_MESSAGE = "payroll: shares are written in draft only"
PAYMENTS_MESSAGE = "payroll: year-end payments change only by the copy of bank details at approval"
APPEAL_MESSAGE = "payroll: a decided appeal is history"


def _status(ref: str) -> str:
    return f"(SELECT status FROM payroll_distribution WHERE id = {ref}.distribution_id)"


SQLITE = [
    ("payroll_ye_frozen_update", "BEFORE UPDATE", "payroll_distribution",
     f"OLD.status = 'paid' OR (OLD.status = 'approved' AND (NEW.status NOT IN {FROZEN} OR "
     f"{base._sqlite_changed(DIST_FROZEN_COLUMNS)}))", DIST_MESSAGE),
    ("payroll_ye_frozen_delete", "BEFORE DELETE", "payroll_distribution",
     "OLD.status <> 'draft'", DIST_MESSAGE),
    ("payroll_ye_share_insert", "BEFORE INSERT", "payroll_share",
     f"{_status('NEW')} <> 'draft'", SHARES_MESSAGE),
    ("payroll_ye_share_update", "BEFORE UPDATE", "payroll_share",
     f"{_status('OLD')} <> 'draft' OR {_status('NEW')} <> 'draft'", SHARES_MESSAGE),
    ("payroll_ye_share_delete", "BEFORE DELETE", "payroll_share",
     f"{_status('OLD')} <> 'draft'", SHARES_MESSAGE),
    ("payroll_ye_payment_insert", "BEFORE INSERT", "payroll_yearendpayment",
     f"{_status('NEW')} <> 'draft'", PAYMENTS_MESSAGE),
    ("payroll_ye_payment_update", "BEFORE UPDATE", "payroll_yearendpayment",
     f"{_status('OLD')} IN {FROZEN} OR ({_status('OLD')} <> 'draft' AND "
     f"({base._sqlite_changed(PAYMENT_FROZEN_COLUMNS)}))", PAYMENTS_MESSAGE),
    ("payroll_ye_payment_delete", "BEFORE DELETE", "payroll_yearendpayment",
     f"{_status('OLD')} <> 'draft'", PAYMENTS_MESSAGE),
    ("payroll_ye_appeal_update", "BEFORE UPDATE", "payroll_appeal",
     "OLD.status <> 'open'", APPEAL_MESSAGE),
    ("payroll_ye_appeal_delete", "BEFORE DELETE", "payroll_appeal", "1", APPEAL_MESSAGE),
    ("payroll_ye_event_update", "BEFORE UPDATE", "payroll_distributionevent", "1",
     "payroll: year-end events are append-only"),
    ("payroll_ye_event_delete", "BEFORE DELETE", "payroll_distributionevent", "1",
     "payroll: year-end events are append-only"),
    ("payroll_ye_export_update", "BEFORE UPDATE", "payroll_distributionexport", "1",
     "payroll: year-end files are append-only"),
    ("payroll_ye_export_delete", "BEFORE DELETE", "payroll_distributionexport", "1",
     "payroll: year-end files are append-only"),
]


def _refuse(message: str) -> str:
    return base._pg_refuse(message)


def _pg_row(ref: str, columns: list[str]) -> str:
    return "ROW(" + ", ".join(f"{ref}.{c}" for c in columns) + ")"


def _pg_join_status(rows: str) -> str:
    return (f"SELECT 1 FROM {rows} x JOIN payroll_distribution d ON d.id = x.distribution_id "
            f"WHERE d.status <> 'draft'")


POSTGRES_FUNCTIONS = {
    "payroll_ye_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN {_refuse(DIST_MESSAGE)} END IF;
            RETURN OLD;
          END IF;
          IF OLD.status = 'paid' OR (OLD.status = 'approved' AND (NEW.status NOT IN {FROZEN}
             OR {_pg_row('NEW', DIST_FROZEN_COLUMNS)}::text
                IS DISTINCT FROM {_pg_row('OLD', DIST_FROZEN_COLUMNS)}::text)) THEN
            {_refuse(DIST_MESSAGE)}
          END IF;
          RETURN NEW;
        END""",
    # statement triggers over transition tables: 100,000 shares cost one check
    "payroll_ye_share_guard": f"""
        BEGIN
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF EXISTS ({_pg_join_status('new_rows')}) THEN {_refuse(SHARES_MESSAGE)} END IF;
          END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF EXISTS ({_pg_join_status('old_rows')}) THEN {_refuse(SHARES_MESSAGE)} END IF;
          END IF;
          RETURN NULL;
        END""",
    "payroll_ye_payment_guard": f"""
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS ({_pg_join_status('new_rows')}) THEN {_refuse(PAYMENTS_MESSAGE)} END IF;
          END IF;
          IF TG_OP = 'DELETE' THEN
            IF EXISTS ({_pg_join_status('old_rows')}) THEN {_refuse(PAYMENTS_MESSAGE)} END IF;
          END IF;
          IF TG_OP = 'UPDATE' THEN
            IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                       JOIN payroll_distribution d ON d.id = o.distribution_id
                       WHERE d.status IN {FROZEN}
                          OR (d.status <> 'draft'
                              AND {_pg_row('o', PAYMENT_FROZEN_COLUMNS)}
                                  IS DISTINCT FROM {_pg_row('n', PAYMENT_FROZEN_COLUMNS)})) THEN
              {_refuse(PAYMENTS_MESSAGE)}
            END IF;
          END IF;
          RETURN NULL;
        END""",
    "payroll_ye_appeal_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' OR OLD.status <> 'open' THEN {_refuse(APPEAL_MESSAGE)} END IF;
          RETURN NEW;
        END""",
}


def _statement(table: str, function: str) -> dict[str, tuple[str, str]]:
    return {
        f"{function}_insert": (table, f"AFTER INSERT ON {table} REFERENCING NEW TABLE AS "
                               f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()"),
        f"{function}_update": (table, f"AFTER UPDATE ON {table} REFERENCING OLD TABLE AS "
                               f"old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
                               f"EXECUTE FUNCTION {function}()"),
        f"{function}_delete": (table, f"AFTER DELETE ON {table} REFERENCING OLD TABLE AS "
                               f"old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()"),
    }


POSTGRES_TRIGGERS = {
    "payroll_ye_guard": ("payroll_distribution", "BEFORE UPDATE OR DELETE ON "
                         "payroll_distribution FOR EACH ROW EXECUTE FUNCTION payroll_ye_guard()"),
    **_statement("payroll_share", "payroll_ye_share_guard"),
    **_statement("payroll_yearendpayment", "payroll_ye_payment_guard"),
    "payroll_ye_appeal_guard": ("payroll_appeal", "BEFORE UPDATE OR DELETE ON payroll_appeal "
                                "FOR EACH ROW EXECUTE FUNCTION payroll_ye_appeal_guard()"),
    "payroll_ye_event_append_only": (
        "payroll_distributionevent", "BEFORE UPDATE OR DELETE ON payroll_distributionevent "
        "FOR EACH ROW EXECUTE FUNCTION payroll_append_only()"),
    "payroll_ye_export_append_only": (
        "payroll_distributionexport", "BEFORE UPDATE OR DELETE ON payroll_distributionexport "
        "FOR EACH ROW EXECUTE FUNCTION payroll_append_only()"),
}


def create_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for trigger in SQLITE:
            schema_editor.execute(base._sqlite_trigger(*trigger))
    elif vendor == "postgresql":
        for name, body in POSTGRES_FUNCTIONS.items():
            schema_editor.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                                  f"LANGUAGE plpgsql AS $${body}$$")
        for name, (_table, definition) in POSTGRES_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {definition}")
    else:
        raise NotImplementedError(f"payroll triggers are written for SQLite and PostgreSQL, "
                                  f"not {vendor}")


def drop_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name, *_rest in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        for name, (table, _definition) in POSTGRES_TRIGGERS.items():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRES_FUNCTIONS:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


Migration.operations.append(migrations.RunPython(create_triggers, drop_triggers))
