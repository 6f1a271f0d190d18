"""The GeoReport v2 endpoints: parse the spec's parameters, check the key, call gridapp's
intake or read through `open311.requests`, answer in the format the path asks for.

Plain Django views, not DRF: the spec has its own formats (schemaless XML, form posts)
and its own errors (a list of `{code, description}`): 404 unknown, 403 a missing or bad
key, 400 anything else."""

import datetime as dt
import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from config.api.errors import DomainError
from gridapp import geo, images
from gridapp.divisions import is_under
from gridapp.errors import ContentRejected, OutsideAllGrids
from gridapp.models import Category, Report
from gridapp.services import intake, photos

from . import keys
from . import requests as wire
from .formats import errors, render
from .models import ApiKey, FiledRequest


class Refused(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def open311(view: Callable) -> Callable:
    """Turns a `Refused` into the spec's error list in the requested format."""

    @wraps(view)
    def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
        try:
            return view(request, fmt, **kwargs)
        except Refused as refused:
            return errors(fmt, refused.status, refused.description)

    return wrapper


def _key(request: HttpRequest, *, required: bool) -> ApiKey | None:
    raw = request.POST.get("api_key") if request.method == "POST" else request.GET.get("api_key")
    key = keys.authenticate(raw)
    if key is None and (raw or required):
        raise Refused(403, "api_key missing, unknown or revoked")
    return key


def _reader(request: HttpRequest) -> ApiKey | None:
    """Reading needs a key unless OPEN311_PUBLIC_READ is on."""
    return _key(request, required=not settings.OPEN311_PUBLIC_READ)


# --- services --------------------------------------------------------------------------

@require_GET
@open311
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311-services", kwargs={"fmt": "json"}))
    return render(fmt, "discovery", {
        "changeset": "2026-12-05T00:00:00+08:00", "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": base.removesuffix("services.json"),
                       "changeset": "2026-12-05T00:00:00+08:00", "type": "production",
                       "formats": ["text/xml", "application/json"]}]})


@require_GET
@open311
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", wire.services())


@require_GET
@open311
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    return render(fmt, "service_definition", wire.definition(_category(code)))


def _category(code: str) -> Category:
    category = wire.reportable_categories().filter(code=code[:64]).first()
    if category is None:
        raise Refused(404, f"service_code {code} not found")
    return category


# --- requests --------------------------------------------------------------------------

@csrf_exempt
@require_http_methods(["GET", "POST"])
@open311
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _file(request, fmt)
    key = _reader(request)
    query = request.GET
    numbers = _csv(query.get("service_request_id"))
    found = wire.search(
        wire.in_scope(key), numbers=numbers or None,
        service_codes=_csv(query.get("service_code")),
        statuses_wanted=_statuses(query.get("status")),
        span=_window(query.get("start_date"), query.get("end_date")))
    return render(fmt, "service_requests", [wire.wire(report) for report in found])


@require_GET
@open311
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    key = _reader(request)
    found = wire.search(wire.in_scope(key), numbers=[number], service_codes=[],
                        statuses_wanted=None, span=wire.window(None, None))
    if not found:
        raise Refused(404, f"service_request_id {number} not found")
    return render(fmt, "service_requests", [wire.wire(found[0])])


@require_GET
@open311
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    key = _reader(request)
    filed = FiledRequest.objects.filter(token=token, report__in=wire.in_scope(key)) \
        .select_related("report").first()
    if filed is None:
        raise Refused(404, f"token {token} not found")
    return render(fmt, "service_requests", [{"service_request_id": filed.report.number,
                                             "token": filed.token}])


@require_GET
@open311
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """mySociety's extension: status changes in a window, for polling."""
    key = _reader(request)
    span = _window(request.GET.get("start_date"), request.GET.get("end_date"))
    return render(fmt, "service_request_updates", wire.updates(wire.in_scope(key), span))


