"""StaffRole is domain, not identity: it moves to gridapp (gridapp 0005) and keeps its
table, `accounts_staffrole`. Only Django's idea of which app owns it changes here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='StaffRole')],
            database_operations=[],
        ),
    ]
