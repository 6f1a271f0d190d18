"""What a page of reports shows of the photos (their count, the first before photo's
thumbnail) kept on the report, filled in from the photos."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill(Report, Photo) -> None:
    """One UPDATE of every report from its photos (also what a test runs)."""
    photos = Photo.objects.filter(report=OuterRef("pk")).order_by()
    Report.objects.update(
        photo_count=Coalesce(Subquery(photos.values("report").annotate(n=Count("pk"))
                                      .values("n")), 0),
        thumbnail_name=Coalesce(Subquery(photos.filter(kind="before").order_by("pk")
                                         .values("thumbnail")[:1]), Value("")))


def fill_from_photos(apps, schema_editor) -> None:
    fill(apps.get_model("gridapp", "Report"), apps.get_model("gridapp", "Photo"))


class Migration(migrations.Migration):

    dependencies = [
        ("gridapp", "0016_reportevent_action_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="photo_count",
            field=models.PositiveIntegerField(default=0, verbose_name="photos"),
        ),
        migrations.AddField(
            model_name="report",
            name="thumbnail_name",
            field=models.CharField(blank=True, default="", max_length=255,
                                   verbose_name="first before photo's thumbnail"),
        ),
        migrations.RunPython(fill_from_photos, migrations.RunPython.noop, elidable=True),
    ]
