"""Year-end distribution actions: create (score and share), publish the notice (公示),
appeal and decide, submit, approve, mark paid, cancel. The API and the admin call these.

As for monthly runs (`payroll.services`), every transition locks the distribution,
re-checks its status, moves it with a conditional UPDATE and writes a
`DistributionEvent`, in one transaction; approval is maker-checker and copies the bank
details onto the payments with the monthly runs' own `copy_bank_details`.
"""

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Conflict, DomainError, Forbidden, InvalidTransition
from config.db import execute_in_batches
from gridapp.divisions import under_q
from gridapp.models import Region

from .. import bank_templates, generation
from ..models import Run, RunLine
from ..money import MAX_FEN, ZERO, from_fen, round_money, to_fen
from ..services import (MakerChecker, NotEncodable, PeriodInFuture, RunExists, RunNotApproved,
                        RunOverlaps, TemplateFormat, copy_bank_details, require_finance,
                        sees_full_account_numbers)
from . import exports, scoring
from .models import (Appeal, Distribution, DistributionEvent, DistributionExport, Share,
                     YearEndPayment)

S = Distribution.Status
A = DistributionEvent.Action
BATCH = 2000


class NoticeNotOver(Conflict):
    default_code = "notice_not_over"
    default_detail = _("The public notice has not ended yet.")


class NoticeOver(Conflict):
    default_code = "notice_over"
    default_detail = _("The public notice has ended: appeals are closed.")


class AppealOpen(Conflict):
    default_code = "appeal_open"
    default_detail = _("An appeal is still open: decide it first.")


class NotInDistribution(Forbidden):
    default_code = "not_in_distribution"
    default_detail = _("Only leaders with a share in this distribution can appeal it.")


class NothingToShare(DomainError):
    default_code = "nothing_to_share"
    default_detail = _("No leader term in this region and year can receive a share.")


class PoolTooLarge(DomainError):
    default_code = "run_too_large"
    default_detail = _("The pool does not fit in an amount of 13 digits.")


def leader_performances(*, year: int, region: Region, as_of: dt.date) -> list:
    """gridapp's leader-performance selector: every leader term overlapping `year` under
    `region`, its metrics computed in SQL aggregates up to `as_of`."""
    from gridapp.selectors.performance import leader_performance

    return leader_performance(year=year, region=region, as_of=as_of)


def days_in_year(year: int) -> int:
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


def policy_for(region: Region) -> scoring.Policy:
    """The weights of the nearest region up the tree that has some (else "default"), and
    the bounds and minimum service from the settings."""
    table = settings.PAYROLL_YEAR_END_WEIGHTS
    codes = [c for c in reversed(generation.ancestor_codes(region)) if c in table]
    return scoring.Policy(weights=table[codes[0]] if codes else table["default"],
                          floor=settings.PAYROLL_YEAR_END_FLOOR,
                          cap=settings.PAYROLL_YEAR_END_CAP,
                          min_days=settings.PAYROLL_YEAR_END_MIN_DAYS)


def withheld_pool(year: int, region: Region, *,
                  approved_by: dt.datetime | None = None) -> Decimal:
    """What approved and paid monthly lines of `year` under `region` withheld (of runs
    approved by the moment `approved_by`, if given: what a distribution's pool took)."""
    lines = RunLine.objects.filter(
        under_q("grid__community__code", [region.prefix]), live=True,
        kind=RunLine.Kind.STIPEND, run__status__in=Run.FROZEN, period__year=year)
    if approved_by is not None:
        lines = lines.filter(run__approved_at__lte=approved_by)
    return round_money(lines.aggregate(total=Sum("withheld"))["total"] or ZERO)


def _overlapping(year: int, region: Region) -> QuerySet[Distribution]:
    regions = (Q(region__code__in=generation.ancestor_codes(region))
               | Q(region__code__startswith=region.prefix))
    return Distribution.objects.filter(regions, year=year).exclude(status=S.CANCELLED)


def _number(year: int, region: Region) -> str:
    attempt = Distribution.objects.filter(year=year, region=region).count() + 1
    return f"YE{year}-{region.code}-{attempt}"


