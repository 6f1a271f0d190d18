"""StaffRole moves here from accounts (accounts 0003), keeping its table and rows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_staffrole_moves_to_gridapp'),
        ('gridapp', '0004_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='StaffRole',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('dispatcher', 'command-centre dispatcher'), ('handler', 'department handler'), ('finance', 'finance staff'), ('admin', 'administrator')], max_length=16, verbose_name='role')),
                        ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='staff_roles', to='gridapp.department', verbose_name='department')),
                        ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='gridapp.region', verbose_name='region')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff_roles', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'staff role',
                        'verbose_name_plural': 'staff roles',
                        'db_table': 'accounts_staffrole',
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('region__isnull', False), ('role__in', ['dispatcher', 'finance'])), models.Q(('department__isnull', False), ('region__isnull', True), ('role', 'handler')), models.Q(('department__isnull', True), ('role', 'admin')), _connector='OR'), name='staffrole_scope_matches_role')],
                    },
                ),
            ],
        ),
    ]
