from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from accounts.models import User
from config.api.errors import DomainError
from gridapp.models import Region
from payroll import services
from payroll.models import Run
from payroll.money import parse_period


class ProgressBar:
    """`[##########..........] 2/4 chunks` on one line of a terminal."""

    def __init__(self, stream: OutputWrapper, label: str, width: int = 30) -> None:
        self.stream, self.label, self.width = stream, label, width

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{done}/{total} chunks", ending="\n" if done >= total else "")
        self.stream.flush()


class Command(BaseCommand):
    help = ("Generate (or with --regenerate, recompute) the draft payroll run of a month for a "
            "region, with a progress bar. Without --actor the run is prepared by the system, as "
            "the monthly scheduled task does.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--region", required=True, help="12-digit division code")
        parser.add_argument("--actor", help="username of the finance staff preparing it")
        parser.add_argument("--regenerate", action="store_true",
                            help="recompute the existing draft instead of creating one")

    def handle(self, *args, period: str, region: str, actor: str | None, regenerate: bool,
               **options) -> None:
        month, area = self._period(period), self._region(region)
        user = User.objects.get(username=actor) if actor else None
        bar = ProgressBar(self.stderr, f"{area.name} {period}") if options["verbosity"] else None
        try:
            if regenerate:
                run = Run.objects.get(period=month, region=area, status=Run.Status.DRAFT)
                run = services.regenerate_run(run, actor=user, progress=bar)
            else:
                run = services.create_run(period=month, region=area, actor=user, progress=bar)
        except (DomainError, Run.DoesNotExist) as exc:
            raise CommandError(str(exc))
        self.stdout.write(self.style.SUCCESS(
            f"{run.number}: {run.line_count} lines, total {run.total}"))

    def _period(self, text: str):
        try:
            return parse_period(text)
        except ValueError as exc:
            raise CommandError(str(exc))

    def _region(self, code: str) -> Region:
        try:
            return Region.objects.get(code=code)
        except Region.DoesNotExist:
            raise CommandError(f"No region with code {code}.")
