import importlib

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gridapp.models import Photo, Report, ReportEvent

# The migrations that added facts kept on the report hold the one way of reading them.
FILLS = {
    "timeline": lambda: importlib.import_module(
        "gridapp.migrations.0015_report_timeline_facts").fill(Report, ReportEvent),
    "photos": lambda: importlib.import_module(
        "gridapp.migrations.0017_report_photo_count").fill(Report, Photo),
}


class Command(BaseCommand):
    help = ("Fill the facts every report keeps again, as the migrations that added them did: "
            "its timeline facts (first accept, close, reopened; 0015), its photos' count and "
            "first thumbnail (0017). After a release, for what the old code did while the "
            "migrations ran. Idempotent.")

    def add_arguments(self, parser) -> None:
        # no `choices`: argparse would refuse the empty default of nargs="*"
        parser.add_argument("facts", nargs="*",
                            help=f"which: {', '.join(sorted(FILLS))} (default: all)")

    def handle(self, *args, facts: list[str], **options) -> None:
        chosen = facts or sorted(FILLS)
        if unknown := set(chosen) - set(FILLS):
            raise CommandError(f"No such facts: {', '.join(sorted(unknown))}.")
        with transaction.atomic():
            for name in chosen:
                FILLS[name]()
        self.stdout.write(f"Filled the report facts ({', '.join(chosen)}) of "
                          f"{Report.objects.count()} report(s).")
