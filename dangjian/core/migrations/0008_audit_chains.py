"""Parallel keyed audit chains (issue 9 part 9, issue 10 finding 2).

Existing entries become the start of chain 0, in id order, as legacy entries (no key
id: their plain SHA-256 hashes are verified as they were written); the first keyed
entry written on chain 0 afterwards covers their last hash. One head per chain.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64


def number_existing(apps, schema_editor):
    Entry = apps.get_model("core", "AuditEntry")
    Head = apps.get_model("core", "AuditHead")
    seq, last, batch = 0, GENESIS, []
    for entry in Entry.objects.order_by("id").only("id", "hash").iterator(chunk_size=2000):
        seq += 1
        entry.chain, entry.seq, entry.key_id = 0, seq, ""
        last = entry.hash
        batch.append(entry)
        if len(batch) >= 2000:
            Entry.objects.bulk_update(batch, ["chain", "seq", "key_id"])
            batch = []
    if batch:
        Entry.objects.bulk_update(batch, ["chain", "seq", "key_id"])
    chains = max(1, int(getattr(settings, "AUDIT_CHAINS", 16)))
    Head.objects.bulk_create(
        [Head(chain=0, seq=seq, last_hash=last)]
        + [Head(chain=c, seq=0, last_hash=GENESIS) for c in range(1, chains)]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_rollups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.ORG_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name="AuditHead"),
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "chain",
                    models.PositiveSmallIntegerField(
                        primary_key=True, serialize=False, verbose_name="链"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(default=0, verbose_name="最后序号")),
                ("last_hash", models.CharField(max_length=64, verbose_name="最后哈希")),
            ],
            options={
                "verbose_name": "审计链头",
                "verbose_name_plural": "审计链头",
                "ordering": ["chain"],
            },
        ),
        migrations.AddField(
            model_name="auditentry",
            name="chain",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="链"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="链内序号"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="密钥编号"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="request_id",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="请求编号"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="org",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.ORG_MODEL,
                verbose_name="所属组织",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="chain",
            field=models.PositiveSmallIntegerField(verbose_name="链"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(verbose_name="链内序号"),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_entry_chain_seq"
            ),
        ),
    ]
