"""Stipend policies, monthly runs with their lines, adjustments, suspensions, the run
history and the bank files.

What an auditor can rely on, and where it is enforced:
- a run's status only moves along `services.TRANSITIONS`, each move writing a `RunEvent`;
- the approver is neither the preparer nor the submitter (`payroll_run_maker_checker`);
- one live run per period and region, one live line per leader term and period (so never
  two paid lines for the same month of service) — unique constraints;
- a payee's lines in a run are netted into one `Payment` (never below 0.00; a shortfall
  is carried to their next run as a `carried` line), with the bank details copied onto it
  when the run is approved;
- approved and paid runs, the lines and payments of submitted, approved and paid runs,
  approved or withdrawn adjustments, events and exports cannot be changed or deleted;
  suspensions and bank account changes are never deleted, and bank accounts change only
  from an approved change: triggers from migrations 0002 and 0004 refuse it in the
  database itself.

A later year-end distribution fits beside this: every line keeps what was `withheld` for
the pool, by leader, grid and period.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .money import format_period


def money_field(verbose_name: str, **kwargs) -> models.DecimalField:
    """Every amount: 13 digits with 2 decimals (yuan.fen)."""
    return models.DecimalField(verbose_name, max_digits=13, decimal_places=2, **kwargs)


class StipendPolicy(models.Model):
    """The stipend of every leader under a region from a month on. The nearest policy up
    the region tree applies; a change is a new policy from a later month, never an edit of
    months already approved."""

    class Proration(models.TextChoices):
        CALENDAR_DAYS = "calendar_days", _("calendar days served / days in the month")

    region = models.ForeignKey("gridapp.Region", on_delete=models.PROTECT,
                               related_name="stipend_policies", verbose_name=_("region"))
    effective_from = models.DateField(_("effective from (first day of a month)"))
    monthly_amount = money_field(_("monthly amount"), validators=[MinValueValidator(Decimal(0))])
    withholding_percent = models.DecimalField(
        _("withheld for the year-end pool (%)"), max_digits=5, decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    proration = models.CharField(_("proration"), max_length=16, choices=Proration.choices,
                                 default=Proration.CALENDAR_DAYS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stipend policy")
        verbose_name_plural = _("stipend policies")
        ordering = ["region__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"],
                                    name="payroll_policy_one_per_region_date"),
            models.CheckConstraint(name="payroll_policy_amount_not_negative",
                                   condition=Q(monthly_amount__gte=0)),
            models.CheckConstraint(name="payroll_policy_percent_range",
                                   condition=Q(withholding_percent__gte=0,
                                               withholding_percent__lte=100)),
            models.CheckConstraint(name="payroll_policy_proration_valid",
                                   condition=Q(proration__in=["calendar_days"])),
        ]

    def __str__(self) -> str:
        return f"{self.region} {format_period(self.effective_from)}: {self.monthly_amount}"

    def clean(self) -> None:
        if self.effective_from and self.effective_from.day != 1:
            raise ValidationError(
                {"effective_from": _("A policy starts on the first day of a month.")})


class Run(models.Model):
    """One month's stipends for one region subtree."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    LIVE = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.PAID)
    FROZEN = (Status.APPROVED, Status.PAID)

    number = models.CharField(_("number"), max_length=40, unique=True)
    period = models.DateField(_("period (first day of the month)"))
    region = models.ForeignKey("gridapp.Region", on_delete=models.PROTECT,
                               related_name="payroll_runs", verbose_name=_("region"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    total = money_field(_("total paid"), default=Decimal("0.00"))
    total_base = money_field(_("total base"), default=Decimal("0.00"))
    total_withheld = money_field(_("total withheld"), default=Decimal("0.00"))
    total_adjustments = money_field(_("total adjustments"), default=Decimal("0.00"))
    # Shortfalls of payees whose lines net below 0.00: carried to their next run, so
    # total (what the bank pays) = the lines' net + total_carried.
    total_carried = money_field(_("total carried forward"), default=Decimal("0.00"))
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    payment_count = models.PositiveIntegerField(_("payments"), default=0)
    # None: prepared by the monthly scheduled task, not by a person.
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("prepared by"))
    prepared_at = models.DateTimeField(_("prepared at"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("marked paid by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")
        ordering = ["-period", "region__code", "-id"]
        constraints = [
            models.CheckConstraint(
                name="payroll_run_status_valid",
                condition=Q(status__in=["draft", "submitted", "approved", "paid", "cancelled"])),
            models.UniqueConstraint(fields=["period", "region"], condition=~Q(status="cancelled"),
                                    name="payroll_run_one_live_per_period_region"),
            # Maker-checker: whoever approves neither prepared nor submitted the run.
            models.CheckConstraint(
                name="payroll_run_maker_checker",
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("prepared_by")) & ~Q(approved_by=F("submitted_by")))),
            models.CheckConstraint(
                name="payroll_run_approval_recorded",
                condition=~Q(status__in=["approved", "paid"])
                | Q(approved_by__isnull=False, approved_at__isnull=False,
                    submitted_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def period_label(self) -> str:
        return format_period(self.period)


class RunLine(models.Model):
    """What one leader is owed in a run: a stipend for one leader term, an adjustment, or
    the shortfall carried from their previous run. A leader's lines are netted into one
    `Payment`.

    Amounts are snapshots (policy amount, percent, days) so that the line explains itself
    years later: base = prorate(monthly_amount, days_served, days_in_month),
    withheld = withhold(base, withholding_percent), net = base − withheld + adjustments,
    except that a suspended leader's line is shown with its base and pays 0.00.
    """

    class Kind(models.TextChoices):
        STIPEND = "stipend", _("stipend")
        ADJUSTMENT = "adjustment", _("adjustment")
        CARRIED = "carried", _("carried from the previous run")

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="lines",
                            verbose_name=_("run"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period = models.DateField(_("period"))  # the run's, repeated for the unique constraints
    # False once the run is cancelled: its lines no longer claim their term or adjustment.
    live = models.BooleanField(_("live"), default=True)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="payroll_lines", verbose_name=_("leader"))
    leader_term = models.ForeignKey("gridapp.LeaderTerm", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="payroll_lines",
                                    verbose_name=_("leader term"))
    grid = models.ForeignKey("gridapp.Grid", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("grid"))
    policy = models.ForeignKey(StipendPolicy, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="lines", verbose_name=_("policy"))
    adjustment = models.ForeignKey("Adjustment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="lines", verbose_name=_("adjustment"))
    # kind "carried": the approved payment whose shortfall this line deducts
    carried_from = models.ForeignKey("Payment", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="carried_by", verbose_name=_("carried from"))
    days_served = models.PositiveSmallIntegerField(_("days served"), default=0)
    days_in_month = models.PositiveSmallIntegerField(_("days in month"), default=0)
    monthly_amount = money_field(_("monthly amount"), default=Decimal("0.00"))
    withholding_percent = models.DecimalField(_("withheld (%)"), max_digits=5, decimal_places=2,
                                              default=Decimal("0.00"))
    base = money_field(_("base"), default=Decimal("0.00"))
    withheld = money_field(_("withheld"), default=Decimal("0.00"))
    adjustments = money_field(_("adjustments"), default=Decimal("0.00"))
    net = money_field(_("net"), default=Decimal("0.00"))
    suspended = models.BooleanField(_("suspended"), default=False)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("payroll line")
        verbose_name_plural = _("payroll lines")
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["leader", "period"], name="payroll_line_leader_period")]
        constraints = [
            models.CheckConstraint(name="payroll_line_kind_valid",
                                   condition=Q(kind__in=["stipend", "adjustment", "carried"])),
            models.CheckConstraint(
                name="payroll_line_kind_matches_source",
                condition=Q(kind="stipend", leader_term__isnull=False, policy__isnull=False,
                            adjustment__isnull=True, carried_from__isnull=True)
                | Q(kind="adjustment", adjustment__isnull=False, leader_term__isnull=True,
                    carried_from__isnull=True)
                | Q(kind="carried", carried_from__isnull=False, adjustment__isnull=True,
                    leader_term__isnull=True, net__lt=0)),
            models.CheckConstraint(name="payroll_line_stipend_not_negative",
                                   condition=Q(base__gte=0, withheld__gte=0)),
            models.CheckConstraint(name="payroll_line_days_in_month",
                                   condition=Q(days_served__lte=F("days_in_month"))),
            models.UniqueConstraint(fields=["leader_term", "period"], condition=Q(live=True),
                                    name="payroll_line_one_live_per_term_period"),
            models.UniqueConstraint(fields=["adjustment"], condition=Q(live=True),
                                    name="payroll_line_one_live_per_adjustment"),
            models.UniqueConstraint(fields=["carried_from"], condition=Q(live=True),
                                    name="payroll_line_one_live_per_carry"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.leader_id} · {self.net}"


class Payment(models.Model):
    """One payee's netted lines in a run: one line of the bank file.

    amount − shortfall = the sum of the payee's lines, and one of the two is 0.00: a
    payment is never negative; a shortfall is carried to the payee's next run as a
    `carried` line once this run is approved. The bank details are copied from the
    payee's `BankAccount` when the run is approved, and the bank file prints that copy.
    """

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="payments",
                            verbose_name=_("run"))
    position = models.PositiveIntegerField(_("position in the bank file"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="payroll_payments", verbose_name=_("payee"))
    # the grid of the payee's first line: where a shortfall is carried to
    grid = models.ForeignKey("gridapp.Grid", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("grid"))
    amount = money_field(_("amount paid"))
    shortfall = money_field(_("shortfall carried forward"), default=Decimal("0.00"))
    line_count = models.PositiveIntegerField(_("lines"))
    days_served = models.PositiveIntegerField(_("days served"), default=0)
    account_name = models.CharField(_("account holder"), max_length=64, blank=True)
    bank_name = models.CharField(_("bank"), max_length=128, blank=True)
    account_number = models.CharField(_("account number"), max_length=34, blank=True)
    bank_account_change = models.ForeignKey(
        "BankAccountChange", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("bank details as approved by"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "leader"], name="payroll_payment_one_per_payee"),
            models.UniqueConstraint(fields=["run", "position"],
                                    name="payroll_payment_one_per_position"),
            models.CheckConstraint(
                name="payroll_payment_netted",
                condition=Q(amount__gte=0, shortfall__gte=0) & (Q(amount=0) | Q(shortfall=0))),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.leader_id} · {self.amount}"

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.account_number)


class Adjustment(models.Model):
    """A correction after approval: a signed amount for a leader and the month it
    corrects. The next run generated for a region containing `grid` carries it as a line;
    approving that run approves the adjustment."""

    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="payroll_adjustments", verbose_name=_("leader"))
    period = models.DateField(_("period corrected"))
    grid = models.ForeignKey("gridapp.Grid", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("grid"))
    amount = money_field(_("amount"))
    reason = models.TextField(_("reason"))
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("prepared by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("withdrawn by"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="payroll_adjustment_not_zero", condition=~Q(amount=0)),
            models.CheckConstraint(name="payroll_adjustment_maker_checker",
                                   condition=Q(approved_by__isnull=True)
                                   | ~Q(approved_by=F("prepared_by"))),
            models.CheckConstraint(name="payroll_adjustment_approved_or_withdrawn",
                                   condition=Q(approved_by__isnull=True)
                                   | Q(withdrawn_at__isnull=True)),
            models.CheckConstraint(name="payroll_adjustment_withdrawal_recorded",
                                   condition=Q(withdrawn_at__isnull=True)
                                   | Q(withdrawn_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.leader} {format_period(self.period)} {self.amount}"


class Suspension(models.Model):
    """A leader's stipend withheld for one month, with the reason: their lines are still
    computed and shown, and pay 0.00. Lifting one records who lifted it and when; the row
    stays."""

    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="payroll_suspensions", verbose_name=_("leader"))
    period = models.DateField(_("period"))
    reason = models.CharField(_("reason"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("lifted by"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.CharField(_("reason for lifting"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        ordering = ["-period", "id"]
        constraints = [
            models.UniqueConstraint(fields=["leader", "period"], condition=Q(lifted_at__isnull=True),
                                    name="payroll_suspension_one_per_month"),
            models.CheckConstraint(name="payroll_suspension_lift_recorded",
                                   condition=Q(lifted_at__isnull=True)
                                   | Q(lifted_by__isnull=False)),
        ]

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def __str__(self) -> str:
        return f"{self.leader} {format_period(self.period)}"


class RunEvent(models.Model):
    """The append-only history of a run: every transition, regeneration and export, with
    the totals at that moment."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        REGENERATED = "regenerated", _("regenerated")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        PAID = "paid", _("marked paid")
        CANCELLED = "cancelled", _("cancelled")
        EXPORTED = "exported", _("exported")
        ADJUSTMENT_WITHDRAWN = "withdrawal", _("adjustment withdrawn")

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="events",
                            verbose_name=_("run"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("actor"))
    at = models.DateTimeField(_("at"))
    total = money_field(_("total"))
    line_count = models.PositiveIntegerField(_("lines"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("run event")
        verbose_name_plural = _("run events")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class RunExport(models.Model):
    """A bank file as first produced: later downloads return exactly these bytes."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="exports",
                            verbose_name=_("run"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # which bank template (payroll.bank_templates) and whether account numbers are full
    template = models.CharField(_("template"), max_length=32, default="standard")
    full_account_numbers = models.BooleanField(_("full account numbers"), default=False)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        constraints = [models.UniqueConstraint(
            fields=["run", "format", "template", "full_account_numbers"],
            name="payroll_export_one_per_template")]

    def __str__(self) -> str:
        return f"{self.run} · {self.format} · {self.sha256[:12]}"


class BankAccount(models.Model):
    """Where a leader's stipend goes, as last approved: only an approved
    `BankAccountChange` writes it (a trigger refuses anything else). No national ID is
    kept here or written to a bank file; the account number leaves the system masked
    unless the downloader may see it (permission `payroll.view_full_account_number`, or
    PAYROLL_EXPORT_ACCOUNT_NUMBERS=full)."""

    leader = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="bank_account", verbose_name=_("leader"))
    account_name = models.CharField(_("account holder"), max_length=64)
    bank_name = models.CharField(_("bank"), max_length=128)
    account_number = models.CharField(_("account number"), max_length=34)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # the approved change these details come from (null: recorded before maker-checker)
    change = models.OneToOneField("BankAccountChange", on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("approved change"))

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        permissions = [("view_full_account_number",
                        _("Can see full account numbers in bank files"))]

    def __str__(self) -> str:
        return f"{self.account_name} {self.bank_name} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.account_number)

    def clean(self) -> None:
        self.account_number = normalized_account_number(self.account_number)


class BankAccountChange(models.Model):
    """A request to set a leader's bank details, and what became of it: the history of
    every account (who asked for what, who approved or rejected it, what it replaced).
    One person requests, another decides (maker-checker, also a constraint)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="bank_account_changes", verbose_name=_("leader"))
    account_name = models.CharField(_("account holder"), max_length=64)
    bank_name = models.CharField(_("bank"), max_length=128)
    account_number = models.CharField(_("account number"), max_length=34)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=255)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=255, blank=True)
    # what the approval replaced (blank: the leader had no account yet)
    previous_account_name = models.CharField(_("previous account holder"), max_length=64,
                                             blank=True)
    previous_bank_name = models.CharField(_("previous bank"), max_length=128, blank=True)
    previous_account_number = models.CharField(_("previous account number"), max_length=34,
                                               blank=True)

    class Meta:
        verbose_name = _("bank account change")
        verbose_name_plural = _("bank account changes")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(name="payroll_bankchange_status_valid",
                                   condition=Q(status__in=["pending", "approved", "rejected"])),
            models.UniqueConstraint(fields=["leader"], condition=Q(status="pending"),
                                    name="payroll_bankchange_one_pending_per_leader"),
            # whoever asked may withdraw (reject) their request, never approve it
            models.CheckConstraint(name="payroll_bankchange_maker_checker",
                                   condition=~Q(status="approved")
                                   | ~Q(decided_by=F("requested_by"))),
            models.CheckConstraint(name="payroll_bankchange_decision_recorded",
                                   condition=Q(status="pending", decided_by__isnull=True)
                                   | Q(~Q(status="pending"), decided_by__isnull=False,
                                       decided_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.leader} {self.account_name} {mask_account_number(self.account_number)}"

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.account_number)


ACCOUNT_DIGITS = frozenset("0123456789")


def normalized_account_number(number: str) -> str:
    """The number without spaces: 8 to 34 ASCII digits, or a ValidationError."""
    digits = number.replace(" ", "")
    if not (set(digits) <= ACCOUNT_DIGITS and 8 <= len(digits) <= 34):
        raise ValidationError({"account_number": _("An account number has 8 to 34 digits.")})
    return digits


def mask_account_number(number: str) -> str:
    """6222********0001: the bank and the last four digits, enough to recognise it."""
    digits = number.replace(" ", "")
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"


# The year-end distribution's tables live beside it (payroll/yearend/models.py); importing
# them here registers them with the app.
from .yearend.models import (Appeal, Distribution, DistributionEvent,  # noqa: E402, F401
                             DistributionExport, Share, YearEndPayment)
