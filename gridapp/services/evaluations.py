"""Publishing department scorecards (docs/evaluation.md "Scorecards"): computed from the
timeline, stored with the reports behind them, never changed; publishing the same period
again makes the next version."""

import itertools
from decimal import Decimal

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Forbidden
from gridapp.models import Publication, Region, Scorecard, ScorecardLine, StaffRole
from gridapp.selectors import evaluations as selectors
from gridapp.selectors.evaluations import Period, Thresholds


def thresholds() -> Thresholds:
    """The settings in force, as stored with a publication."""
    fast = Decimal(str(settings.EVALUATION_FAST_HOURS)).quantize(selectors.HOURS)
    effect = Decimal(str(settings.EVALUATION_EFFECT_RATE)).quantize(selectors.RATE)
    return Thresholds(fast_hours=fast, effect_rate=effect,
                      min_reports=settings.EVALUATION_MIN_REPORTS)


@transaction.atomic
def publish_scorecards(*, region: Region, period: Period, actor: User | None) -> Publication:
    """Every department's scorecard for the region and period, as the reports stand now.
    `actor` None is the monthly task."""
    if actor is not None and not selectors.may_publish(actor, region):
        raise Forbidden(_("Only the command centres of the region or above it can publish "
                          "its scorecards."))
    Region.objects.select_for_update().filter(pk=region.pk).first()  # one publisher at a time
    limits = thresholds()
    facts = selectors.facts_by_department(region, period)
    latest = Publication.objects.filter(region=region, period=period.label).aggregate(
        latest=Max("version"))["latest"] or 0
    publication = Publication.objects.create(
        region=region, period=period.label, starts_on=period.first, ends_on=period.last,
        version=latest + 1, fast_hours=limits.fast_hours, effect_rate=limits.effect_rate,
        min_reports=limits.min_reports, published_by=actor, published_at=timezone.now())
    for department in selectors.departments_to_score(region, set(facts)):
        _store(publication, department, facts.get(department.pk, []), limits)
    return publication


def _store(publication: Publication, department, facts: list[selectors.Fact],
           limits: Thresholds) -> None:
    card = Scorecard.objects.create(publication=publication, department=department,
                                    **selectors.figures(facts, limits))
    _store_lines(card, facts)


LINE_COLUMNS = ("scorecard_id", "report_id", "dispatched_at", "started_at", "response_hours",
                "effective", "on_time", "rating", "returns", "reopens")
BATCH = 5_000


def _store_lines(card: Scorecard, facts: list[selectors.Fact]) -> None:
    """One line per fact by `executemany` in batches, the values adapted as the ORM would
    adapt them: a city's year holds a line per dispatch (200,000 at 200,000 reports), and
    `bulk_create` spent three quarters of the publication preparing model instances and
    their fields one value at a time (18 s for that year on SQLite; docs/performance.md)."""
    connection = connections[router.db_for_write(ScorecardLine)]
    moment = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(ScorecardLine._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in LINE_COLUMNS)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(LINE_COLUMNS))})"
    rows = ((card.pk, f.report_id, moment(f.dispatched_at), moment(f.started_at),
             f.response_hours, f.effective, f.on_time, f.rating, f.returns, f.reopens)
            for f in facts)
    with connection.cursor() as cursor:
        for batch in iter(lambda: list(itertools.islice(rows, BATCH)), []):
            cursor.executemany(sql, batch)


def publish_last_month() -> int:
    """Last month's scorecards for every region with a command centre (the beat task on
    the 1st). Safe to run twice: a region the task already published for is skipped."""
    period = selectors.last_month(timezone.localdate())
    done = Publication.objects.filter(period=period.label, published_by__isnull=True)
    regions = Region.objects.filter(
        pk__in=StaffRole.objects.filter(role=StaffRole.Role.DISPATCHER).values("region_id")
    ).exclude(pk__in=done.values("region_id"))
    count = 0
    for region in regions.order_by("code"):
        publish_scorecards(region=region, period=period, actor=None)
        count += 1
    return count
