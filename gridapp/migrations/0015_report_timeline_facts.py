"""Three facts of a report's timeline kept on the report for the statistics (its first
accept, its close, whether it was ever reopened), filled in from the timeline."""

from django.db import migrations, models
from django.db.models import Exists, Max, Min, OuterRef, Subquery


def fill(Report, ReportEvent) -> None:
    """One UPDATE of every report from its events (also what a test runs)."""
    events = ReportEvent.objects.filter(report=OuterRef("pk")).order_by()
    Report.objects.update(
        accepted_at=Subquery(events.filter(action="accept").values("report")
                             .annotate(first=Min("at")).values("first")),
        closed_at=Subquery(events.filter(to_status="closed").exclude(from_status="closed")
                           .values("report").annotate(last=Max("at")).values("last")),
        reopened=Exists(events.filter(action="reopen")))


def fill_from_timeline(apps, schema_editor) -> None:
    fill(apps.get_model("gridapp", "Report"), apps.get_model("gridapp", "ReportEvent"))


class Migration(migrations.Migration):

    dependencies = [
        ("gridapp", "0014_report_queue_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="accepted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first accepted at"),
        ),
        migrations.AddField(
            model_name="report",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
        ),
        migrations.AddField(
            model_name="report",
            name="reopened",
            field=models.BooleanField(default=False, verbose_name="reopened at least once"),
        ),
        migrations.RunPython(fill_from_timeline, migrations.RunPython.noop, elidable=True),
    ]
