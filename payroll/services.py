"""Payroll actions: policies, runs and their transitions, adjustments, suspensions, bank
accounts, bank files. The API, the admin, the scheduled task and the management commands
all call these; none of them changes a payroll row any other way.

Every transition locks the row, re-checks its status, moves it with a conditional UPDATE
(rowcount checked) and writes its history (a `RunEvent`, or the decision recorded on the
adjustment, suspension or bank account change itself), all in one transaction.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Conflict, DomainError, Forbidden, InvalidTransition
from gridapp.models import Grid, LeaderTerm, Region
from gridapp.selectors.roles import roles_of

from . import bank_templates, generation
from .models import (Adjustment, BankAccount, BankAccountChange, Payment, Run, RunEvent,
                     RunExport, RunLine, StipendPolicy, Suspension, normalized_account_number)
from .money import MAX_FEN, month_end, round_money

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


class PeriodInFuture(DomainError):
    default_code = "period_in_future"
    default_detail = _("This month has not begun yet.")


class AmountOverLimit(DomainError):
    default_code = "amount_over_limit"
    default_detail = _("An adjustment is at most %(limit)s either way.")


class AdjustmentApplied(Conflict):
    default_code = "adjustment_applied"
    default_detail = _("This adjustment is already in a submitted or approved run.")


class BankAccountMissing(Conflict):
    default_code = "bank_account_missing"
    default_detail = _("Payees without bank details cannot be paid: %(names)s.")


class ChangePending(Conflict):
    default_code = "change_pending"
    default_detail = _("A change of this leader's bank details is already waiting for approval.")


class RunTooLarge(DomainError):
    default_code = "run_too_large"
    default_detail = _("The run's totals do not fit in an amount of 13 digits.")


def check_period_begun(period: dt.date) -> None:
    """A month that has not begun (in the site's time zone) can be neither paid nor
    corrected."""
    if period > timezone.localdate().replace(day=1):
        raise PeriodInFuture()


def require_finance(actor: User | None, region: Region) -> None:
    """Finance staff over `region` (or an administrator); None is the scheduler."""
    if actor is not None and not roles_of(actor).finances(region.code):
        raise Forbidden(_("Only finance staff of this region can do this."))


# --- Policies ---------------------------------------------------------------------------

def validate_policy(*, region: Region, effective_from: dt.date, monthly_amount: Decimal,
                    withholding_percent: Decimal = Decimal("0.00"),
                    actor: User | None) -> StipendPolicy:
    """The unsaved policy once every check of `create_policy` passed (the admin's form
    shows these errors beside its fields)."""
    require_finance(actor, region)
    policy = StipendPolicy(region=region, effective_from=effective_from,
                           monthly_amount=monthly_amount,
                           withholding_percent=withholding_percent, created_by=actor)
    policy.full_clean()
    check_policy_start(region, effective_from)
    return policy


@transaction.atomic
def create_policy(*, region: Region, effective_from: dt.date, monthly_amount: Decimal,
                  withholding_percent: Decimal = Decimal("0.00"),
                  actor: User | None) -> StipendPolicy:
    """A new policy from a month on. Months whose run left draft keep what they had."""
    policy = validate_policy(region=region, effective_from=effective_from,
                             monthly_amount=monthly_amount,
                             withholding_percent=withholding_percent, actor=actor)
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
    """A draft run with its lines, payments and totals, whole or not at all (one
    transaction). `actor=None` is the monthly scheduled task; a person's run takes the
    place of the scheduled drafts it overlaps (`_supersede_scheduled_drafts`)."""
    require_finance(actor, region)
    check_period_begun(period)
    if not generation.has_policy(region, period):
        raise NoPolicy()
    number = _run_number(period, region)
    if actor is not None:
        _supersede_scheduled_drafts(region, period, actor=actor, by_number=number)
    overlapping = _runs_overlapping(region, Q(period=period))
    if overlapping.filter(region=region).exists():
        raise RunExists()
    if overlapping.exists():
        raise RunOverlaps()
    try:
        with transaction.atomic():
            run = Run.objects.create(number=number, period=period, region=region,
                                     prepared_by=actor, prepared_at=timezone.now())
    except IntegrityError:  # a concurrent request created it first
        raise RunExists()
    _generate(run, progress=progress)
    _record(run, RunEvent.Action.CREATED, "", actor)
    return run


def _supersede_scheduled_drafts(region: Region, period: dt.date, *, actor: User,
                                by_number: str) -> None:
    """The scheduled task's drafts (prepared by no one, still draft) overlapping a run a
    person asks for are cancelled in the same transaction, with the number of the run
    that replaces them: the scheduler prepares, it never stands in the way."""
    scheduled = _runs_overlapping(region, Q(period=period)).filter(
        status=S.DRAFT, prepared_by__isnull=True)
    for run in scheduled:
        run = _locked(run)
        if run.status == S.DRAFT and run.prepared_by_id is None:
            _move(run, "cancel", actor=actor, note=f"superseded by {by_number}")
            RunLine.objects.filter(run=run).update(live=False)


def _generate(run: Run, *, progress: generation.Progress | None) -> None:
    """Write the lines, net them into payments and store the totals on the run."""
    try:
        with transaction.atomic():
            generation.insert_stipend_lines(run, progress=progress)
            generation.insert_adjustment_lines(run)
            generation.insert_carried_lines(run)
    except IntegrityError:  # a live line of another run already claims a term
        raise RunOverlaps()
    _store_payments_and_totals(run)


def _store_payments_and_totals(run: Run) -> None:
    """Any amount beyond 13 digits (a payment PostgreSQL refuses to store, or a total)
    refuses the whole run: the caller's transaction rolls back, nothing half-stored."""
    try:
        with transaction.atomic():
            generation.insert_payments(run)
    except DataError:  # PostgreSQL: numeric field overflow (SQLite stores it; caught below)
        raise RunTooLarge()
    totals = generation.totals(run)
    if max(abs(totals.net), totals.paid, totals.carried, totals.base) > MAX_FEN:
        raise RunTooLarge()
    fields = totals.as_run_fields()
    Run.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def _clear_generated(run: Run) -> None:
    Payment.objects.filter(run=run).delete()
    RunLine.objects.filter(run=run).delete()


@transaction.atomic
def regenerate_run(run: Run, *, actor: User | None,
                   progress: generation.Progress | None = None) -> Run:
    """Recompute a draft from today's terms, policies, suspensions and adjustments. Whoever
    regenerates becomes its preparer."""
    run = _locked(run)
    require_finance(actor, run.region)
    if run.status != S.DRAFT:
        raise InvalidTransition()
    _clear_generated(run)
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
    _copy_bank_details(run)
    now = timezone.now()
    _move(run, "approve", actor=actor, approved_by=actor, approved_at=now)
    Adjustment.objects.filter(lines__run=run, approved_by__isnull=True).update(
        approved_by=actor, approved_at=now)
    return run


MISSING_NAMES_SHOWN = 10


def _copy_bank_details(run: Run) -> None:
    copy_bank_details(run.payments.all())


def copy_bank_details(payments: QuerySet) -> None:
    """Each payment (of a run, or of a year-end distribution) gets its payee's bank
    details as approved now; the bank file prints this copy, whatever happens to the
    account later. A payee to be paid must have one."""
    missing = list(payments.filter(amount__gt=0, leader__bank_account__isnull=True)
                   .order_by("position").values_list("leader__username", flat=True)
                   [:MISSING_NAMES_SHOWN + 1])
    if missing:
        names = ", ".join(missing[:MISSING_NAMES_SHOWN]) + (
            " …" if len(missing) > MISSING_NAMES_SHOWN else "")
        raise BankAccountMissing(BankAccountMissing.default_detail % {"names": names})
    account = BankAccount.objects.filter(leader=OuterRef("leader"))

    def copied(field: str) -> Coalesce:
        return Coalesce(Subquery(account.values(field)[:1]), Value(""))

    payments.update(account_name=copied("account_name"), bank_name=copied("bank_name"),
                    account_number=copied("account_number"),
                    bank_account_change=Subquery(account.values("change")[:1]))


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

def communities_to_draft(period: dt.date) -> QuerySet[Region]:
    """Communities with a leader serving in `period` or an adjustment waiting: the
    scheduler drafts one run for each (communities are where grids live, so a draft never
    covers more than one community's finance work)."""
    served = LeaderTerm.objects.filter(start_date__lte=month_end(period)).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period)).values("grid__community")
    waiting = Adjustment.objects.filter(period__lte=period, approved_by__isnull=True,
                                        withdrawn_at__isnull=True).values("grid__community")
    return Region.objects.filter(Q(pk__in=served) | Q(pk__in=waiting),
                                 level=Region.Level.COMMUNITY).order_by("code")


