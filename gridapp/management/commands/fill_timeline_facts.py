import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from gridapp.models import Report, ReportEvent

# the migration that added the facts holds the one way of reading them from the events
MIGRATION = importlib.import_module("gridapp.migrations.0015_report_timeline_facts")


class Command(BaseCommand):
    help = ("Fill every report's timeline facts (first accept, close, reopened) from its "
            "events again, as migration 0015 did: after a release, for the transitions the "
            "old code made while the migration ran. Idempotent.")

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            MIGRATION.fill(Report, ReportEvent)
        self.stdout.write(f"Filled the timeline facts of {Report.objects.count()} report(s).")
