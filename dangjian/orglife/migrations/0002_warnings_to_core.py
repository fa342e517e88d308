"""Move the 主题党日 warnings (ComplianceWarning) onto core warnings, then drop the table.

Each row becomes a core ``Warning`` of kind ``orglife.theme_day_missing`` with the
dedupe key the service uses (``orglife.theme_day:<branch>:<month>``), so a re-run of
the month's job after the upgrade finds it and raises nothing twice.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations

KIND = "orglife.theme_day_missing"
TZ = ZoneInfo("Asia/Shanghai")


def _month_end(period: str) -> dt.datetime | None:
    try:
        year, month = int(period[:4]), int(period[5:7])
    except ValueError:
        return None
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.datetime(year, month, 1, tzinfo=TZ)


def to_core(apps, schema_editor):
    Old = apps.get_model("orglife", "ComplianceWarning")
    Warning = apps.get_model("core", "Warning")
    rows = []
    for old in Old.objects.select_related("branch").order_by("pk").iterator(chunk_size=1000):
        rows.append(
            Warning(
                kind=f"orglife.{old.kind}",
                org_id=old.branch_id,
                subject_type="orgs.organisation",
                subject_id=str(old.branch_id),
                subject_label=old.branch.name[:200],
                title=old.message[:200],
                period=old.period,
                severity=2,
                raised_at=old.created_at,
                due=_month_end(old.period),
                resolved_at=old.resolved_at,
                resolution="auto" if old.resolved_at else "",
                dedupe_key=f"orglife.theme_day:{old.branch_id}:{old.period}",
            )
        )
        if len(rows) >= 1000:
            Warning.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    Warning.objects.bulk_create(rows, ignore_conflicts=True)


def to_orglife(apps, schema_editor):
    Old = apps.get_model("orglife", "ComplianceWarning")
    Warning = apps.get_model("core", "Warning")
    moved = Warning.objects.filter(kind=KIND)
    Old.objects.bulk_create(
        Old(
            branch_id=w.org_id,
            period=w.period,
            kind=KIND.removeprefix("orglife."),
            message=w.title,
            resolved_at=w.resolved_at,
        )
        for w in moved.order_by("pk").iterator(chunk_size=1000)
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_warning"),
        ("orglife", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(to_core, to_orglife),
        migrations.DeleteModel(name="ComplianceWarning"),
    ]