def prepare_monthly_drafts(period: dt.date) -> list[Run]:
    """The scheduler's drafts for `period`, one per community; a community already covered
    (by hand or by an earlier call) or without a policy is skipped, so running it twice
    creates nothing the second time. Each draft yields to a run a person asks for."""
    created = []
    for community in communities_to_draft(period):
        try:
            created.append(create_run(period=period, region=community, actor=None))
        except (RunExists, RunOverlaps, NoPolicy):
            continue
    return created


# --- Adjustments and suspensions --------------------------------------------------------

def _terms_in(leader: User, period: dt.date) -> QuerySet[LeaderTerm]:
    return LeaderTerm.objects.filter(user=leader, start_date__lte=month_end(period)).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period)).select_related("grid__community")


def _financed_terms(actor: User, terms: Iterable[LeaderTerm]) -> list[LeaderTerm]:
    """The terms in regions the actor finances. Finance staff learn nothing about grids
    elsewhere: a leader of another region and a user who never led both leave none, and
    both answer 400 `not_a_leader` (issue 11)."""
    roles = roles_of(actor)
    return [t for t in terms if roles.is_admin or roles.finances(t.grid.community.code)]


def _grid_led(leader: User, period: dt.date, grid: Grid | None, actor: User) -> Grid:
    grids = {t.grid_id: t.grid for t in _financed_terms(actor, _terms_in(leader, period))}
    if grid is not None:
        if grid.pk not in grids:
            raise NotALeader()
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
    grid = _grid_led(leader, period, grid, actor)
    require_finance(actor, grid.community)
    check_period_begun(period)
    check_adjustment_amount(amount)
    if not reason.strip():
        raise DomainError(_("An adjustment needs a reason."), code="reason_required")
    return Adjustment.objects.create(leader=leader, period=period, grid=grid, amount=amount,
                                     reason=reason.strip(), prepared_by=actor)


