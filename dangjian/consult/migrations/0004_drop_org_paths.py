"""Drop the copied organisation paths: the keys added by 0002 and filled by 0003 replace them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0003_fill_org_keys"),
    ]

    operations = [
        # A default first, so that the paths can be added back (and refilled by 0003).
        migrations.AlterField(
            model_name="workorder",
            name="org_path",
            field=models.CharField(
                db_index=True, default="", max_length=255, verbose_name="承办组织路径"
            ),
        ),
        migrations.AlterField(
            model_name="coordination",
            name="org_path",
            field=models.CharField(
                db_index=True, default="", max_length=255, verbose_name="协办组织路径"
            ),
        ),
        migrations.RemoveIndex(
            model_name="workorder",
            name="consult_order_org",
        ),
        migrations.RemoveField(
            model_name="chatsession",
            name="org_path",
        ),
        migrations.RemoveField(
            model_name="conversation",
            name="org_path",
        ),
        migrations.RemoveField(
            model_name="coordination",
            name="org_path",
        ),
        migrations.RemoveField(
            model_name="platformfeedback",
            name="org_path",
        ),
        migrations.RemoveField(
            model_name="workorder",
            name="asker_org_path",
        ),
        migrations.RemoveField(
            model_name="workorder",
            name="escalated_path",
        ),
        migrations.RemoveField(
            model_name="workorder",
            name="org_path",
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["org", "created_at"], name="consult_order_org"),
        ),
    ]
