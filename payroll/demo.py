"""The payroll part of DEMO.md's demo world (see `config.demo`), built idempotently:
北海市's stipend policy, and a (fictitious) bank account for every demo leader so that
bank files have something to show."""

import datetime as dt
from decimal import Decimal

from accounts.models import User
from gridapp.models import LeaderTerm, Region

from .models import BankAccount, StipendPolicy

BEIHAI = "450500000000"
POLICY_START = dt.date(2026, 1, 1)
MONTHLY_AMOUNT = Decimal("300.00")
WITHHOLDING_PERCENT = Decimal("0.00")
BANK_NAME = "北部湾银行北海分行"


def build() -> None:
    StipendPolicy.objects.update_or_create(
        region=Region.objects.get(code=BEIHAI), effective_from=POLICY_START,
        defaults={"monthly_amount": MONTHLY_AMOUNT, "withholding_percent": WITHHOLDING_PERCENT})
    leaders = User.objects.filter(pk__in=LeaderTerm.objects.values("user_id")).order_by("username")
    for leader in leaders:
        BankAccount.objects.get_or_create(leader=leader, defaults={
            "account_name": leader.display_name or leader.username, "bank_name": BANK_NAME,
            "account_number": f"62314500{leader.pk:011d}"})