@transaction.atomic
def create_distribution(*, year: int, region: Region, extra_pool: Decimal,
                        actor: User) -> Distribution:
    """A draft with one share per leader term that overlaps `year` under `region`,
    scored from the leader-performance selector (the current year: to today) and shared
    to the fen; whole or not at all."""
    require_finance(actor, region)
    today = timezone.localdate()
    if year > today.year:
        raise PeriodInFuture(_("This year has not begun yet."))
    overlapping = _overlapping(year, region)
    if overlapping.filter(region=region).exists():
        raise RunExists(_("A live distribution for this year and region already exists."))
    if overlapping.exists():
        raise RunOverlaps(_("A live distribution for this year covers an overlapping region."))
    as_of = min(dt.date(year, 12, 31), today)
    prepared_at = timezone.now()  # the pool takes the runs approved by now (the audit's rule)
    withheld = withheld_pool(year, region, approved_by=prepared_at)
    pool_fen = to_fen(withheld) + to_fen(extra_pool)
    if pool_fen > MAX_FEN:
        raise PoolTooLarge()
    policy = policy_for(region)
    performances = leader_performances(year=year, region=region, as_of=as_of)
    try:
        scored = scoring.distribute(performances, policy, pool_fen=pool_fen,
                                    days_in_year=days_in_year(year))
    except scoring.NothingToShare:
        raise NothingToShare()
    try:
        with transaction.atomic():
            distribution = Distribution.objects.create(
                number=_number(year, region), year=year, region=region, as_of=as_of,
                withheld_pool=withheld, extra_pool=extra_pool, pool=from_fen(pool_fen),
                policy=policy.as_record(), prepared_by=actor, prepared_at=prepared_at)
    except IntegrityError:  # a concurrent request created it first
        raise RunExists(_("A live distribution for this year and region already exists."))
    _store_shares(distribution, performances, scored)
    _record(distribution, A.CREATED, "", actor)
    return distribution


def _store_shares(distribution: Distribution, performances, scored) -> None:
    """The shares by `executemany` in batches (no model instances: a city has 100,000),
    then one payment per payee netted in SQL, and the counts."""
    terms = {p.term_id: p for p in performances}
    rows = ((distribution.pk, s.term_id, terms[s.term_id].leader_id, terms[s.term_id].grid_id,
             s.days_served, s.score, json.dumps(s.breakdown, ensure_ascii=False),
             from_fen(s.share_fen)) for s in scored)
    breakdown = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (f"INSERT INTO {Share._meta.db_table} (distribution_id, leader_term_id, leader_id, "
           f"grid_id, days_served, score, breakdown, amount) "
           f"VALUES (%s, %s, %s, %s, %s, %s, {breakdown}, %s)")
    with connection.cursor() as cursor:
        execute_in_batches(cursor, sql, rows, BATCH)
    _insert_payments(distribution)
    counts = {"share_count": len(scored),
              "payment_count": YearEndPayment.objects.filter(distribution=distribution).count()}
    Distribution.objects.filter(pk=distribution.pk).update(**counts)
    for name, value in counts.items():
        setattr(distribution, name, value)


