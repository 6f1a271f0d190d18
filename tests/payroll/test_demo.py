"""The payroll part of DEMO.md's world."""

import datetime as dt
from decimal import Decimal

from config.demo import build_demo_world
from gridapp.models import LeaderTerm
from payroll.models import BankAccount, StipendPolicy


def test_the_demo_has_beihais_stipend_policy(world):
    policy = StipendPolicy.objects.get()
    assert (policy.region.name, policy.effective_from, policy.monthly_amount,
            policy.withholding_percent, policy.proration) == (
        "北海市", dt.date(2026, 1, 1), Decimal("300.00"), Decimal("0.00"), "calendar_days")


def test_every_demo_leader_has_a_bank_account(world):
    leaders = set(LeaderTerm.objects.values_list("user", flat=True))
    assert len(leaders) >= 12  # leader1 … leader11 and leader9old
    assert set(BankAccount.objects.values_list("leader", flat=True)) == leaders
    assert all(account.account_number.isdigit() for account in BankAccount.objects.all())


def test_building_the_demo_twice_changes_nothing(world):
    before = list(StipendPolicy.objects.values()), list(BankAccount.objects.values_list(
        "leader", "account_number"))
    build_demo_world()
    after = list(StipendPolicy.objects.values()), list(BankAccount.objects.values_list(
        "leader", "account_number"))
    assert before == after
