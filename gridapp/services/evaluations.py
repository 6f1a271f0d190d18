"""Publishing department scorecards (docs/evaluation.md "Scorecards"): computed from the
timeline, stored with the reports behind them, never changed; publishing the same period
again makes the next version."""

from decimal import Decimal

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.api.errors import Forbidden
from config.db import execute_in_batches
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


# A line is its scorecard and the fact it records, column for column.
LINE_COLUMNS = ("scorecard_id", *selectors.Fact._fields)
BATCH = 5_000


def _store_lines(card: Scorecard, facts: list[selectors.Fact]) -> None:
    """One line per fact, without a model instance: on PostgreSQL by COPY, elsewhere by
    `executemany` in batches with the moments adapted as the ORM adapts them. A city's
    year holds a line per dispatch (978,620 at a million reports), and `bulk_create`,
    building instances and preparing their fields one value at a time, took 75 s of the
    year's publication on PostgreSQL, past the 30 s gunicorn gives a request; COPY
    takes it to 16.5 s, `executemany` to 25.5 (docs/performance.md)."""
    connection = connections[router.db_for_write(ScorecardLine)]
    table = connection.ops.quote_name(ScorecardLine._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in LINE_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for fact in facts:
                    copy.write_row((card.pk, *fact))
            return
        moment = connection.ops.adapt_datetimefield_value
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(LINE_COLUMNS))})"
        rows = ((card.pk, *fact._replace(dispatched_at=moment(fact.dispatched_at),
                                         started_at=moment(fact.started_at)))
                for fact in facts)
        execute_in_batches(cursor, sql, rows, BATCH)


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
