"""Stipend policies, monthly runs with their lines, adjustments, suspensions, the run
history and the bank files.

What an auditor can rely on, and where it is enforced:
- a run's status only moves along `services.TRANSITIONS`, each move writing a `RunEvent`;
- the approver is neither the preparer nor the submitter (`payroll_run_maker_checker`);
- one live run per period and region, one live line per leader term and period (so never
  two paid lines for the same month of service) — unique constraints;
- approved and paid runs, the lines of submitted, approved and paid runs, approved
  adjustments, events and exports cannot be changed or deleted: triggers from migration
  0002 refuse it in the database itself.

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
    line_count = models.PositiveIntegerField(_("lines"), default=0)
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
    """What one leader is paid in a run: a stipend for one leader term, or an adjustment.

    Amounts are snapshots (policy amount, percent, days) so that the line explains itself
    years later: base = prorate(monthly_amount, days_served, days_in_month),
    withheld = withhold(base, withholding_percent), net = base − withheld + adjustments,
    except that a suspended leader's line is shown with its base and pays 0.00.
    """

    class Kind(models.TextChoices):
        STIPEND = "stipend", _("stipend")
        ADJUSTMENT = "adjustment", _("adjustment")

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
                                   condition=Q(kind__in=["stipend", "adjustment"])),
            models.CheckConstraint(
                name="payroll_line_kind_matches_source",
                condition=Q(kind="stipend", leader_term__isnull=False, policy__isnull=False,
                            adjustment__isnull=True)
                | Q(kind="adjustment", adjustment__isnull=False, leader_term__isnull=True)),
            models.CheckConstraint(name="payroll_line_stipend_not_negative",
                                   condition=Q(base__gte=0, withheld__gte=0)),
            models.CheckConstraint(name="payroll_line_days_in_month",
                                   condition=Q(days_served__lte=F("days_in_month"))),
            models.UniqueConstraint(fields=["leader_term", "period"], condition=Q(live=True),
                                    name="payroll_line_one_live_per_term_period"),
            models.UniqueConstraint(fields=["adjustment"], condition=Q(live=True),
                                    name="payroll_line_one_live_per_adjustment"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.leader_id} · {self.net}"


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

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="payroll_adjustment_not_zero", condition=~Q(amount=0)),
            models.CheckConstraint(name="payroll_adjustment_maker_checker",
                                   condition=Q(approved_by__isnull=True)
                                   | ~Q(approved_by=F("prepared_by"))),
        ]

    def __str__(self) -> str:
        return f"{self.leader} {format_period(self.period)} {self.amount}"


class Suspension(models.Model):
    """A leader's stipend withheld for one month, with the reason: their lines are still
    computed and shown, and pay 0.00."""

    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="payroll_suspensions", verbose_name=_("leader"))
    period = models.DateField(_("period"))
    reason = models.CharField(_("reason"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        ordering = ["-period", "id"]
        constraints = [models.UniqueConstraint(fields=["leader", "period"],
                                               name="payroll_suspension_one_per_month")]

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
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        constraints = [models.UniqueConstraint(fields=["run", "format"],
                                               name="payroll_export_one_per_format")]

    def __str__(self) -> str:
        return f"{self.run} · {self.format} · {self.sha256[:12]}"


class BankAccount(models.Model):
    """Where a leader's stipend goes. No national ID is kept here or written to a bank
    file; the account number leaves the system masked unless
    PAYROLL_EXPORT_ACCOUNT_NUMBERS=full."""

    leader = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="bank_account", verbose_name=_("leader"))
    account_name = models.CharField(_("account holder"), max_length=64)
    bank_name = models.CharField(_("bank"), max_length=128)
    account_number = models.CharField(_("account number"), max_length=34)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.account_name} {self.bank_name} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.account_number)

    def clean(self) -> None:
        digits = self.account_number.replace(" ", "")
        if not (digits.isdigit() and 8 <= len(digits) <= 34):
            raise ValidationError({"account_number": _("An account number has 8 to 34 digits.")})
        self.account_number = digits


def mask_account_number(number: str) -> str:
    """6222********0001: the bank and the last four digits, enough to recognise it."""
    digits = number.replace(" ", "")
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"
