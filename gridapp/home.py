"""The mini-program's home screen in one request (`GET /api/v1/home/`): what each role
needs first. gridapp's figures are here; an app above it adds its own section by
registering a function (payroll: the leader's stipend), so gridapp never imports it."""

from collections.abc import Callable
from datetime import datetime

from django.db.models import Count, Q

from accounts.models import User
from gridapp import divisions
from gridapp.lifecycle import within_verification_q
from gridapp.models import Report
from gridapp.selectors.inbox import unread_count
from gridapp.selectors.reports import by_light, traffic_lights
from gridapp.selectors.roles import Roles, roles_of

Section = Callable[[User, Roles, datetime], dict]
SECTIONS: list[Section] = []
LIGHTS = ("green", "yellow", "red")
WAITING_FOR_DISPATCHER = (Report.Status.SUBMITTED, Report.Status.ACCEPTED)
WITH_THE_DEPARTMENT = (Report.Status.DISPATCHED, Report.Status.IN_PROGRESS)


def register(section: Section) -> Section:
    """Add a section to every home screen (called from an app's `ready()`)."""
    if section not in SECTIONS:
        SECTIONS.append(section)
    return section


def home(user: User, now: datetime) -> dict:
    roles = roles_of(user)
    screen = {
        **_mine(user, roles, now),
        "queue": _lights(_dispatcher_queue(roles), now) if roles.dispatcher_regions else None,
        "tasks": _lights(Report.objects.filter(
            department__in=[d.pk for d in roles.handler_departments],
            status__in=WITH_THE_DEPARTMENT), now) if roles.handler_departments else None,
        "unread": unread_count(user),
    }
    for section in SECTIONS:
        screen.update(section(user, roles, now))
    return screen


def _mine(user: User, roles: Roles, now: datetime) -> dict[str, int]:
    """The user's open reports, and the resolved ones they may still verify (their own and
    their grids'), counted in one statement."""
    open_ = Q(reporter=user, status__in=Report.OPEN_STATUSES)
    to_verify = (Q(reporter=user) | Q(grid_id__in=roles.led_grid_ids)) & Q(
        within_verification_q(now), status=Report.Status.RESOLVED)
    return Report.objects.filter(open_ | to_verify).aggregate(
        my_open_reports=Count("pk", filter=open_),
        awaiting_my_verification=Count("pk", filter=to_verify))


def _dispatcher_queue(roles: Roles):
    """Reports waiting for the dispatcher: to be accepted or dispatched, at the level of
    one of their regions."""
    at_my_levels = Q(pk__in=[])
    for region in roles.dispatcher_regions:
        level = region.level if region.level in Report.Level.values else Report.Level.CITY
        at_my_levels |= Q(region_code__range=divisions.code_range(region.prefix), level=level)
    return Report.objects.filter(at_my_levels, status__in=WAITING_FOR_DISPATCHER)


def _lights(reports, now: datetime) -> dict[str, int]:
    """`{"total", "green", "yellow", "red"}`: the reports by traffic light, counted in SQL."""
    lights = by_light(traffic_lights(reports, now))
    return {"total": sum(lights.values()), **{light: lights[light] for light in LIGHTS}}