def check_adjustment_amount(amount: Decimal) -> None:
    """Non-zero, whole fen, and within PAYROLL_ADJUSTMENT_LIMIT either way."""
    if not amount.is_finite() or abs(amount) > settings.PAYROLL_ADJUSTMENT_LIMIT:
        limit = settings.PAYROLL_ADJUSTMENT_LIMIT
        raise AmountOverLimit(AmountOverLimit.default_detail % {"limit": f"{limit:.2f}"})
    if amount == 0:
        raise DomainError(_("An adjustment needs a non-zero amount."), code="amount_zero")
    if amount != round_money(amount):
        raise DomainError(_("An amount has at most two decimal places."), code="amount_invalid")


@transaction.atomic
def withdraw_adjustment(adjustment: Adjustment, *, actor: User, reason: str = "") -> Adjustment:
    """Withdraw an adjustment not yet applied: pending, or carried by a draft (whose line
    goes and whose payments and totals are recomputed, with a run event). Kept, with who
    withdrew it, when and why."""
    adjustment = Adjustment.objects.select_for_update().select_related("grid__community").get(
        pk=adjustment.pk)
    require_finance(actor, adjustment.grid.community)
    if adjustment.withdrawn_at or adjustment.approved_by_id:
        raise InvalidTransition()
    line = adjustment.lines.filter(live=True).select_related("run").first()
    if line is not None:
        _drop_from_draft(line, actor=actor, note=f"adjustment {adjustment.pk} withdrawn")
    now = timezone.now()
    fields = {"withdrawn_by": actor, "withdrawn_at": now, "withdrawal_reason": reason.strip()}
    if not Adjustment.objects.filter(pk=adjustment.pk, withdrawn_at__isnull=True,
                                     approved_by__isnull=True).update(**fields):
        raise InvalidTransition()
    for name, value in fields.items():
        setattr(adjustment, name, value)
    return adjustment


