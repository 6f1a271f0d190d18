"""Photos: stored from the pipeline's output (`gridapp.images`), claimed by reports,
and swept away when nobody claims them."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from config.db import skip_locked
from gridapp.errors import PhotoInvalid, PhotoNotAllowed, UploadBudgetExceeded
from gridapp.images import ProcessedPhoto
from gridapp.models import Photo, Report
from gridapp.selectors.roles import roles_of

ORPHAN_BATCH = 200
PIXELS_KEY = "photo-pixels:{user}:{hour:%Y%m%d%H}"


def check_may_upload(actor: User, *, now: datetime) -> None:
    """Before a byte of the image is read. Photos are for people who can attach them to a
    report (members and leaders to new ones, handlers as "after" photos, dispatchers to
    hotline reports); anyone else's upload would only burn CPU. And decoding is what
    costs, so each user may have at most PHOTO_PIXELS_PER_HOUR decoded per clock hour."""
    roles = roles_of(actor)
    if not (roles.is_admin or roles.led_grid_ids or roles.member_grid_ids
            or roles.handler_departments or roles.dispatcher_regions):
        raise PhotoNotAllowed()
    if (cache.get(_pixels_key(actor, now)) or 0) >= settings.PHOTO_PIXELS_PER_HOUR:
        raise UploadBudgetExceeded()


def charge_pixels(actor: User, pixels: int, *, now: datetime) -> None:
    """Charges an image's declared pixels to the user's hour, just before it is decoded
    (whatever comes of it: the CPU is spent)."""
    key = _pixels_key(actor, now)
    cache.add(key, 0, timeout=2 * 3600)
    try:
        cache.incr(key, pixels)
    except ValueError:  # expired between add and incr, or the cache is down: carry on
        pass


def _pixels_key(actor: User, now: datetime) -> str:
    return PIXELS_KEY.format(user=actor.pk, hour=now)


def _unattached(photo_ids: Iterable[int], actor: User) -> tuple[int, QuerySet[Photo]]:
    """How many photos `photo_ids` names, and those of them that are the actor's and on no
    report yet: a request may attach them only if that is all of them."""
    ids = set(photo_ids)
    return len(ids), Photo.objects.filter(pk__in=ids, owner=actor, report__isnull=True)


def unattached_photos(photo_ids: Iterable[int], *, actor: User) -> list[Photo]:
    """The actor's photos `photo_ids`, attached to no report yet, in upload order; raises
    unless all of them are. A read: `claim_photos` attaches them (and checks again)."""
    asked, photos = _unattached(photo_ids, actor)
    found = list(photos.order_by("pk"))
    if len(found) != asked:
        raise PhotoInvalid()
    return found


def claim_photos(report: Report, photo_ids: Iterable[int], *, actor: User, kind: str,
                 now: datetime) -> int:
    """Attach the actor's unattached photos to `report` with one conditional UPDATE (on
    submission: before photos; on resolve: after photos) and answer how many. A photo
    that is someone else's, attached meanwhile or swept as an orphan makes the count
    differ, and raises: the caller's whole transaction rolls back. The caller keeps the
    report's `photo_count` (and `thumbnail_name`) in step."""
    asked, photos = _unattached(photo_ids, actor)
    claimed = photos.update(report=report, kind=kind, attached_at=now)
    if claimed != asked:
        raise PhotoInvalid()
    return claimed


def upload_photo(processed: ProcessedPhoto, *, actor: User,
                 point: tuple[float, float] | None = None) -> Photo:
    """Store a processed photo and its thumbnail under random keys and record them.

    The files are written first; if the row can't be, they are deleted again, so that the
    object store never keeps a file no row knows (the orphan sweep works from rows).
    """
    photo = Photo(owner=actor, content_type=processed.content_type, width=processed.width,
                  height=processed.height, original_format=processed.original_format,
                  original_bytes=processed.original_bytes, sha256=processed.sha256,
                  taken_at=processed.taken_at)
    photo.exif_lat, photo.exif_lng = processed.gps or (None, None)
    photo.client_lat, photo.client_lng = point or (None, None)
    key = uuid.uuid4().hex
    photo.image.save(f"{key}.{processed.extension}", ContentFile(processed.image), save=False)
    try:
        photo.thumbnail.save(f"{key}_t.{processed.extension}", ContentFile(processed.thumbnail),
                             save=False)
        with transaction.atomic():
            photo.save()
    except Exception:
        _delete_files([photo.image.name, photo.thumbnail.name])
        raise
    return photo


def delete_orphan_photos(*, now: datetime | None = None) -> int:
    """Delete photos never attached to a report within `PHOTO_ORPHAN_HOURS`, files first.

    Rows are locked (skipping any a concurrent attach holds) and their files deleted
    before the rows: a crash in between leaves rows whose next sweep finishes the job,
    never files that no row knows. Safe to run twice or in parallel.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PHOTO_ORPHAN_HOURS)
    deleted = 0
    while batch := _delete_orphan_batch(cutoff):
        deleted += batch
    return deleted


@transaction.atomic
def _delete_orphan_batch(cutoff: datetime) -> int:
    orphans = list(skip_locked(Photo.objects
                   .filter(report__isnull=True, created_at__lt=cutoff)
                   .order_by("pk")).values_list("pk", "image", "thumbnail")[:ORPHAN_BATCH])
    if not orphans:
        return 0
    _delete_files([name for _pk, *names in orphans for name in names])
    count, _by_model = Photo.objects.filter(pk__in=[pk for pk, *_names in orphans],
                                            report__isnull=True).delete()
    return count


def _delete_files(names: Sequence[str]) -> None:
    storage = Photo._meta.get_field("image").storage
    for name in names:
        if name:
            storage.delete(name)  # a missing file is not an error on any backend
