from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.demo import build_demo_world

OVERRIDE = "--i-know-this-is-not-production"


class Command(BaseCommand):
    help = ("Load the demo world of docs/demo.md (idempotent: running it twice changes "
            "nothing). Refused with DEBUG off: it creates the superuser admin/admin and gives "
            "the staff the console password gridlink-demo.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(OVERRIDE, action="store_true", dest="not_production",
                            help="Load it although DEBUG is off (a staging database).")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "DEBUG is off, so this looks like production: the demo world would add the "
                "superuser admin/admin and demo users anyone can sign in as (staff with the "
                "console password gridlink-demo). Refused. On a "
                f"database that is not production, run `seed_demo {OVERRIDE}`.")
        build_demo_world()
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