def _drop_from_draft(line: RunLine, *, actor: User, note: str) -> None:
    run = _locked(line.run)
    if run.status != S.DRAFT:
        raise AdjustmentApplied()
    Payment.objects.filter(run=run).delete()
    RunLine.objects.filter(pk=line.pk).delete()
    _store_payments_and_totals(run)
    _record(run, RunEvent.Action.ADJUSTMENT_WITHDRAWN, S.DRAFT, actor, note=note)


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
    if not _financed_terms(actor, _terms_in(leader, period)):
        raise NotALeader()
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
def lift_suspension(suspension: Suspension, *, actor: User, reason: str = "") -> Suspension:
    """Lift a suspension while no submitted or approved run holds that month. The row
    stays, recording who lifted it, when and why; the next (re)generation pays the month."""
    suspension = Suspension.objects.select_for_update().get(pk=suspension.pk)
    _require_finance_over_leader(actor, list(_terms_in(suspension.leader, suspension.period)))
    if suspension.lifted_at is not None:
        raise InvalidTransition()
    if _month_closed(suspension.leader, suspension.period):
        raise MonthClosed()
    fields = {"lifted_by": actor, "lifted_at": timezone.now(), "lift_reason": reason.strip()}
    if not Suspension.objects.filter(pk=suspension.pk, lifted_at__isnull=True).update(**fields):
        raise InvalidTransition()
    for name, value in fields.items():
        setattr(suspension, name, value)
    return suspension


# --- Bank accounts (maker-checker) ------------------------------------------------------

def _require_finance_over_payee(actor: User, leader: User) -> None:
    """Finance staff over a region where the leader leads or once led a grid."""
    terms = LeaderTerm.objects.filter(user=leader).select_related("grid__community")
    if not _financed_terms(actor, terms):
        raise NotALeader(_("Only grid leaders are paid a stipend."))


def validate_bank_details(*, account_name: str, bank_name: str,
                          account_number: str) -> dict[str, str]:
    """The details as stored: names trimmed and present, the number 8–34 ASCII digits."""
    try:
        number = normalized_account_number(account_number)
    except ValidationError as exc:
        raise DomainError(exc.message_dict["account_number"][0], code="account_number_invalid")
    details = {"account_name": account_name.strip(), "bank_name": bank_name.strip(),
               "account_number": number}
    if not details["account_name"] or not details["bank_name"]:
        raise DomainError(_("An account needs its holder's name and the bank."),
                          code="bank_details_required")
    return details


@transaction.atomic
def request_bank_account_change(*, leader: User, account_name: str, bank_name: str,
                                account_number: str, reason: str,
                                actor: User) -> BankAccountChange:
    """Ask for a leader's bank details to become these; another person approves."""
    _require_finance_over_payee(actor, leader)
    details = validate_bank_details(account_name=account_name, bank_name=bank_name,
                                    account_number=account_number)
    if not reason.strip():
        raise DomainError(_("A bank account change needs a reason."), code="reason_required")
    try:
        with transaction.atomic():
            return BankAccountChange.objects.create(
                leader=leader, reason=reason.strip()[:255], requested_by=actor,
                requested_at=timezone.now(), **details)
    except IntegrityError:
        raise ChangePending()


def _locked_change(change: BankAccountChange) -> BankAccountChange:
    return BankAccountChange.objects.select_for_update().select_related("leader").get(pk=change.pk)


