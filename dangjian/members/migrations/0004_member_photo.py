import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_storedfile"),
        ("members", "0003_member_address"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="photo",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.storedfile",
                verbose_name="证件照",
            ),
        ),
    ]
