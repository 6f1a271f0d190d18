"""The demo world of docs/demo.md: each app adds its part, in dependency order."""

from django.db import transaction

from console import demo as console_demo
from gridapp import demo as grid_demo
from payroll import demo as payroll_demo


@transaction.atomic
def build_demo_world() -> None:
    grid_demo.build()
    payroll_demo.build()
    console_demo.build()
