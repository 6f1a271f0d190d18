from django.core.management.base import BaseCommand

from gridapp.services import notifications


class Command(BaseCommand):
    help = ("Send the pending WeChat notifications that are due (for cron, beside or instead "
            "of the Celery beat task): those queued while the broker was down, and retries.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=1000,
                            help="at most this many messages in one run (default 1000)")

    def handle(self, *args, limit: int, **options) -> None:
        counts = notifications.relay_pending(limit=limit)
        summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        self.stdout.write(f"Relayed {sum(counts.values())} notification(s)"
                          + (f": {summary}." if summary else "."))
