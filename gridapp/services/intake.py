"""Intake: a report from submission to the dispatcher's inbox (dispatch comes after,
`gridapp.services.transitions`): who may report, the content check, the report number,
the before photos, possible duplicates.

Views, tasks and commands call these. Each action owns its transaction; the slow outside
world (the object store, WeChat) is called outside the database transaction where the
rule allows it, and every state a report enters writes its timeline event.
"""

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.wechat import WeChatError, WeChatUnavailable, get_client
from gridapp import geo
from gridapp.errors import ContentRejected, NotAMember, OutsideAllGrids, OutsideYourRegions
from gridapp.lifecycle import intake_clocks
from gridapp.models import Category, Grid, Photo, Report, ReportCounter, ReportEvent
from gridapp.selectors.grids import locate_grid
from gridapp.selectors.roles import roles_of

from .photos import claim_photos, unattached_photos
from .projects import join_live_project
from .timeline import record_event

log = logging.getLogger(__name__)

METRES_PER_DEGREE_LAT = 111_320.0
DUPLICATE_LIMIT = 5
CONTENT_SWEEP_BATCH = 100
# msg_sec_check scenes: 1 profile, 2 comment, 3 forum post, 4 social log.
SEC_CHECK_SCENE = 3


# --- reports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    report_id: int
    number: str
    distance_m: float


@dataclass(frozen=True)
class Submitted:
    report: Report
    possible_duplicates: list[Duplicate]
    photos: list[Photo]  # all the report has
    submission: ReportEvent  # its timeline's one event


def ensure_can_report(actor: User) -> None:
    """An active member or current leader of some grid (any grid: the point may lie in a
    neighbour's, as neighbours report what they see)."""
    roles = roles_of(actor)
    if not (roles.led_grid_ids or roles.member_grid_ids):
        raise NotAMember()


def screen_text(*, actor: User, text: str) -> str:
    """WeChat's msg_sec_check verdict for a report's text, asked before anything is
    stored: 'risky' is refused here (400 `content_rejected`), 'review' is stored flagged;
    when WeChat is unreachable the verdict is 'pending' and a task asks again later."""
    verdict = content_verdict(actor, text)
    if verdict == Report.ContentCheck.RISKY:
        raise ContentRejected()
    return verdict


def content_verdict(user: User, text: str) -> str:
    if not user.wechat_openid or not text.strip():
        return Report.ContentCheck.SKIPPED
    try:
        return get_client().msg_sec_check(user.wechat_openid, text, scene=SEC_CHECK_SCENE)
    except (WeChatUnavailable, WeChatError) as exc:
        log.warning("msg_sec_check unavailable, report text checked later: %s", exc)
        return Report.ContentCheck.PENDING


@dataclass(frozen=True)
class Caller:
    """Someone who reported outside the mini-program (a 12345 call, an Open311 system):
    stored on the report for the staff, never published."""
    name: str = ""
    phone: str = ""
    email: str = ""


@transaction.atomic
def submit_report(*, actor: User, category: Category, description: str, lat: float, lng: float,
                  coord_type: str = geo.GCJ02, address: str = "",
                  photo_ids: Sequence[int] = (), urgent: bool = False,
                  source: str = Report.Source.MINIPROGRAM,
                  content_check: str = Report.ContentCheck.PENDING) -> Submitted:
    """Create a report in `submitted` at community level with its photos and its first
    timeline event; answer the open reports nearby that may describe the same problem."""
    ensure_can_report(actor)
    return _file(actor=actor, category=category, description=description, lat=lat, lng=lng,
                 coord_type=coord_type, address=address, photo_ids=photo_ids, urgent=urgent,
                 source=source, content_check=content_check)


@transaction.atomic
def file_for_caller(*, intake: User, caller: Caller, source: str, category: Category,
                    description: str, lat: float, lng: float, coord_type: str = geo.GCJ02,
                    address: str = "", photo_ids: Sequence[int] = (), urgent: bool = False,
                    content_check: str = Report.ContentCheck.PENDING) -> Submitted:
    """A report taken for a caller by a 12345 operator (a dispatcher, who must cover the
    point) or an integration (an Open311 key's user): no membership needed, the point
    decides the grid, the caller's contact is kept for the staff."""
    submitted = _file(actor=intake, category=category, description=description, lat=lat,
                      lng=lng, coord_type=coord_type, address=address, photo_ids=photo_ids,
                      source=source, content_check=content_check, caller=caller, urgent=urgent)
    roles = roles_of(intake)
    if source == Report.Source.HOTLINE and not roles.dispatches(submitted.report.region_code):
        raise OutsideYourRegions()  # rolls the report back
    return submitted


def _file(*, actor: User, category: Category, description: str, lat: float, lng: float,
          coord_type: str, address: str, photo_ids: Sequence[int], source: str,
          content_check: str, urgent: bool = False, caller: Caller = Caller()) -> Submitted:
    lat, lng = geo.to_gcj02(lat, lng, coord_type)
    grid = locate_grid(lat, lng)
    if grid is None:
        raise OutsideAllGrids()
    now = timezone.now()
    photos = unattached_photos(photo_ids, actor=actor) if photo_ids else []
    report = Report.objects.create(
        number=next_report_number(timezone.localdate(now)), reporter=actor, source=source,
        category=category, description=description, address=address, lat=lat, lng=lng,
        coord_type=coord_type, grid=grid, region_code=_community_code(grid), urgent=urgent,
        content_check=content_check, created_at=now, caller_name=caller.name,
        caller_phone=caller.phone, caller_email=caller.email, **intake_clocks(urgent, now),
        **_photo_facts(photos, lat, lng))
    if photos:
        attach_photos(report, photos, actor=actor, now=now)
    join_live_project(report)
    # The grid's leader hears of it, after commit.
    event = record_event(report, ReportEvent.Action.SUBMIT, actor=actor, from_status="",
                         now=now)
    return Submitted(report, possible_duplicates(report), photos, event)


