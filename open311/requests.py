"""Service requests as GeoReport v2 sees them: our reports, mapped both ways.

Categories are services (`group` = the top category); the wire speaks WGS-84 while we
store GCJ-02; `open`/`closed` with our own status beside it; `service_request_id` is the
report number. Nothing personal goes out: not the reporter, not the caller."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from gridapp import geo
from gridapp.divisions import under_q
from gridapp.models import Category, Report, ReportEvent
from gridapp.selectors.reports import reportable_categories

from .models import ApiKey

MAX_RESULTS = 1000
MAX_SPAN = dt.timedelta(days=90)
DESCRIPTION_LIMIT = 4000
CLOSED = (Report.Status.RESOLVED, Report.Status.CLOSED, Report.Status.REJECTED,
          Report.Status.DUPLICATE)


def wire_status(status: str) -> str:
    return "closed" if status in CLOSED else "open"


def statuses(wire: str) -> list[str]:
    """`open`, `closed` (comma lists allowed) → our statuses."""
    wanted = {part.strip() for part in wire.split(",") if part.strip()}
    return [s for s in Report.Status.values if wire_status(s) in wanted]


def services() -> list[dict]:
    return [service(category) for category in reportable_categories().order_by("sort_order", "pk")]


def service(category: Category) -> dict:
    top = category.parent or category
    return {"service_code": category.code, "service_name": category.name,
            "description": category.full_name, "metadata": False, "type": "realtime",
            "keywords": "", "group": top.name}


def definition(category: Category) -> dict:
    return {"service_code": category.code, "attributes": []}


def in_scope(key: ApiKey | None) -> QuerySet[Report]:
    """What a key reads (all, or under its region); without a key (public reading on)
    everything."""
    reports = Report.objects.all()
    if key is not None and key.region_id is not None:
        reports = reports.filter(under_q("region_code", [key.region.prefix]))
    return reports


def with_wire_details(reports: QuerySet[Report]) -> QuerySet[Report]:
    notes = ReportEvent.objects.exclude(note="").order_by("-at", "-pk")
    return reports.select_related("category", "department", "duplicate_of").prefetch_related(
        Prefetch("events", queryset=notes, to_attr="noted_events"), "open311")


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime


def window(start: dt.datetime | None, end: dt.datetime | None) -> Window:
    """The spec's default: the last 90 days; a range never spans more."""
    end = end or (start + MAX_SPAN if start else timezone.now())
    start = start or end - MAX_SPAN
    return Window(start, end)


def search(reports: QuerySet[Report], *, numbers: list[str] | None, service_codes: list[str],
           statuses_wanted: list[str] | None, span: Window) -> list[Report]:
    """`service_request_id` overrides every other filter; newest first, at most 1,000."""
    if numbers is not None:
        reports = reports.filter(number__in=numbers)
    else:
        reports = reports.filter(created_at__gte=span.start, created_at__lte=span.end)
        if service_codes:
            reports = reports.filter(category__code__in=service_codes)
        if statuses_wanted is not None:
            reports = reports.filter(status__in=statuses_wanted)
    return list(with_wire_details(reports).order_by("-created_at", "-pk")[:MAX_RESULTS])


def wire(report: Report) -> dict:
    lat, lng = geo.gcj02_to_wgs84(report.lat, report.lng)
    filed = getattr(report, "open311", None)  # None: not filed through Open311
    return {
        "service_request_id": report.number,
        "status": wire_status(report.status),
        "detailed_status": report.status,
        "status_notes": _status_notes(report),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.department.name if report.department else "",
        "service_notice": "",
        "requested_datetime": _w3c(report.created_at),
        "updated_datetime": _w3c(report.updated_at),
        "expected_datetime": _w3c(report.due_at),
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": round(lat, 6),
        "long": round(lng, 6),
        "media_url": filed.media_url if filed else "",
    }


def _status_notes(report: Report) -> str:
    if report.status == Report.Status.DUPLICATE and report.duplicate_of is not None:
        return f"重复上报，已并入 {report.duplicate_of.number}"
    notes = getattr(report, "noted_events", None)
    if notes is None:
        notes = list(report.events.exclude(note="").order_by("-at", "-pk")[:1])
    return notes[0].note if notes else ""


def _w3c(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def updates(reports: QuerySet[Report], span: Window) -> list[dict]:
    """mySociety's servicerequestupdates: each change of a report's status, oldest first."""
    events = (ReportEvent.objects.filter(report__in=reports, at__gte=span.start,
                                         at__lte=span.end)
              .exclude(from_status=F("to_status"))
              .select_related("report").order_by("at", "pk")[:MAX_RESULTS])
    return [{"update_id": str(event.pk), "service_request_id": event.report.number,
             "status": wire_status(event.to_status), "detailed_status": event.to_status,
             "updated_datetime": _w3c(event.at), "description": event.note, "media_url": ""}
            for event in events]
