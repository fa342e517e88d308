"""Consult's rows point at their organisation instead of copying its path (issue 9):
the keys (0003 fills them from the paths, 0004 drops the paths; three migrations, so
that on PostgreSQL no row is written in the transaction that builds the keys' indexes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0001_initial"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="org",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.organisation",
                verbose_name="所属组织",
            ),
        ),
        migrations.AddField(
            model_name="platformfeedback",
            name="org",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.organisation",
                verbose_name="所属组织",
            ),
        ),
        migrations.AddField(
            model_name="workorder",
            name="asker_org",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.organisation",
                verbose_name="提问人所在组织",
            ),
        ),
        migrations.AddField(
            model_name="workorder",
            name="escalated_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.organisation",
                verbose_name="升级至组织",
            ),
        ),
    ]
