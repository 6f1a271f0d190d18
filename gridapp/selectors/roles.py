"""What a user is, and where: the roles of docs/api.md's `/me` and the scopes every
`get_queryset()` filters by.

Residents and members get their role from active grid memberships, leaders from a leader
term covering today, back-office staff from `StaffRole` rows. `roles_of(user)` loads all
of it in four queries (three for a user without grids) whatever the number of rows, and
memoises it on the user object for the request.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import User
from gridapp import divisions
from gridapp.models import Grid, GridMembership, StaffRole, current_terms_q


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
        cached = user._roles = _load_roles(user)
    return cached


def _load_roles(user: User) -> Roles:
    today = timezone.localdate()
    staff = tuple(StaffRole.objects.filter(user=user).order_by("pk")
                  .select_related("region", "department__region"))
    led = frozenset(user.leader_terms.filter(current_terms_q(today)).values_list("grid_id", flat=True))
    member = frozenset(GridMembership.objects.filter(
        user=user, status=GridMembership.Status.ACTIVE).values_list("grid_id", flat=True))
    grids = list(Grid.objects.filter(id__in=led | member)
                 .values_list("id", "code", "community__code")) if led | member else []

    def by_role(role: str) -> tuple[StaffRole, ...]:
        return tuple(s for s in staff if s.role == role)

    return Roles(
        is_admin=user.is_superuser or bool(by_role(StaffRole.Role.ADMIN)),
        led_grid_ids=led,
        member_grid_ids=member,
        community_prefixes=tuple(sorted({community for _id, _code, community in grids})),
        grid_codes=tuple((grid_id, code) for grid_id, code, _community in grids),
        dispatcher_regions=tuple(s.region for s in by_role(StaffRole.Role.DISPATCHER)),
        finance_regions=tuple(s.region for s in by_role(StaffRole.Role.FINANCE)),
        handler_departments=tuple(s.department for s in by_role(StaffRole.Role.HANDLER)),
        staff=staff,
    )
