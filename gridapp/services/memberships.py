"""Business actions on grids and memberships. Views, admin and commands call these."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Forbidden, InvalidTransition
from gridapp.errors import AlreadyMember, InviteInvalid
from gridapp.models import Grid, GridEvent, GridMembership, Invite
from gridapp.selectors.roles import roles_of

# Unambiguous characters (no 0/O, 1/I/L): 10 of them carry ~49 bits, and joins are
# rate-limited per user, so guessing a live code is hopeless.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_LENGTH = 10


def is_grid_leader(user: User, grid: Grid) -> bool:
    return grid.pk in roles_of(user).led_grid_ids


def manages_grid(user: User, grid: Grid) -> bool:
    """The grid's leader, a dispatcher above it, or an administrator."""
    roles = roles_of(user)
    return is_grid_leader(user, grid) or roles.dispatches(grid.community.code)


def create_invite(grid: Grid, *, actor: User) -> Invite:
    if not is_grid_leader(actor, grid):
        raise Forbidden(_("Only the grid's leader can invite members."))
    code = "".join(secrets.choice(INVITE_ALPHABET) for _i in range(INVITE_LENGTH))
    expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
    return Invite.objects.create(grid=grid, code=code, created_by=actor, expires_at=expires_at)


@transaction.atomic
def join_grid(*, invite_code: str, member_type: str, actor: User) -> GridMembership:
    """Use an invite (single use) to ask to join its grid; the leader then decides."""
    invite = (Invite.objects.select_for_update().select_related("grid")
              .filter(code=invite_code.strip().upper()).first())
    now = timezone.now()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise InviteInvalid()
    if GridMembership.objects.filter(grid=invite.grid, user=actor,
                                     status__in=GridMembership.LIVE).exists():
        raise AlreadyMember()
    claimed = Invite.objects.filter(pk=invite.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:  # a concurrent join took it first
        raise InviteInvalid()
    try:
        with transaction.atomic():
            membership = GridMembership.objects.create(grid=invite.grid, user=actor,
                                                       invite=invite, member_type=member_type)
    except IntegrityError:
        raise AlreadyMember()
    _record(membership, GridEvent.Action.JOIN_REQUESTED, actor=actor)
    return membership


# status before → status after and the history row, for each decision a leader makes
MEMBERSHIP_TRANSITIONS = {
    "approve": (GridMembership.Status.PENDING, GridMembership.Status.ACTIVE,
                GridEvent.Action.APPROVED),
    "reject": (GridMembership.Status.PENDING, GridMembership.Status.REJECTED,
               GridEvent.Action.REJECTED),
    "remove": (GridMembership.Status.ACTIVE, GridMembership.Status.LEFT,
               GridEvent.Action.REMOVED),
}


@transaction.atomic
def decide_membership(membership: GridMembership, *, action: str, actor: User,
                      note: str = "") -> GridMembership:
    """approve / reject / remove, by the grid's leader; race-safe by conditional update.
    `decided_by/at` keep the decision on the request (approve or reject); a removal
    leaves them alone and is told by its history row."""
    if not is_grid_leader(actor, membership.grid):
        raise Forbidden(_("Only the grid's leader can decide on its members."))
    before, after, event = MEMBERSHIP_TRANSITIONS[action]
    decision = {} if action == "remove" else {"decided_at": timezone.now(), "decided_by": actor}
    changed = GridMembership.objects.filter(pk=membership.pk, status=before).update(
        status=after, **decision)
    if not changed:
        raise InvalidTransition()
    membership.refresh_from_db()
    _record(membership, event, actor=actor, note=note)
    return membership


def _record(membership: GridMembership, action: str, *, actor: User, note: str = "") -> None:
    GridEvent.objects.create(grid_id=membership.grid_id, action=action, subject_id=membership.user_id,
                             actor=actor, membership=membership, note=note)