def _community_code(grid: Grid) -> str:
    return grid.community.code


def next_report_number(day: date) -> str:
    """BH20261126000123: prefix, day, the day's counter. Call inside a transaction: the
    counter row stays locked by our UPDATE until commit, so no two reports share one."""
    last = _bumped(day)
    if last is None:
        try:
            with transaction.atomic():
                ReportCounter.objects.create(day=day, last=1)
            last = 1
        except IntegrityError:  # a concurrent first report of the day created the row
            last = _bumped(day)
    return f"{settings.REPORT_NUMBER_PREFIX}{day:%Y%m%d}{last:06d}"


def _bumped(day: date) -> int | None:
    """The day's counter, incremented and read in one statement (UPDATE … RETURNING, which
    the ORM does not write); None before the day's first report."""
    connection = connections[router.db_for_write(ReportCounter)]
    table, day_, last = (connection.ops.quote_name(name)
                         for name in (ReportCounter._meta.db_table, "day", "last"))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {last} = {last} + 1 WHERE {day_} = %s "
                       f"RETURNING {last}", [connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _photo_facts(photos: list[Photo], lat: float, lng: float) -> dict:
    """What a new report keeps of its before photos, known before it is written: their
    count, the first one's thumbnail (what a page of reports shows), and the farthest
    EXIF point from the report's; over the threshold the report is flagged for the
    dispatcher (an old photo, or one taken elsewhere)."""
    facts = {"photo_count": len(photos),
             "thumbnail_name": photos[0].thumbnail.name if photos else ""}
    distances = [geo.distance_m(lat, lng, photo.exif_lat, photo.exif_lng)
                 for photo in photos if photo.exif_lat is not None]
    if distances:
        farthest = round(max(distances), 1)
        facts |= {"photo_distance_m": farthest,
                  "location_suspect": farthest > settings.REPORT_PHOTO_DISTANCE_M}
    return facts


def attach_photos(report: Report, photos: list[Photo], *, actor: User, now: datetime) -> None:
    """The new report's before photos (`unattached_photos`, read before it was written)
    claimed for it, and the objects in hand made to say so (the answer shows them)."""
    claim_photos(report, [photo.pk for photo in photos], actor=actor, kind=Photo.Kind.BEFORE,
                 now=now)
    for photo in photos:
        photo.report, photo.kind, photo.attached_at = report, Photo.Kind.BEFORE, now


def possible_duplicates(report: Report) -> list[Duplicate]:
    """Open reports of the same category within the category's radius, from the last
    `REPORT_DUPLICATE_DAYS` days: nearest first, at most five.

    The bounding box of the circle goes to SQL (indexed category + lat/lng); the exact
    distance is computed here on the few rows inside it.
    """
    radius = report.category.duplicate_radius_m
    d_lat = radius / METRES_PER_DEGREE_LAT
    d_lng = radius / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(report.lat)), 0.01))
    since = report.created_at - timedelta(days=settings.REPORT_DUPLICATE_DAYS)
    rows = (Report.objects.filter(
        category_id=report.category_id, status__in=Report.OPEN_STATUSES,
        lat__range=(report.lat - d_lat, report.lat + d_lat),
        lng__range=(report.lng - d_lng, report.lng + d_lng), created_at__gte=since)
        .exclude(pk=report.pk).values_list("pk", "number", "lat", "lng"))
    near = [Duplicate(pk, number, round(geo.distance_m(report.lat, report.lng, lat, lng), 1))
            for pk, number, lat, lng in rows]
    near = [d for d in near if d.distance_m <= radius]
    return sorted(near, key=lambda d: (d.distance_m, d.report_id))[:DUPLICATE_LIMIT]


# --- content checks WeChat could not answer at submission ---------------------------------


def recheck_content(report: Report) -> str:
    """Ask WeChat again about a report stored while it was unreachable. Conditional on
    the report still being pending, so two sweeps never write twice."""
    verdict = content_verdict(report.reporter, _report_text(report))
    if verdict == Report.ContentCheck.PENDING:
        return verdict
    with transaction.atomic():
        changed = Report.objects.filter(pk=report.pk, content_check=Report.ContentCheck.PENDING
                                        ).update(content_check=verdict, updated_at=timezone.now())
        if changed and verdict in (Report.ContentCheck.REVIEW, Report.ContentCheck.RISKY):
            record_event(report, ReportEvent.Action.CONTENT_CHECK, actor=None,
                         from_status=report.status, now=timezone.now(), note=str(
                             _("Flagged by the content check: %(verdict)s") % {"verdict": verdict}))
    return verdict


def recheck_pending_content() -> int:
    """The sweep: stops at the first report WeChat still can't answer (it is down: no
    point in asking a hundred times)."""
    checked = 0
    pending = (Report.objects.filter(content_check=Report.ContentCheck.PENDING)
               .select_related("reporter").order_by("pk")[:CONTENT_SWEEP_BATCH])
    for report in pending:
        if recheck_content(report) == Report.ContentCheck.PENDING:
            break
        checked += 1
    return checked


def report_text(description: str, address: str = "") -> str:
    return "\n".join(part for part in (description, address) if part)


def _report_text(report: Report) -> str:
    return report_text(report.description, report.address)