@transaction.atomic
def approve_bank_account_change(change: BankAccountChange, *, actor: User,
                                note: str = "") -> BankAccountChange:
    """Make the requested details the leader's account, recording what they replace.
    Runs approved before keep the details they were approved with."""
    change = _locked_change(change)
    _require_finance_over_payee(actor, change.leader)
    if change.status != BankAccountChange.Status.PENDING:
        raise InvalidTransition()
    if actor.pk == change.requested_by_id:
        raise MakerChecker(_("Whoever asked for a bank account change cannot approve it."))
    current = BankAccount.objects.select_for_update().filter(leader=change.leader).first()
    previous = {f"previous_{f}": getattr(current, f) if current else ""
                for f in ("account_name", "bank_name", "account_number")}
    _decide(change, BankAccountChange.Status.APPROVED, actor=actor, note=note, **previous)
    account = current or BankAccount(leader=change.leader)
    for field in ("account_name", "bank_name", "account_number"):
        setattr(account, field, getattr(change, field))
    account.change = change
    account.save()
    return change


@transaction.atomic
def reject_bank_account_change(change: BankAccountChange, *, actor: User,
                               note: str) -> BankAccountChange:
    """Refuse a request (its requester may withdraw it this way too), with the reason."""
    change = _locked_change(change)
    _require_finance_over_payee(actor, change.leader)
    if change.status != BankAccountChange.Status.PENDING:
        raise InvalidTransition()
    if not note.strip():
        raise DomainError(_("A rejection needs a reason."), code="reason_required")
    return _decide(change, BankAccountChange.Status.REJECTED, actor=actor, note=note)


def _decide(change: BankAccountChange, status: str, *, actor: User, note: str,
            **fields) -> BankAccountChange:
    fields.update(status=status, decided_by=actor, decided_at=timezone.now(),
                  decision_note=note.strip()[:255])
    if not BankAccountChange.objects.filter(
            pk=change.pk, status=BankAccountChange.Status.PENDING).update(**fields):
        raise InvalidTransition()
    for name, value in fields.items():
        setattr(change, name, value)
    return change


# --- Bank files -------------------------------------------------------------------------

def sees_full_account_numbers(user: User) -> bool:
    """Finance staff given `payroll.view_full_account_number` (or everyone downloading,
    with PAYROLL_EXPORT_ACCOUNT_NUMBERS=full) get account numbers a bank can pay to."""
    return (settings.PAYROLL_EXPORT_ACCOUNT_NUMBERS == "full"
            or user.has_perm("payroll.view_full_account_number"))


class TemplateFormat(DomainError):
    default_code = "template_format"
    default_detail = _("The template %(template)s is made as %(formats)s only.")


class NotEncodable(Conflict):
    default_code = "not_encodable"
    default_detail = _("This template's encoding cannot write %(text)s: choose another template.")


@transaction.atomic
def export_run(run: Run, *, template: bank_templates.Template, fmt: str,
               actor: User) -> RunExport:
    """The run's bank file in a template: built on the first download (with full or
    masked account numbers, as the downloader may see them) and stored with its SHA-256,
    so every later download of that file returns the same bytes. Each download is a run
    event."""
    require_finance(actor, run.region)
    if run.status not in Run.FROZEN:
        raise RunNotApproved()
    if fmt not in template.formats:
        raise TemplateFormat(TemplateFormat.default_detail % {
            "template": template.code, "formats": ", ".join(template.formats)})
    key = {"run": run, "format": fmt, "template": template.code,
           "full_account_numbers": sees_full_account_numbers(actor)}
    export = RunExport.objects.filter(**key).first()
    if export is None:
        export = _store_export(key, template, actor)
    _record(run, RunEvent.Action.EXPORTED, run.status, actor,
            note=f"{fmt} sha256={export.sha256} template={template.code}")
    return export


def _store_export(key: dict, template: bank_templates.Template, actor: User) -> RunExport:
    try:
        content = bank_templates.build(template, key["run"], key["format"],
                                       full_numbers=key["full_account_numbers"])
    except bank_templates.NotEncodable as exc:
        raise NotEncodable(NotEncodable.default_detail % {"text": repr(str(exc))})
    try:
        with transaction.atomic():
            return RunExport.objects.create(**key, content=content,
                                            sha256=hashlib.sha256(content).hexdigest(),
                                            size=len(content), created_by=actor)
    except IntegrityError:  # a concurrent first download stored it: serve that one
        return RunExport.objects.get(**key)
