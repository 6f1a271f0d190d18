from django.core.management.base import BaseCommand, CommandError

from payroll.audit import audit_run, runs_to_check


class Command(BaseCommand):
    help = ("Recompute every approved and paid run from its lines, events, leader terms and "
            "bank files, and report any mismatch (exit status 1 if there is one).")

    def handle(self, *args, **options) -> None:
        checked, failed = 0, 0
        for run in runs_to_check():
            checked += 1
            problems = audit_run(run)
            if problems:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{run.number}: {len(problems)} mismatch(es)"))
                for problem in problems:
                    self.stdout.write(f"  {problem}")
        if failed:
            raise CommandError(f"{failed} of {checked} approved runs do not reconcile.")
        self.stdout.write(self.style.SUCCESS(f"{checked} approved runs reconcile."))
