"""The finance back office: runs with their lines, and transitions as admin actions that
go through the same services and checks as the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from payroll import services
from payroll.models import Run, StipendPolicy

from .conftest import CITY, HHL, HPL, NOV

CHANGELIST = reverse("admin:payroll_run_changelist")


@pytest.fixture
def staff(user):
    """staff("finance1"): a finance officer let into the admin to view payroll."""

    def make(username: str):
        person = user(username)
        person.is_staff = True
        person.save(update_fields=["is_staff"])
        person.user_permissions.set(Permission.objects.filter(
            content_type__app_label="payroll", codename__startswith="view_"))
        return person

    return make


def run_action(client, action: str, run: Run, **extra):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [run.pk], **extra},
                       follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_run_page_shows_its_lines_and_history(client, user, approved_run):
    client.force_login(user("admin"))
    page = client.get(reverse("admin:payroll_run_change", args=[approved_run.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "leader9old" in text and "150.00" in text and "2700.00" in text


def test_the_preparer_cannot_approve_in_the_admin_either(client, user, region, in_english):
    run = services.create_run(period=NOV, region=region(HHL), actor=user("admin"))
    services.submit_run(run, actor=user("admin"))
    client.force_login(user("admin"))
    response = run_action(client, "approve", run)
    assert any("approver must be neither" in m for m in messages_of(response))
    run.refresh_from_db()
    assert run.status == Run.Status.SUBMITTED


def test_a_finance_officer_approves_and_rejects_through_admin_actions(client, staff, user,
                                                                      region):
    run = services.create_run(period=NOV, region=region(HHL), actor=user("admin"))
    services.submit_run(run, actor=user("admin"))
    client.force_login(staff("finance1"))
    response = run_action(client, "reject", run, reason="天数有误")
    assert any(run.number in m for m in messages_of(response))
    run.refresh_from_db()
    assert (run.status, run.events.last().note) == (Run.Status.DRAFT, "天数有误")
    services.submit_run(run, actor=user("admin"))
    run_action(client, "approve", run)
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (Run.Status.APPROVED, user("finance1"))


def test_the_admin_shows_finance_staff_only_their_regions_runs(client, staff, make_run,
                                                               finance_hpl):
    make_run(code=HHL)
    hpl = make_run(code=HPL)
    client.force_login(staff("finance-hpl"))
    page = client.get(CHANGELIST)
    assert list(page.context["cl"].queryset) == [hpl]
    assert client.get(reverse("admin:payroll_runline_changelist")).context[
        "cl"].queryset.count() == 2


def test_a_policy_cannot_be_added_in_the_admin_for_an_approved_month(client, user,
                                                                     approved_run, region, in_english):
    client.force_login(user("admin"))
    form = {"region": region(CITY).pk, "effective_from": "2026-11-01",
            "monthly_amount": "500.00", "withholding_percent": "0", "proration": "calendar_days"}
    response = client.post(reverse("admin:payroll_stipendpolicy_add"), form)
    assert response.status_code == 200 and "cannot change months" in response.content.decode()
    client.post(reverse("admin:payroll_stipendpolicy_add"),
                {**form, "effective_from": "2026-12-01"})
    policy = StipendPolicy.objects.get(effective_from=dt.date(2026, 12, 1))
    assert (policy.monthly_amount, policy.created_by) == (Decimal("500.00"), user("admin"))