def _insert_payments(distribution: Distribution) -> None:
    """One payment per payee, as a monthly run nets its lines (`generation`'s integer-fen
    SQL): the sum of the payee's shares, in the order of their first term."""
    vendor = connection.vendor
    money = generation.MONEY_SQL[vendor]
    fen = generation.SUM_FEN_SQL[vendor].format(col="amount")
    sql = f"""
        INSERT INTO {YearEndPayment._meta.db_table}
               (distribution_id, position, leader_id, grid_id, amount, line_count,
                days_served, account_name, bank_name, account_number)
        SELECT %(id)s, ROW_NUMBER() OVER (ORDER BY first_term), leader_id, grid_id,
               {money.format(fen="fen")}, shares, days, '', '', ''
        FROM (
          SELECT leader_id, MIN(leader_term_id) AS first_term, COUNT(*) AS shares,
                 {fen} AS fen, SUM(days_served) AS days, MIN(grid_id) AS grid_id
          FROM {Share._meta.db_table}
          WHERE distribution_id = %(id)s
          GROUP BY leader_id
        ) payee
        ORDER BY first_term"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": distribution.pk})


# --- transitions --------------------------------------------------------------------------

# action → (statuses it may start from, status it ends in, event)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "publish": ((S.DRAFT,), S.PUBLISHED, A.PUBLISHED),
    "submit": ((S.PUBLISHED,), S.SUBMITTED, A.SUBMITTED),
    "approve": ((S.SUBMITTED,), S.APPROVED, A.APPROVED),
    "mark_paid": ((S.APPROVED,), S.PAID, A.PAID),
    "cancel": ((S.DRAFT, S.PUBLISHED), S.CANCELLED, A.CANCELLED),
}


def _locked(distribution: Distribution) -> Distribution:
    return Distribution.objects.select_for_update().select_related("region").get(
        pk=distribution.pk)


def _move(distribution: Distribution, action: str, *, actor: User, note: str = "",
          **fields) -> Distribution:
    starts, after, event = TRANSITIONS[action]
    before = distribution.status
    if before not in starts:
        raise InvalidTransition()
    if not Distribution.objects.filter(pk=distribution.pk, status=before).update(
            status=after, **fields):
        raise InvalidTransition()
    distribution.status = after
    for name, value in fields.items():
        setattr(distribution, name, value)
    _record(distribution, event, before, actor, note=note)
    return distribution


def _record(distribution: Distribution, action: str, before: str, actor: User | None,
            note: str = "", appeal: Appeal | None = None) -> None:
    DistributionEvent.objects.create(distribution=distribution, action=action,
                                     from_status=before, to_status=distribution.status,
                                     actor=actor, appeal=appeal, at=timezone.now(),
                                     pool=distribution.pool, note=note)


DEFAULT_PUBLISH_DAYS = 7


@transaction.atomic
def publish_distribution(distribution: Distribution, *, actor: User,
                         publish_days: int = DEFAULT_PUBLISH_DAYS) -> Distribution:
    """Start the public notice: each leader sees their share and its breakdown; appeals
    are open until `notice_ends_at`."""
    distribution = _locked(distribution)
    require_finance(actor, distribution.region)
    now = timezone.now()
    return _move(distribution, "publish", actor=actor, published_by=actor, published_at=now,
                 publish_days=publish_days, notice_ends_at=now + dt.timedelta(days=publish_days),
                 note=f"{publish_days} days")


@transaction.atomic
def submit_distribution(distribution: Distribution, *, actor: User) -> Distribution:
    """Only after the notice, with no open appeal."""
    distribution = _locked(distribution)
    require_finance(actor, distribution.region)
    if distribution.status not in TRANSITIONS["submit"][0]:
        raise InvalidTransition()
    if timezone.now() < distribution.notice_ends_at:
        raise NoticeNotOver()
    if distribution.appeals.filter(status=Appeal.Status.OPEN).exists():
        raise AppealOpen()
    return _move(distribution, "submit", actor=actor, submitted_by=actor,
                 submitted_at=timezone.now())


@transaction.atomic
def approve_distribution(distribution: Distribution, *, actor: User) -> Distribution:
    """By someone who neither prepared nor submitted it; copies the bank details."""
    distribution = _locked(distribution)
    require_finance(actor, distribution.region)
    if distribution.status not in TRANSITIONS["approve"][0]:
        raise InvalidTransition()
    if actor.pk in (distribution.prepared_by_id, distribution.submitted_by_id):
        raise MakerChecker()
    copy_bank_details(distribution.payments.all())
    return _move(distribution, "approve", actor=actor, approved_by=actor,
                 approved_at=timezone.now())


@transaction.atomic
def mark_distribution_paid(distribution: Distribution, *, actor: User) -> Distribution:
    distribution = _locked(distribution)
    require_finance(actor, distribution.region)
    return _move(distribution, "mark_paid", actor=actor, paid_by=actor, paid_at=timezone.now())


@transaction.atomic
def cancel_distribution(distribution: Distribution, *, actor: User,
                        reason: str = "") -> Distribution:
    """While draft or published; open appeals close with it. A new distribution for the
    year and region may then be made."""
    distribution = _locked(distribution)
    require_finance(actor, distribution.region)
    return _cancel(distribution, actor=actor, note=reason.strip())


def _cancel(distribution: Distribution, *, actor: User, note: str) -> Distribution:
    _move(distribution, "cancel", actor=actor, note=note)
    distribution.appeals.filter(status=Appeal.Status.OPEN).update(
        status=Appeal.Status.CLOSED, decided_at=timezone.now(),
        decision_note=_("Closed with the cancelled distribution."))
    return distribution


# --- appeals ------------------------------------------------------------------------------

@transaction.atomic
def file_appeal(distribution: Distribution, *, leader: User, reason: str) -> Appeal:
    """A leader with a share in a published distribution objects, during the notice."""
    distribution = _locked(distribution)
    if not distribution.shares.filter(leader=leader).exists():
        raise NotInDistribution()
    if distribution.status != S.PUBLISHED:
        raise InvalidTransition()
    if timezone.now() >= distribution.notice_ends_at:
        raise NoticeOver()
    if not reason.strip():
        raise DomainError(_("An appeal needs a reason."), code="reason_required")
    appeal = Appeal.objects.create(distribution=distribution, leader=leader,
                                   reason=reason.strip(), created_at=timezone.now())
    _record(distribution, A.APPEALED, distribution.status, leader, note=appeal.reason,
            appeal=appeal)
    return appeal


@transaction.atomic
def decide_appeal(appeal: Appeal, *, actor: User, uphold: bool, note: str) -> Appeal:
    """By finance staff other than the preparer, with a note. Upholding cancels the
    distribution (its other open appeals close with it) for a regenerated one."""
    distribution = _locked(appeal.distribution)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    require_finance(actor, distribution.region)
    if actor.pk == distribution.prepared_by_id:
        raise MakerChecker(_("Whoever prepared the distribution cannot decide its appeals."))
    if appeal.status != Appeal.Status.OPEN:
        raise InvalidTransition()
    if not note.strip():
        raise DomainError(_("A decision needs a note."), code="reason_required")
    status = Appeal.Status.UPHELD if uphold else Appeal.Status.DISMISSED
    fields = {"status": status, "decided_by": actor, "decided_at": timezone.now(),
              "decision_note": note.strip()}
    if not Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.OPEN).update(**fields):
        raise InvalidTransition()
    for name, value in fields.items():
        setattr(appeal, name, value)
    _record(distribution, A.APPEAL_UPHELD if uphold else A.APPEAL_DISMISSED,
            distribution.status, actor, note=appeal.decision_note, appeal=appeal)
    if uphold:
        _cancel(distribution, actor=actor, note=f"appeal {appeal.pk} upheld")
    return appeal


# --- files --------------------------------------------------------------------------------

class NotPublished(Conflict):
    default_code = "not_published"
    default_detail = _("The public notice list exists once the distribution is published.")


@transaction.atomic
def export_distribution(distribution: Distribution, *, template: bank_templates.Template | None,
                        fmt: str, actor: User) -> DistributionExport:
    """The bank file (approved or paid, `template` as for runs) or, with `template=None`,
    the 公示 list (published or later). Built on the first download and stored with its
    SHA-256; every download is an event."""
    require_finance(actor, distribution.region)
    if template is None:
        if distribution.status not in Distribution.SHOWN:
            raise NotPublished()
        key = {"template": exports.NOTICE, "full_account_numbers": False}
    else:
        if distribution.status not in Distribution.FROZEN:
            raise RunNotApproved(_("Only approved or paid distributions have a bank file."))
        if fmt not in template.formats:
            raise TemplateFormat(TemplateFormat.default_detail % {
                "template": template.code, "formats": ", ".join(template.formats)})
        key = {"template": template.code,
               "full_account_numbers": sees_full_account_numbers(actor)}
    key.update(distribution=distribution, format=fmt)
    export = DistributionExport.objects.filter(**key).first()
    if export is None:
        export = _store_export(key, template, actor)
    _record(distribution, A.EXPORTED, distribution.status, actor,
            note=f"{fmt} sha256={export.sha256} template={key['template']}")
    return export


def _store_export(key: dict, template: bank_templates.Template | None,
                  actor: User) -> DistributionExport:
    distribution, fmt = key["distribution"], key["format"]
    try:
        content = (exports.build_notice(distribution, fmt) if template is None else
                   exports.build_bank_file(distribution, template, fmt,
                                           full_numbers=key["full_account_numbers"]))
    except bank_templates.NotEncodable as exc:
        raise NotEncodable(NotEncodable.default_detail % {"text": repr(str(exc))})
    try:
        with transaction.atomic():
            return DistributionExport.objects.create(
                **key, content=content, sha256=hashlib.sha256(content).hexdigest(),
                size=len(content), created_by=actor)
    except IntegrityError:  # a concurrent first download stored it: serve that one
        return DistributionExport.objects.get(**key)
