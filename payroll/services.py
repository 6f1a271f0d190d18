"""Payroll actions: policies, runs and their transitions, adjustments, suspensions, bank
files. The API, the admin, the scheduled task and the management commands all call these.

Every transition locks the run, re-checks its status, moves it with a conditional UPDATE
(rowcount checked) and writes a `RunEvent` with the totals, all in one transaction.
"""

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Conflict, DomainError, Forbidden, InvalidTransition
from gridapp.models import Grid, LeaderTerm, Region
from gridapp.selectors.roles import roles_of

from . import exports, generation
from .models import (Adjustment, Run, RunEvent, RunExport, RunLine, StipendPolicy,
                     Suspension)
from .money import month_end, round_money

S = Run.Status


class RunExists(Conflict):
    default_code = "run_exists"
    default_detail = _("A live run for this period and region already exists.")


class RunOverlaps(Conflict):
    default_code = "run_overlaps"
    default_detail = _("A live run for this period covers an overlapping region.")


class MakerChecker(Forbidden):
    default_code = "maker_checker"
    default_detail = _("The approver must be neither the preparer nor the submitter.")


class NoPolicy(DomainError):
    default_code = "no_policy"
    default_detail = _("No stipend policy applies to this region in this period.")


class RunNotApproved(Conflict):
    default_code = "run_not_approved"
    default_detail = _("Only approved or paid runs have a bank file.")


class PolicyRetroactive(Conflict):
    default_code = "policy_retroactive"
    default_detail = _("A policy cannot change months that were already submitted or approved.")


class NotALeader(DomainError):
    default_code = "not_a_leader"
    default_detail = _("This user led no grid in that period.")


class GridRequired(DomainError):
    default_code = "grid_required"
    default_detail = _("The leader led several grids in that period: say which one.")


class MonthClosed(Conflict):
    default_code = "month_closed"
    default_detail = _("This leader's stipend for that month is already submitted or approved; "
                       "correct it with an adjustment.")


def require_finance(actor: User | None, region: Region) -> None:
    """Finance staff over `region` (or an administrator); None is the scheduler."""
    if actor is not None and not roles_of(actor).finances(region.code):
        raise Forbidden(_("Only finance staff of this region can do this."))


# --- Policies ---------------------------------------------------------------------------

@transaction.atomic
def create_policy(*, region: Region, effective_from: dt.date, monthly_amount: Decimal,
                  withholding_percent: Decimal = Decimal("0.00"),
                  actor: User | None) -> StipendPolicy:
    """A new policy from a month on. Months whose run left draft keep what they had."""
    require_finance(actor, region)
    policy = StipendPolicy(region=region, effective_from=effective_from,
                           monthly_amount=monthly_amount,
                           withholding_percent=withholding_percent, created_by=actor)
    policy.full_clean()
    check_policy_start(region, effective_from)
    policy.save()
    return policy


def check_policy_start(region: Region, effective_from: dt.date) -> None:
    """A policy may not start in a month whose run for an overlapping region already left
    draft: approved months never change retroactively."""
    if _runs_overlapping(region, Q(period__gte=effective_from)).exclude(status=S.DRAFT).exists():
        raise PolicyRetroactive()


# --- Runs -------------------------------------------------------------------------------

def _runs_overlapping(region: Region, period_q: Q) -> QuerySet[Run]:
    """Live runs for regions above, at or below `region`."""
    regions = (Q(region__code__in=generation.ancestor_codes(region))
               | Q(region__code__startswith=region.prefix))
    return Run.objects.filter(period_q, regions).exclude(status=S.CANCELLED)


def _run_number(period: dt.date, region: Region) -> str:
    """PR202611-450502001001-1: period, region, and which attempt for them."""
    attempt = Run.objects.filter(period=period, region=region).count() + 1
    return f"PR{period:%Y%m}-{region.code}-{attempt}"


@transaction.atomic
def create_run(*, period: dt.date, region: Region, actor: User | None,
               progress: generation.Progress | None = None) -> Run:
    """A draft run with its lines and totals. `actor=None` is the monthly scheduled task."""
    require_finance(actor, region)
    if not generation.has_policy(region, period):
        raise NoPolicy()
    overlapping = _runs_overlapping(region, Q(period=period))
    if overlapping.filter(region=region).exists():
        raise RunExists()
    if overlapping.exists():
        raise RunOverlaps()
    try:
        with transaction.atomic():
            run = Run.objects.create(number=_run_number(period, region), period=period,
                                     region=region, prepared_by=actor, prepared_at=timezone.now())
    except IntegrityError:  # a concurrent request created it first
        raise RunExists()
    _generate(run, progress=progress)
    _record(run, RunEvent.Action.CREATED, "", actor)
    return run


def _generate(run: Run, *, progress: generation.Progress | None) -> None:
    """Write the lines and store their totals on the run."""
    try:
        with transaction.atomic():
            generation.insert_stipend_lines(run, progress=progress)
            generation.insert_adjustment_lines(run)
    except IntegrityError:  # a live line of another run already claims a term
        raise RunOverlaps()
    fields = generation.totals(run).as_run_fields()
    Run.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


