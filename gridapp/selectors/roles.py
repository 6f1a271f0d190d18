"""What a user is, and where: the roles of docs/api.md's `/me` and the scopes every
`get_queryset()` filters by.

Residents and members get their role from active grid memberships, leaders from a leader
term covering today, back-office staff from `StaffRole` rows. Every scoped request asks
for them, so `roles_of(user)` costs one query when warm, none behind the API's
authentication (which loads it with the user): it reads the user's `RolesVersion` token
(which the database changes by trigger with every write to those rows) and answers from
roles this process loaded under the same token, user, day and superuser flag. Otherwise
it loads them in two more queries, whatever the number of rows. Either way the answer is
memoised on the user object for the request.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from gridapp import divisions
from gridapp.models import Grid, GridMembership, LeaderTerm, RolesVersion, StaffRole, current_terms_q

RECENT_ROLES_SIZE = 10_000  # users whose roles a process keeps (a few KB each)
# Region and department names shown by /me may lag a rename by this long; scopes never lag.
RECENT_ROLES_SECONDS = 600


@dataclass(frozen=True)
class Roles:
    is_admin: bool = False
    led_grid_ids: frozenset[int] = frozenset()
    member_grid_ids: frozenset[int] = frozenset()
    # Code prefixes of the communities of the user's own grids (neighbours see each other).
    community_prefixes: tuple[str, ...] = ()
    # (grid id, grid code) of the grids above, so that `/me` can name them.
    grid_codes: tuple[tuple[int, str], ...] = ()
    dispatcher_regions: tuple = ()
    finance_regions: tuple = ()
    handler_departments: tuple = ()
    staff: tuple[StaffRole, ...] = field(default=(), repr=False)

    @property
    def is_dispatcher(self) -> bool:
        return bool(self.dispatcher_regions)

    def dispatches(self, region_code: str) -> bool:
        return self.is_admin or any(divisions.is_under(region_code, r.prefix)
                                    for r in self.dispatcher_regions)

    def finances(self, region_code: str) -> bool:
        return self.is_admin or any(divisions.is_under(region_code, r.prefix)
                                    for r in self.finance_regions)

    def visible_prefixes(self) -> tuple[str, ...]:
        """Region code prefixes under which the user sees grids."""
        staff_regions = [*self.dispatcher_regions, *self.finance_regions,
                         *(d.region for d in self.handler_departments)]
        return (*{r.prefix for r in staff_regions}, *self.community_prefixes)

    def as_list(self) -> list[dict]:
        """The `roles` list of `GET /me`."""
        codes = dict(self.grid_codes)
        roles: list[dict] = [{"role": "admin"}] if self.is_admin else []
        roles += [{"role": "leader", "grid": g, "grid_code": codes.get(g)}
                  for g in sorted(self.led_grid_ids)]
        roles += [{"role": "member", "grid": g, "grid_code": codes.get(g)}
                  for g in sorted(self.member_grid_ids)]
        for s in self.staff:
            if s.role == StaffRole.Role.HANDLER:
                roles.append({"role": s.role, "department": s.department_id,
                              "department_name": s.department.name})
            elif s.role != StaffRole.Role.ADMIN:
                roles.append({"role": s.role, "region": s.region_id, "region_name": s.region.name,
                              "region_level": s.region.level})
        return roles


ANONYMOUS = Roles()


def roles_of(user: User) -> Roles:
    if not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_roles", None)
    if cached is None:
        cached = user._roles = _recent_or_loaded(user)
    return cached


class _Recent:
    """A small LRU of roles with an age limit, shared by the threads of a process."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, tuple[float, Roles]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Roles | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or time.monotonic() - entry[0] > RECENT_ROLES_SECONDS:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple, roles: Roles) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), roles)
            self._entries.move_to_end(key)
            while len(self._entries) > RECENT_ROLES_SIZE:
                self._entries.popitem(last=False)


_recent = _Recent()
_TOKEN_OF = f'SELECT token FROM "{RolesVersion._meta.db_table}" WHERE user_id = '
_TOKEN_SQL = _TOKEN_OF + "%s"
# The same read as a column of the user's own query, which the API's authentication
# loads as `user.roles_token` (registered in `GridappConfig.ready`). Written out: as an
# ORM Subquery it was compiled at every authentication, 0.1 ms of CPU, as much as the
# query it saves (docs/performance.md).
TOKEN_WITH_USER = ("roles_token", RawSQL(
    _TOKEN_OF + f'"{User._meta.db_table}"."{User._meta.pk.column}"', (),
    output_field=BigIntegerField()))


def _recent_or_loaded(user: User) -> Roles:
    # Roles are read where writes go, as their token is: the API's authentication loads it
    # with the user before a view allows replica reads, and roles loaded from a lagging
    # replica would be kept under a token that says they are current.
    database = router.db_for_write(RolesVersion)
    token = _token(user, database)
    if token == 0:  # no role row of theirs was ever written: nothing worth keeping
        return _load_roles(user, database)
    key = (database, user.pk, token, timezone.localdate(), user.is_superuser)
    roles = _recent.get(key)
    if roles is None:
        roles = _load_roles(user, database)
        _recent.put(key, roles)
    return roles


def _token(user: User, database: str) -> int:
    """The user's token as the API's authentication loaded it with the user (registered
    in `GridappConfig.ready`: the roles as of the request's start), or read now (the
    console's and the admin's session users, a user built by a task)."""
    name, _expression = TOKEN_WITH_USER
    if name in user.__dict__:
        return user.__dict__[name] or 0
    with connections[database].cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [user.pk])
        row = cursor.fetchone()
    return row[0] if row else 0


def _load_roles(user: User, database: str) -> Roles:
    today = timezone.localdate()
    staff = tuple(StaffRole.objects.using(database).filter(user=user).order_by("pk")
                  .select_related("region", "department__region"))
    leads = LeaderTerm.objects.filter(current_terms_q(today), user=user)
    belongs = GridMembership.objects.filter(user=user, status=GridMembership.Status.ACTIVE)
    grids = list(Grid.objects.using(database)
                 .filter(Q(pk__in=leads.values("grid_id")) | Q(pk__in=belongs.values("grid_id")))
                 .annotate(led=Exists(leads.filter(grid=OuterRef("pk"))),
                           member=Exists(belongs.filter(grid=OuterRef("pk"))))
                 .order_by("pk").values_list("id", "code", "community__code", "led", "member"))
    led = frozenset(grid_id for grid_id, *_rest, is_led, _member in grids if is_led)
    member = frozenset(grid_id for grid_id, *_rest, is_member in grids if is_member)

    def by_role(role: str) -> tuple[StaffRole, ...]:
        return tuple(s for s in staff if s.role == role)

    return Roles(
        is_admin=user.is_superuser or bool(by_role(StaffRole.Role.ADMIN)),
        led_grid_ids=led,
        member_grid_ids=member,
        community_prefixes=tuple(sorted({community for _id, _code, community, *_flags in grids})),
        grid_codes=tuple((grid_id, code) for grid_id, code, *_rest in grids),
        dispatcher_regions=tuple(s.region for s in by_role(StaffRole.Role.DISPATCHER)),
        finance_regions=tuple(s.region for s in by_role(StaffRole.Role.FINANCE)),
        handler_departments=tuple(s.department for s in by_role(StaffRole.Role.HANDLER)),
        staff=staff,
    )