def _file(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: a report for the caller, reported by the key's own user, with the
    v2.1 draft's `media[]` photos (or `media`) through the app's photo pipeline."""
    # Before the body is parsed: the limit is enforced while it streams in.
    request.upload_handlers.insert(0, images.SizeLimitUploadHandler(
        request, limit=settings.PHOTO_MAX_BYTES * settings.REPORT_MAX_PHOTOS))
    try:
        key = _key(request, required=True)
    except DomainError as refused:  # the body was too large
        raise Refused(refused.status_code, str(refused.detail)) from None
    form = request.POST
    category = _category(form.get("service_code", ""))
    lat, lng = _point(form.get("lat"), form.get("long"))
    description = form.get("description", "").strip()
    if not description:
        raise Refused(400, "description is required")
    if len(description) > wire.DESCRIPTION_LIMIT:
        raise Refused(400, f"description is longer than {wire.DESCRIPTION_LIMIT} characters")
    media_url = _media_url(form.get("media_url", ""))
    caller = intake.Caller(
        name=" ".join(filter(None, (form.get("last_name", "").strip(),
                                     form.get("first_name", "").strip())))[:64],
        phone=form.get("phone", "").strip()[:32], email=form.get("email", "").strip()[:254])
    photo_ids = _photos(request, key)
    address = form.get("address_string", "").strip()[:255]
    try:
        verdict = intake.screen_text(actor=key.user, text=intake.report_text(description,
                                                                             address))
    except ContentRejected:
        raise Refused(400, "description refused by the content check") from None
    try:
        with transaction.atomic():  # the report, its region check and its record, or none
            report = intake.file_for_caller(
                intake=key.user, caller=caller, source=Report.Source.OPEN311,
                category=category, description=description, lat=lat, lng=lng,
                coord_type=geo.WGS84, address=address, photo_ids=photo_ids,
                content_check=verdict).report
            if key.region is not None and not is_under(report.region_code, key.region.prefix):
                raise Refused(403, "lat/long is outside the region of this api_key")
            filed = FiledRequest.objects.create(
                report=report, key=key, media_url=media_url,
                device_id=form.get("device_id", "")[:128],
                account_id=form.get("account_id", "")[:128])
    except OutsideAllGrids:
        raise Refused(400, "lat/long is outside every grid this server serves") from None
    return render(fmt, "service_requests", [{
        "service_request_id": report.number, "token": filed.token,
        "service_notice": "", "account_id": filed.account_id or None}])


def _photos(request: HttpRequest, key: ApiKey) -> list[int]:
    """Each uploaded photo decoded, re-encoded and stored as the app's are (the key's user
    is charged the pixels), before the report's transaction: no lock is held while an
    image decodes, and a photo no report claims is swept as an orphan."""
    uploads = request.FILES.getlist("media[]") + request.FILES.getlist("media")
    if len(uploads) > settings.REPORT_MAX_PHOTOS:
        raise Refused(400, f"at most {settings.REPORT_MAX_PHOTOS} photos a request")
    now = timezone.now()
    try:
        processed = [images.process(upload, before_decoding=lambda pixels: photos.charge_pixels(
            key.user, pixels, now=now)) for upload in uploads]
    except DomainError as refused:
        raise Refused(refused.status_code, f"media: {refused.detail}") from None
    return [photos.upload_photo(photo, actor=key.user).pk for photo in processed]


# --- parameters ------------------------------------------------------------------------

def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _statuses(value: str | None) -> list[str] | None:
    wanted = _csv(value)
    if not wanted:
        return None
    if set(wanted) - {"open", "closed"}:
        raise Refused(400, "status is open or closed")
    return wire.statuses(",".join(wanted))


def _moment(name: str, value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value.replace(" ", "+"))  # a '+' sent unencoded
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Refused(400, f"{name} must be a w3c date and time with its time zone, e.g. "
                           "2026-11-01T00:00:00+08:00")
    return moment


def _window(start: str | None, end: str | None) -> wire.Window:
    span = wire.window(_moment("start_date", start), _moment("end_date", end))
    if span.start > span.end:
        raise Refused(400, "start_date is after end_date")
    if span.end - span.start > wire.MAX_SPAN:
        raise Refused(400, "start_date and end_date may not span more than 90 days")
    return span


def _point(lat: str | None, lng: str | None) -> tuple[float, float]:
    if not lat or not lng:
        raise Refused(400, "lat and long are required (addresses are not geocoded here)")
    try:
        point = float(lat), float(lng)
    except ValueError:
        raise Refused(400, "lat and long must be decimal degrees (WGS-84)") from None
    if not all(math.isfinite(v) for v in point) or abs(point[0]) > 90 or abs(point[1]) > 180:
        raise Refused(400, "lat and long must be decimal degrees (WGS-84)")
    return point


def _media_url(url: str) -> str:
    """Kept as a link for the staff; the server never fetches it."""
    url = url.strip()
    if url and (len(url) > 1000 or not url.startswith(("https://", "http://"))):
        raise Refused(400, "media_url must be an http(s) URL of at most 1000 characters")
    return url
