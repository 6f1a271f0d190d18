from django.core.management.base import BaseCommand

from config.demo import build_demo_world


class Command(BaseCommand):
    help = "Load the demo world of DEMO.md (idempotent: running it twice changes nothing)."

    def handle(self, *args, **options) -> None:
        build_demo_world()
        self.stdout.write(self.style.SUCCESS("Demo world ready."))
