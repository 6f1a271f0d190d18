"""payroll's section of the mini-program's home screen (gridapp/home.py): a leader's
stipend this month."""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from gridapp.selectors.roles import Roles

from .money import format_period
from .selectors import my_lines


def stipend(user: User, roles: Roles, now: datetime) -> dict:
    """`stipend`: this month's net in approved or paid runs (null until a run for it is
    approved), with the latest paid-or-approved month beside it. Leaders only."""
    if not roles.led_grid_ids:
        return {}
    month = timezone.localtime(now).date().replace(day=1)
    lines = list(my_lines(user))
    this_month = [line for line in lines if line.period == month]
    latest = lines[0] if lines else None
    return {"stipend": {
        "period": format_period(month),
        "amount": str(sum(line.net for line in this_month)) if this_month else None,
        "status": this_month[0].run.status if this_month else None,
        "latest": None if latest is None else {
            "period": format_period(latest.period),
            "amount": str(sum(line.net for line in lines if line.period == latest.period)),
            "status": latest.run.status}}}