@transaction.atomic
def regenerate_run(run: Run, *, actor: User | None,
                   progress: generation.Progress | None = None) -> Run:
    """Recompute a draft from today's terms, policies, suspensions and adjustments. Whoever
    regenerates becomes its preparer."""
    run = _locked(run)
    require_finance(actor, run.region)
    if run.status != S.DRAFT:
        raise InvalidTransition()
    RunLine.objects.filter(run=run).delete()
    now = timezone.now()
    Run.objects.filter(pk=run.pk, status=S.DRAFT).update(prepared_by=actor, prepared_at=now)
    run.prepared_by, run.prepared_at = actor, now
    _generate(run, progress=progress)
    _record(run, RunEvent.Action.REGENERATED, S.DRAFT, actor)
    return run


# action → (statuses it may start from, status it ends in, event)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "submit": ((S.DRAFT,), S.SUBMITTED, RunEvent.Action.SUBMITTED),
    "approve": ((S.SUBMITTED,), S.APPROVED, RunEvent.Action.APPROVED),
    "reject": ((S.SUBMITTED,), S.DRAFT, RunEvent.Action.REJECTED),
    "mark_paid": ((S.APPROVED,), S.PAID, RunEvent.Action.PAID),
    "cancel": ((S.DRAFT, S.SUBMITTED), S.CANCELLED, RunEvent.Action.CANCELLED),
}


def _locked(run: Run) -> Run:
    """The run re-read under a row lock: concurrent transitions queue behind each other."""
    return Run.objects.select_for_update().select_related("region").get(pk=run.pk)


def _move(run: Run, action: str, *, actor: User | None, note: str = "", **fields) -> Run:
    """Change the status if it still is what the action starts from, and record it."""
    starts, after, event = TRANSITIONS[action]
    before = run.status
    if before not in starts:
        raise InvalidTransition()
    if not Run.objects.filter(pk=run.pk, status=before).update(status=after, **fields):
        raise InvalidTransition()  # changed under us despite the lock (never on PostgreSQL)
    run.status = after
    for name, value in fields.items():
        setattr(run, name, value)
    _record(run, event, before, actor, note=note)
    return run


def _record(run: Run, action: str, before: str, actor: User | None, note: str = "") -> None:
    RunEvent.objects.create(run=run, action=action, from_status=before, to_status=run.status,
                            actor=actor, at=timezone.now(), total=run.total,
                            line_count=run.line_count, note=note)


@transaction.atomic
def submit_run(run: Run, *, actor: User) -> Run:
    run = _locked(run)
    require_finance(actor, run.region)
    return _move(run, "submit", actor=actor, submitted_by=actor, submitted_at=timezone.now())


@transaction.atomic
def approve_run(run: Run, *, actor: User) -> Run:
    """Approve a submitted run: not by its preparer, its submitter, or the preparer of
    an adjustment it carries. Approving it approves those adjustments."""
    run = _locked(run)
    require_finance(actor, run.region)
    if run.status not in TRANSITIONS["approve"][0]:
        raise InvalidTransition()
    if actor.pk in (run.prepared_by_id, run.submitted_by_id):
        raise MakerChecker()
    if run.lines.filter(adjustment__prepared_by=actor).exists():
        raise MakerChecker(_("The approver prepared an adjustment in this run."))
    now = timezone.now()
    _move(run, "approve", actor=actor, approved_by=actor, approved_at=now)
    Adjustment.objects.filter(lines__run=run, approved_by__isnull=True).update(
        approved_by=actor, approved_at=now)
    return run


@transaction.atomic
def reject_run(run: Run, *, actor: User, reason: str) -> Run:
    """Back to draft with the reason; whoever submits it next is its submitter."""
    run = _locked(run)
    require_finance(actor, run.region)
    if not reason.strip():
        raise DomainError(_("A rejection needs a reason."), code="reason_required")
    return _move(run, "reject", actor=actor, note=reason.strip(), submitted_by=None,
                 submitted_at=None)


@transaction.atomic
def mark_run_paid(run: Run, *, actor: User) -> Run:
    run = _locked(run)
    require_finance(actor, run.region)
    return _move(run, "mark_paid", actor=actor, paid_by=actor, paid_at=timezone.now())


@transaction.atomic
def cancel_run(run: Run, *, actor: User, reason: str = "") -> Run:
    """Cancel a draft or submitted run: its lines stop claiming their terms and
    adjustments, so a new run (or the next one) can take them."""
    run = _locked(run)
    require_finance(actor, run.region)
    _move(run, "cancel", actor=actor, note=reason.strip())
    RunLine.objects.filter(run=run).update(live=False)
    return run


# --- Scheduled drafts -------------------------------------------------------------------

def policy_roots(period: dt.date) -> list[Region]:
    """Regions with a policy in force in `period` that lie under no other such region:
    one run each covers every leader with a policy."""
    regions = {p.region.code: p.region for p in
               StipendPolicy.objects.filter(effective_from__lte=period).select_related("region")}
    return [r for code, r in sorted(regions.items())
            if not any(code != other and code.startswith(regions[other].prefix)
                       for other in regions)]


