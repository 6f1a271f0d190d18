"""The year-end distribution (二次分配), its shares, payments, appeals, history and files.

What an auditor can rely on, and where it is enforced:
- a distribution's status only moves along `yearend.services.TRANSITIONS`, each move
  writing a `DistributionEvent`;
- the approver is neither the preparer nor the submitter (`payroll_ye_maker_checker`);
- one live distribution per year and region (a unique constraint; overlapping regions
  are refused by the service);
- shares and payments are written once, in draft; from publication on the shares never
  change, and the payments change only by the copy of bank details approval makes;
  approved and paid distributions, decided appeals, events and files never change:
  triggers from migration 0005 refuse it in the database itself.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..models import mask_account_number, money_field


class Distribution(models.Model):
    """One year's second distribution for one region subtree."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published (public notice)")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    LIVE = (Status.DRAFT, Status.PUBLISHED, Status.SUBMITTED, Status.APPROVED, Status.PAID)
    FROZEN = (Status.APPROVED, Status.PAID)
    # the statuses in which leaders see their own shares
    SHOWN = (Status.PUBLISHED, Status.SUBMITTED, Status.APPROVED, Status.PAID)

    number = models.CharField(_("number"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey("gridapp.Region", on_delete=models.PROTECT,
                               related_name="year_end_distributions", verbose_name=_("region"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    # the day the scores run to (the year's last day, or the day it was prepared)
    as_of = models.DateField(_("scores as of"))
    withheld_pool = money_field(_("withheld from the year's monthly lines"))
    extra_pool = money_field(_("extra budget"))
    pool = money_field(_("pool"))
    share_count = models.PositiveIntegerField(_("shares"), default=0)
    payment_count = models.PositiveIntegerField(_("payments"), default=0)
    # weights, floor, cap and minimum service as applied: the shares explain themselves
    policy = models.JSONField(_("scoring policy"), default=dict)
    publish_days = models.PositiveSmallIntegerField(_("notice days"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("published by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("notice ends at"), null=True, blank=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("prepared by"))
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
        verbose_name = _("year-end distribution")
        verbose_name_plural = _("year-end distributions")
        ordering = ["-year", "region__code", "-id"]
        constraints = [
            models.CheckConstraint(
                name="payroll_ye_status_valid",
                condition=Q(status__in=["draft", "published", "submitted", "approved", "paid",
                                        "cancelled"])),
            models.UniqueConstraint(fields=["year", "region"], condition=~Q(status="cancelled"),
                                    name="payroll_ye_one_live_per_year_region"),
            models.CheckConstraint(name="payroll_ye_pool_sum",
                                   condition=Q(pool=F("withheld_pool") + F("extra_pool"))
                                   & Q(extra_pool__gte=0, withheld_pool__gte=0)),
            models.CheckConstraint(
                name="payroll_ye_maker_checker",
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("prepared_by")) & ~Q(approved_by=F("submitted_by")))),
            models.CheckConstraint(
                name="payroll_ye_approval_recorded",
                condition=~Q(status__in=["approved", "paid"])
                | Q(approved_by__isnull=False, approved_at__isnull=False,
                    submitted_by__isnull=False, published_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number


class Share(models.Model):
    """One leader term's part of the pool: its score, why (`breakdown`), and the amount."""

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT,
                                     related_name="shares", verbose_name=_("distribution"))
    leader_term = models.ForeignKey("gridapp.LeaderTerm", on_delete=models.PROTECT,
                                    related_name="year_end_shares",
                                    verbose_name=_("leader term"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="year_end_shares", verbose_name=_("leader"))
    grid = models.ForeignKey("gridapp.Grid", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("grid"))
    days_served = models.PositiveSmallIntegerField(_("days served"))
    score = models.DecimalField(_("score"), max_digits=12, decimal_places=6)
    breakdown = models.JSONField(_("score breakdown"), default=dict)
    amount = money_field(_("share"))

    class Meta:
        verbose_name = _("year-end share")
        verbose_name_plural = _("year-end shares")
        ordering = ["distribution", "leader_term_id"]
        constraints = [
            models.UniqueConstraint(fields=["distribution", "leader_term"],
                                    name="payroll_ye_share_one_per_term"),
            models.CheckConstraint(name="payroll_ye_share_not_negative",
                                   condition=Q(amount__gte=0, score__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.distribution_id} · {self.leader_id} · {self.amount}"


class YearEndPayment(models.Model):
    """One payee's shares netted, as a monthly `Payment`: a line of the bank file, with the
    bank details copied when the distribution is approved."""

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT,
                                     related_name="payments", verbose_name=_("distribution"))
    position = models.PositiveIntegerField(_("position in the bank file"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("payee"))
    grid = models.ForeignKey("gridapp.Grid", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("grid"))
    amount = money_field(_("amount paid"))
    line_count = models.PositiveIntegerField(_("shares"))
    days_served = models.PositiveIntegerField(_("days served"), default=0)
    account_name = models.CharField(_("account holder"), max_length=64, blank=True)
    bank_name = models.CharField(_("bank"), max_length=128, blank=True)
    account_number = models.CharField(_("account number"), max_length=34, blank=True)
    bank_account_change = models.ForeignKey("payroll.BankAccountChange", on_delete=models.PROTECT,
                                            null=True, blank=True, related_name="+",
                                            verbose_name=_("bank details from"))

    class Meta:
        verbose_name = _("year-end payment")
        verbose_name_plural = _("year-end payments")
        ordering = ["distribution", "position"]
        constraints = [
            models.UniqueConstraint(fields=["distribution", "leader"],
                                    name="payroll_ye_payment_one_per_payee"),
            models.UniqueConstraint(fields=["distribution", "position"],
                                    name="payroll_ye_payment_position_unique"),
            models.CheckConstraint(name="payroll_ye_payment_not_negative",
                                   condition=Q(amount__gte=0)),
        ]

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.account_number)


class Appeal(models.Model):
    """A leader's objection during the public notice, and its decision by finance staff
    other than the preparer. An upheld appeal cancels the distribution."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        UPHELD = "upheld", _("upheld")
        DISMISSED = "dismissed", _("dismissed")
        CLOSED = "closed", _("closed with its distribution")

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT,
                                     related_name="appeals", verbose_name=_("distribution"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="year_end_appeals", verbose_name=_("leader"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("year-end appeal")
        verbose_name_plural = _("year-end appeals")
        ordering = ["distribution", "id"]
        constraints = [
            models.CheckConstraint(
                name="payroll_ye_appeal_status_valid",
                condition=Q(status__in=["open", "upheld", "dismissed", "closed"])),
            models.CheckConstraint(
                name="payroll_ye_appeal_decision_recorded",
                condition=Q(status="open", decided_at__isnull=True)
                | Q(~Q(status="open"), decided_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.distribution_id} · {self.leader_id} · {self.status}"


class DistributionEvent(models.Model):
    """The append-only history of a distribution: every transition, appeal, decision and
    export."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        PUBLISHED = "published", _("published")
        APPEALED = "appealed", _("appealed")
        APPEAL_UPHELD = "appeal_upheld", _("appeal upheld")
        APPEAL_DISMISSED = "appeal_dismissed", _("appeal dismissed")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("marked paid")
        CANCELLED = "cancelled", _("cancelled")
        EXPORTED = "exported", _("exported")

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT,
                                     related_name="events", verbose_name=_("distribution"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("actor"))
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="events", verbose_name=_("appeal"))
    at = models.DateTimeField(_("at"))
    pool = money_field(_("pool"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("year-end event")
        verbose_name_plural = _("year-end events")
        ordering = ["distribution", "id"]

    def __str__(self) -> str:
        return f"{self.distribution_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class DistributionExport(models.Model):
    """A bank file or 公示 list as first produced: later downloads return these bytes."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT,
                                     related_name="exports", verbose_name=_("distribution"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # a bank template (payroll.bank_templates) or "notice" for the 公示 list
    template = models.CharField(_("template"), max_length=32, default="standard")
    full_account_numbers = models.BooleanField(_("full account numbers"), default=False)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("year-end file")
        verbose_name_plural = _("year-end files")
        constraints = [models.UniqueConstraint(
            fields=["distribution", "format", "template", "full_account_numbers"],
            name="payroll_ye_export_one_per_template")]

