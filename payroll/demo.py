"""The payroll part of docs/demo.md's demo world (see `config.demo`), built idempotently:
北海市's stipend policy, and a (fictitious) bank account for every demo leader so that
bank files have something to show. Accounts are opened as finance would open them:
finance1 asks, finance2 approves (maker-checker), so each has its history row. finance1
may see full account numbers in bank files (a bank can pay them); everyone else sees
them masked."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Permission

from accounts.models import User
from gridapp.models import LeaderTerm, Region

from . import services
from .models import BankAccount, StipendPolicy

BEIHAI = "450500000000"
POLICY_START = dt.date(2026, 1, 1)
MONTHLY_AMOUNT = Decimal("300.00")
WITHHOLDING_PERCENT = Decimal("0.00")
BANK_NAME = "北部湾银行北海分行"
# Fictitious account holders: a bank pays a person's name, not a user name.
HOLDERS = {"leader1": "陈海燕", "leader2": "黄志强", "leader3": "李秀兰", "leader4": "王建国",
           "leader5": "张丽华", "leader6": "刘伟", "leader7": "杨春梅", "leader8": "吴国平",
           "leader9old": "周玉珍", "leader9": "郑小龙", "leader10": "林美玲", "leader11": "梁永福"}


def build() -> None:
    StipendPolicy.objects.update_or_create(
        region=Region.objects.get(code=BEIHAI), effective_from=POLICY_START,
        defaults={"monthly_amount": MONTHLY_AMOUNT, "withholding_percent": WITHHOLDING_PERCENT})
    leaders = User.objects.filter(pk__in=LeaderTerm.objects.values("user_id")).order_by("username")
    maker, checker = User.objects.get(username="finance1"), User.objects.get(username="finance2")
    maker.user_permissions.add(Permission.objects.get(codename="view_full_account_number"))
    for leader in leaders.exclude(pk__in=BankAccount.objects.values("leader_id")):
        change = services.request_bank_account_change(
            leader=leader, account_name=HOLDERS.get(leader.username) or leader.display_name or leader.username,
            bank_name=BANK_NAME, account_number=f"62314500{leader.pk:011d}",
            reason="演示账户", actor=maker)
        services.approve_bank_account_change(change, actor=checker)
