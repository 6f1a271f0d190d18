from django.core.management.base import BaseCommand, CommandError

from payroll.audit import audit_run, runs_to_check
from payroll.yearend.audit import audit_distribution, distributions_to_check


class Command(BaseCommand):
    help = ("Recompute every approved and paid monthly run and year-end distribution from "
            "what it stored (lines or shares, events, leader terms, bank files) and report "
            "any mismatch (exit status 1 if there is one).")

    def handle(self, *args, **options) -> None:
        runs = self._check("approved runs", runs_to_check(), audit_run)
        distributions = self._check("approved year-end distributions",
                                    distributions_to_check(), audit_distribution)
        failures = [outcome for outcome in (runs, distributions) if outcome]
        if failures:
            raise CommandError(" ".join(failures))

    def _check(self, what: str, records, audit) -> str:
        """Audit each record, printing its problems; a summary line, or the failure."""
        checked, failed = 0, 0
        for record in records:
            checked += 1
            problems = audit(record)
            if problems:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{record.number}: {len(problems)} "
                                                   f"mismatch(es)"))
                for problem in problems:
                    self.stdout.write(f"  {problem}")
        if failed:
            return f"{failed} of {checked} {what} do not reconcile."
        self.stdout.write(self.style.SUCCESS(f"{checked} {what} reconcile."))
        return ""
