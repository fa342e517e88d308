"""The knowledge base and the bot take over their models from the consult app.

State only: the tables were created by ``consult.0001``–``0005`` and keep their names
(``db_table``), so existing databases keep every row. Content types and warnings that
named ``consult.<model>`` are relabelled (audit entries keep the label they were signed
with)."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

LABEL = "knowledge"
MODELS = ('entry', 'entryversion', 'kbgeneration', 'conversation', 'message', 'dailyanswer')


def _relabel(apps, models, source, target):
    """Content types and warnings name the models by app label: follow the move."""
    content_types = apps.get_model("contenttypes", "ContentType")
    for model in models:
        if not content_types.objects.filter(app_label=target, model=model).exists():
            content_types.objects.filter(app_label=source, model=model).update(app_label=target)
    warnings = apps.get_model("core", "Warning")
    for model in models:
        warnings.objects.filter(subject_type=f"{source}.{model}").update(
            subject_type=f"{target}.{model}"
        )


def forwards(apps, schema_editor):
    _relabel(apps, MODELS, "consult", LABEL)


def backwards(apps, schema_editor):
    _relabel(apps, MODELS, LABEL, "consult")



class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('consult', '0006_moved_to_knowledge_and_desk'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0011_jobrun_lease'),
        ('orgs', '0002_name_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='KbGeneration',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('value', models.BigIntegerField(default=0, verbose_name='代数')),
                        ('epoch', models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='纪元')),
                    ],
                    options={
                        'verbose_name': '知识库索引代数',
                        'verbose_name_plural': '知识库索引代数',
                        'db_table': 'consult_kbgeneration',
                    },
                ),
                migrations.CreateModel(
                    name='Conversation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('channel', models.CharField(choices=[('web', '网页'), ('app', 'App'), ('api', '接口'), ('cli', '命令行')], default='web', max_length=8, verbose_name='渠道')),
                        ('handed_off_at', models.DateTimeField(blank=True, null=True, verbose_name='转人工时间')),
                        ('org', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='所属组织')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提问人')),
                    ],
                    options={
                        'verbose_name': '咨询会话',
                        'verbose_name_plural': '咨询会话',
                        'db_table': 'consult_conversation',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Entry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('kind', models.CharField(choices=[('faq', '问答'), ('case', '案例选编')], default='faq', max_length=8, verbose_name='类型')),
                        ('question', models.CharField(max_length=200, verbose_name='标准问题')),
                        ('answer', models.TextField(verbose_name='答案（Markdown）')),
                        ('alternatives', models.JSONField(blank=True, default=list, verbose_name='相似问法')),
                        ('category', models.CharField(blank=True, db_index=True, max_length=40, verbose_name='分类')),
                        ('tags', models.JSONField(blank=True, default=list, verbose_name='标签')),
                        ('source', models.CharField(blank=True, max_length=200, verbose_name='依据/出处')),
                        ('office', models.CharField(blank=True, max_length=60, verbose_name='责任处室')),
                        ('valid_from', models.DateField(blank=True, null=True, verbose_name='生效日期')),
                        ('valid_until', models.DateField(blank=True, null=True, verbose_name='失效日期')),
                        ('status', models.CharField(choices=[('draft', '草稿'), ('published', '已发布'), ('retired', '已停用')], db_index=True, default='draft', max_length=10, verbose_name='状态')),
                        ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                        ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='发布时间')),
                        ('generation', models.BigIntegerField(db_index=True, default=0, editable=False, verbose_name='索引代数')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='创建人')),
                        ('org', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='所属组织')),
                    ],
                    options={
                        'verbose_name': '知识条目',
                        'verbose_name_plural': '知识条目',
                        'db_table': 'consult_entry',
                        'ordering': ['-updated_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='DailyAnswer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(unique=True, verbose_name='日期')),
                        ('sent', models.PositiveIntegerField(default=0, verbose_name='已推送人数')),
                        ('last_user_id', models.BigIntegerField(default=0, editable=False, verbose_name='已推送至用户编号')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='推送完成时间')),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='knowledge.entry', verbose_name='条目')),
                    ],
                    options={
                        'verbose_name': '每日一答',
                        'verbose_name_plural': '每日一答',
                        'db_table': 'consult_dailyanswer',
                        'ordering': ['-day'],
                    },
                ),
                migrations.CreateModel(
                    name='EntryVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(verbose_name='版本号')),
                        ('action', models.CharField(max_length=20, verbose_name='操作')),
                        ('data', models.JSONField(verbose_name='内容')),
                        ('at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='修改人')),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='knowledge.entry')),
                    ],
                    options={
                        'verbose_name': '条目版本',
                        'verbose_name_plural': '条目版本',
                        'db_table': 'consult_entryversion',
                        'ordering': ['entry_id', '-number'],
                    },
                ),
                migrations.CreateModel(
                    name='Message',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('user', '提问'), ('bot', '智能应答'), ('agent', '人工坐席'), ('system', '系统')], max_length=8, verbose_name='角色')),
                        ('text', models.TextField(verbose_name='内容')),
                        ('confidence', models.FloatField(blank=True, null=True, verbose_name='置信度')),
                        ('confident', models.BooleanField(default=False, verbose_name='有把握')),
                        ('candidates', models.JSONField(blank=True, default=list, verbose_name='候选问题')),
                        ('handed_off', models.BooleanField(default=False, verbose_name='已转人工')),
                        ('feedback', models.CharField(blank=True, choices=[('helpful', '有用'), ('unhelpful', '没用')], db_index=True, max_length=10, verbose_name='评价')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                        ('conversation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='knowledge.conversation')),
                        ('entry', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='knowledge.entry', verbose_name='所答条目')),
                    ],
                    options={
                        'verbose_name': '会话消息',
                        'verbose_name_plural': '会话消息',
                        'db_table': 'consult_message',
                        'ordering': ['conversation_id', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='entry',
                    index=models.Index(fields=['status', 'category'], name='kb_entry_status_cat'),
                ),
                migrations.AddConstraint(
                    model_name='entry',
                    constraint=models.CheckConstraint(condition=models.Q(('valid_from__isnull', True), ('valid_until__isnull', True), ('valid_until__gte', models.F('valid_from')), _connector='OR'), name='kb_entry_valid_range'),
                ),
                migrations.AddConstraint(
                    model_name='entryversion',
                    constraint=models.UniqueConstraint(fields=('entry', 'number'), name='kb_version_unique'),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
