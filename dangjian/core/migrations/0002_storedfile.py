import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StoredFile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("key", models.UUIDField(editable=False, unique=True, verbose_name="存储编号")),
                ("original_name", models.CharField(max_length=120, verbose_name="原文件名")),
                ("content_type", models.CharField(max_length=64, verbose_name="文件类型")),
                ("size", models.PositiveBigIntegerField(verbose_name="大小（字节）")),
                ("sha256", models.CharField(db_index=True, max_length=64, verbose_name="SHA-256")),
                ("org_path", models.CharField(blank=True, db_index=True, max_length=255, verbose_name="所属组织路径")),
                ("purpose", models.CharField(max_length=40, verbose_name="用途")),
                ("width", models.PositiveIntegerField(blank=True, null=True, verbose_name="宽度")),
                ("height", models.PositiveIntegerField(blank=True, null=True, verbose_name="高度")),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="上传人",
                    ),
                ),
            ],
            options={
                "verbose_name": "上传文件",
                "verbose_name_plural": "上传文件",
                "ordering": ["id"],
            },
        ),
    ]
