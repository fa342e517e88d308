"""The ``orglife.compliance`` rollup metric is new: a deployment whose rollups were built
before it has no rows for it. Leave an unfinished rebuild behind, so that the rollups
are not trusted (readers count directly, as before any rebuild) until
``dangjian rollups_rebuild`` has run: it resumes this run and recounts every metric."""

from django.db import migrations
from django.utils import timezone


def need_rebuild(apps, schema_editor):
    rebuilds = apps.get_model("core", "RollupRebuild")
    built = rebuilds.objects.filter(finished_at__isnull=False).exists()
    running = rebuilds.objects.filter(finished_at__isnull=True).exists()
    if built and not running:
        chunks = apps.get_model("orgs", "Organisation").objects.filter(depth=2).count()
        rebuilds.objects.create(started_at=timezone.now(), chunks_total=chunks)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_jobrun_lease"),
        ("orglife", "0003_meeting_list_order_index"),
        ("orgs", "0002_name_field"),
    ]

    operations = [migrations.RunPython(need_rebuild, migrations.RunPython.noop)]
