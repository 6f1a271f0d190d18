"""Recomputing an approved run from its lines, its events and its leader terms, for
`manage.py check_payroll`: what an auditor would check by hand, years later."""

import hashlib
from collections.abc import Iterator

from django.db.models import Model

from .models import Run, RunEvent, RunLine
from .money import ZERO, days_served, prorate, withhold

S = Run.Status
# what each event that moves the status may start from, and where it ends (exports keep
# the status)
EVENT_MOVES = {
    RunEvent.Action.CREATED: (("",), S.DRAFT), RunEvent.Action.REGENERATED: ((S.DRAFT,), S.DRAFT),
    RunEvent.Action.SUBMITTED: ((S.DRAFT,), S.SUBMITTED),
    RunEvent.Action.APPROVED: ((S.SUBMITTED,), S.APPROVED),
    RunEvent.Action.REJECTED: ((S.SUBMITTED,), S.DRAFT),
    RunEvent.Action.PAID: ((S.APPROVED,), S.PAID),
}


def move_problems(events, moves: dict, status_now: str, what: str) -> list[str]:
    """The status walk the events record, for a run or a distribution: each move from
    where the previous one left it, by an allowed step, ending in `status_now`."""
    problems, status = [], ""
    for event in events:
        starts, after = moves[event.action]
        if event.from_status != status or status not in starts or event.to_status != after:
            problems.append(f"event {event.pk} ({event.action}) moves {event.from_status!r} → "
                            f"{event.to_status!r} after {status!r}")
        status = event.to_status
    if status != status_now:
        problems.append(f"the events end in {status!r}, the {what} is {status_now!r}")
    return problems


def approval_problems(events: list[Model], approved: str, subject: Model,
                      figures: tuple[str, ...], what: str) -> list[str]:
    """The last `approved` event against `subject`, a run or a distribution: the `figures`
    it approved (fields of the same name on both) and its actor, the approver."""
    approvals = [event for event in events if event.action == approved]
    if not approvals:
        return ["no approval event"]
    event = approvals[-1]
    checks = [(name, getattr(event, name), getattr(subject, name)) for name in figures]
    checks.append(("approver", event.actor_id, subject.approved_by_id))
    return [f"approved with {name} {recorded}, the {what} says {actual}"
            for name, recorded, actual in checks if recorded != actual]


def audit_run(run: Run) -> list[str]:
    """Every way the run disagrees with itself; empty when it is sound."""
    problems = list(_line_problems(run))
    problems += _event_problems(run)
    problems += _export_problems(run)
    return problems


def _line_problems(run: Run) -> Iterator[str]:
    sums = {"base": ZERO, "withheld": ZERO, "adjustments": ZERO, "net": ZERO}
    count = 0
    lines = (run.lines.select_related("leader_term", "adjustment")
             .order_by("id").iterator(chunk_size=2000))
    for line in lines:
        count += 1
        for name in sums:
            sums[name] += getattr(line, name)
        for problem in _line_arithmetic(run, line):
            yield f"line {line.pk}: {problem}"
    stored = {"base": run.total_base, "withheld": run.total_withheld,
              "adjustments": run.total_adjustments, "net": run.total}
    for name, total in sums.items():
        if total != stored[name]:
            yield f"lines sum {name} to {total}, the run says {stored[name]}"
    if count != run.line_count:
        yield f"{count} lines, the run says {run.line_count}"


def _line_arithmetic(run: Run, line: RunLine) -> list[str]:
    if not line.live or line.period != run.period:
        return ["not a live line of the run's period"]
    if line.kind == RunLine.Kind.ADJUSTMENT:
        return _adjustment_line(run, line)
    return _stipend_line(run, line)


def _stipend_line(run: Run, line: RunLine) -> list[str]:
    term = line.leader_term
    expected_days = days_served(term.start_date, term.end_date, run.period)
    base = prorate(line.monthly_amount, line.days_served, line.days_in_month)
    withheld = ZERO if line.suspended else withhold(base, line.withholding_percent)
    net = ZERO if line.suspended else base - withheld
    checks = [("days served", line.days_served, expected_days), ("base", line.base, base),
              ("withheld", line.withheld, withheld), ("adjustments", line.adjustments, ZERO),
              ("net", line.net, net), ("leader", line.leader_id, term.user_id)]
    return [f"{name} is {actual}, recomputed {expected}"
            for name, actual, expected in checks if actual != expected]


def _adjustment_line(run: Run, line: RunLine) -> list[str]:
    adjustment = line.adjustment
    checks = [("adjustments", line.adjustments, adjustment.amount),
              ("net", line.net, adjustment.amount), ("base", line.base, ZERO),
              ("leader", line.leader_id, adjustment.leader_id),
              ("adjustment approver", adjustment.approved_by_id, run.approved_by_id)]
    return [f"{name} is {actual}, expected {expected}"
            for name, actual, expected in checks if actual != expected]


def _event_problems(run: Run) -> list[str]:
    moves = [e for e in run.events.order_by("id") if e.action in EVENT_MOVES]
    return (move_problems(moves, EVENT_MOVES, run.status, "run")
            + approval_problems(moves, RunEvent.Action.APPROVED, run, ("total", "line_count"),
                                "run"))


def _export_problems(run: Run) -> list[str]:
    return [f"{export.format} bank file does not match its sha256"
            for export in run.exports.all()
            if hashlib.sha256(bytes(export.content)).hexdigest() != export.sha256]


def runs_to_check() -> Iterator[Run]:
    return (Run.objects.filter(status__in=Run.FROZEN).select_related("region")
            .order_by("id").iterator())