def prepare_monthly_drafts(period: dt.date) -> list[Run]:
    """The scheduler's drafts for `period`; a region already covered is skipped, so
    running it twice creates nothing the second time."""
    created = []
    for region in policy_roots(period):
        try:
            created.append(create_run(period=period, region=region, actor=None))
        except (RunExists, RunOverlaps):
            continue
    return created


# --- Adjustments and suspensions --------------------------------------------------------

def _terms_in(leader: User, period: dt.date) -> QuerySet[LeaderTerm]:
    return LeaderTerm.objects.filter(user=leader, start_date__lte=month_end(period)).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period)).select_related("grid__community")


def _grid_led(leader: User, period: dt.date, grid: Grid | None) -> Grid:
    grids = {t.grid_id: t.grid for t in _terms_in(leader, period)}
    if grid is not None:
        if grid.pk not in grids:
            raise NotALeader(_("This user did not lead that grid in that period."))
        return grids[grid.pk]
    if not grids:
        raise NotALeader()
    if len(grids) > 1:
        raise GridRequired()
    return next(iter(grids.values()))


@transaction.atomic
def create_adjustment(*, leader: User, period: dt.date, amount: Decimal, reason: str,
                      actor: User, grid: Grid | None = None) -> Adjustment:
    """A signed correction for a month the leader served; the next run generated for a
    region containing the grid carries it."""
    grid = _grid_led(leader, period, grid)
    require_finance(actor, grid.community)
    if amount == 0:
        raise DomainError(_("An adjustment needs a non-zero amount."), code="amount_zero")
    if amount != round_money(amount):
        raise DomainError(_("An amount has at most two decimal places."), code="amount_invalid")
    if not reason.strip():
        raise DomainError(_("An adjustment needs a reason."), code="reason_required")
    return Adjustment.objects.create(leader=leader, period=period, grid=grid, amount=amount,
                                     reason=reason.strip(), prepared_by=actor)


def _require_finance_over_leader(actor: User, terms: list[LeaderTerm]) -> None:
    roles = roles_of(actor)
    if not (roles.is_admin or any(roles.finances(t.grid.community.code) for t in terms)):
        raise Forbidden(_("Only finance staff of this leader's region can do this."))


def _month_closed(leader: User, period: dt.date) -> bool:
    """A submitted, approved or paid run already holds the leader's stipend for the month."""
    return RunLine.objects.filter(leader=leader, period=period, live=True,
                                  kind=RunLine.Kind.STIPEND).exclude(run__status=S.DRAFT).exists()


@transaction.atomic
def suspend_leader(*, leader: User, period: dt.date, reason: str, actor: User) -> Suspension:
    """Withhold a leader's stipend for one month: their lines show the base and pay 0.00
    from the next (re)generation of that month's draft."""
    terms = list(_terms_in(leader, period))
    if not terms:
        raise NotALeader()
    _require_finance_over_leader(actor, terms)
    if not reason.strip():
        raise DomainError(_("A suspension needs a reason."), code="reason_required")
    if _month_closed(leader, period):
        raise MonthClosed()
    try:
        with transaction.atomic():
            return Suspension.objects.create(leader=leader, period=period, reason=reason.strip(),
                                             created_by=actor)
    except IntegrityError:
        raise Conflict(_("This leader is already suspended for that month."),
                       code="already_suspended")


@transaction.atomic
def lift_suspension(suspension: Suspension, *, actor: User) -> None:
    """Undo a suspension while no submitted or approved run holds that month."""
    _require_finance_over_leader(actor, list(_terms_in(suspension.leader, suspension.period)))
    if _month_closed(suspension.leader, suspension.period):
        raise MonthClosed()
    suspension.delete()


# --- Bank files -------------------------------------------------------------------------

BUILDERS = {RunExport.Format.CSV: exports.build_csv, RunExport.Format.XLSX: exports.build_xlsx}


@transaction.atomic
def export_run(run: Run, *, fmt: str, actor: User) -> RunExport:
    """The run's bank file: built on the first download and stored with its SHA-256, so
    every later download returns the same bytes. Each download is a run event."""
    require_finance(actor, run.region)
    if run.status not in Run.FROZEN:
        raise RunNotApproved()
    export = RunExport.objects.filter(run=run, format=fmt).first()
    if export is None:
        export = _store_export(run, fmt, actor)
    _record(run, RunEvent.Action.EXPORTED, run.status, actor,
            note=f"{fmt} sha256={export.sha256}")
    return export


def _store_export(run: Run, fmt: str, actor: User) -> RunExport:
    content = BUILDERS[fmt](run)
    try:
        with transaction.atomic():
            return RunExport.objects.create(run=run, format=fmt, content=content,
                                            sha256=hashlib.sha256(content).hexdigest(),
                                            size=len(content), created_by=actor)
    except IntegrityError:  # a concurrent first download stored it: serve that one
        return RunExport.objects.get(run=run, format=fmt)
