"""The service desk takes over its models from the consult app (first half; ``0002``
adds the keys).

State only: the tables were created by ``consult.0001``–``0005`` and keep their names
(``db_table``), so existing databases keep every row. Content types and warnings that
named ``consult.<model>`` are relabelled (audit entries keep the label they were signed
with)."""

import dangjian.core.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LABEL = "desk"
MODELS = ('workorder', 'orderevent', 'coordination', 'chatsession', 'agentpresence', 'cannedreply', 'ivroption', 'platformfeedback')


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
                    name='Coordination',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('office', models.CharField(max_length=60, verbose_name='协办处室')),
                        ('question', models.TextField(verbose_name='征求意见内容')),
                        ('answer', models.TextField(blank=True, verbose_name='处室意见')),
                        ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='回复时间')),
                    ],
                    options={
                        'verbose_name': '协商联动',
                        'verbose_name_plural': '协商联动',
                        'db_table': 'consult_coordination',
                        'ordering': ['order_id', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='IvrOption',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(verbose_name='顺序')),
                        ('key', models.CharField(max_length=2, verbose_name='按键')),
                        ('label', models.CharField(max_length=60, verbose_name='播报内容')),
                        ('queue', models.CharField(max_length=40, verbose_name='转接队列')),
                        ('category', models.CharField(blank=True, max_length=40, verbose_name='咨询分类')),
                        ('script', models.TextField(blank=True, verbose_name='坐席话术')),
                    ],
                    options={
                        'verbose_name': '语音菜单选项',
                        'verbose_name_plural': '语音菜单选项',
                        'db_table': 'consult_ivroption',
                        'ordering': ['org_id', 'position', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='OrderEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=32, verbose_name='操作')),
                        ('from_status', models.CharField(blank=True, max_length=20, verbose_name='原状态')),
                        ('to_status', models.CharField(blank=True, max_length=20, verbose_name='新状态')),
                        ('note', models.TextField(blank=True, verbose_name='说明')),
                        ('at', models.DateTimeField(db_index=True, verbose_name='时间')),
                    ],
                    options={
                        'verbose_name': '工单记录',
                        'verbose_name_plural': '工单记录',
                        'db_table': 'consult_orderevent',
                        'ordering': ['order_id', 'at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='PlatformFeedback',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('kind', models.CharField(choices=[('suggestion', '功能建议'), ('problem', '使用问题')], max_length=12, verbose_name='类型')),
                        ('text', models.TextField(verbose_name='内容')),
                        ('status', models.CharField(choices=[('received', '已收到'), ('accepted', '已采纳'), ('done', '已优化'), ('declined', '不予采纳')], default='received', max_length=10, verbose_name='状态')),
                        ('reply', models.TextField(blank=True, verbose_name='处理说明')),
                    ],
                    options={
                        'verbose_name': '平台意见',
                        'verbose_name_plural': '问题优化清单',
                        'db_table': 'consult_platformfeedback',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkOrder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('first_response_due', models.DateTimeField(blank=True, null=True, verbose_name='受理时限')),
                        ('resolution_due', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='答复时限')),
                        ('first_response_at', models.DateTimeField(blank=True, null=True, verbose_name='受理时间')),
                        ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='答复时间')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='办结时间')),
                        ('escalation_level', models.PositiveSmallIntegerField(default=0, verbose_name='已升级层级')),
                        ('rating', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='满意度评分')),
                        ('rating_comment', models.CharField(blank=True, max_length=500, verbose_name='评价意见')),
                        ('rated_at', models.DateTimeField(blank=True, null=True, verbose_name='评价时间')),
                        ('reopen_count', models.PositiveSmallIntegerField(default=0, verbose_name='重新办理次数')),
                        ('source', models.CharField(choices=[('handoff', '智能应答转人工'), ('hotline', '热线电话'), ('web', '网站留言'), ('app', 'App留言'), ('public', '公众网站'), ('chat', '在线人工')], max_length=10, verbose_name='来源')),
                        ('kind', models.CharField(choices=[('ask', '党务咨询'), ('speak', '有话向党说'), ('help', '有事找党帮')], default='ask', max_length=8, verbose_name='类型')),
                        ('category', models.CharField(blank=True, db_index=True, max_length=40, verbose_name='咨询分类')),
                        ('summary', models.CharField(max_length=200, verbose_name='问题摘要')),
                        ('detail', models.TextField(blank=True, verbose_name='详细内容')),
                        ('priority', models.CharField(choices=[('urgent', '紧急'), ('normal', '一般'), ('low', '较缓')], default='normal', max_length=8, verbose_name='紧急程度')),
                        ('status', models.CharField(choices=[('new', '待受理'), ('claimed', '办理中'), ('coordinating', '协商办理中'), ('answered', '已答复'), ('reopened', '重新办理'), ('closed', '已办结')], db_index=True, default='new', max_length=14, verbose_name='状态')),
                        ('caller_name', models.CharField(blank=True, max_length=50, verbose_name='来电人/留言人')),
                        ('phone', dangjian.core.fields.EncryptedTextField(blank=True, verbose_name='联系电话')),
                        ('phone_digest', models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
                        ('reply', models.TextField(blank=True, verbose_name='答复内容')),
                        ('answer_count', models.PositiveSmallIntegerField(default=0, verbose_name='答复次数')),
                        ('public', models.BooleanField(default=False, verbose_name='公开到咨询列表')),
                        ('public_question', models.CharField(blank=True, max_length=200, verbose_name='公开问题（已隐去个人信息）')),
                    ],
                    options={
                        'verbose_name': '咨询工单',
                        'verbose_name_plural': '咨询工单',
                        'db_table': 'consult_workorder',
                        'ordering': ['-created_at', '-id'],
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='AgentPresence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('online', models.BooleanField(default=False, verbose_name='在线')),
                        ('last_seen', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='最近心跳')),
                        ('capacity', models.PositiveSmallIntegerField(default=3, verbose_name='同时接待上限')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='consult_presence', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '坐席在线状态',
                        'verbose_name_plural': '坐席在线状态',
                        'db_table': 'consult_agentpresence',
                        'ordering': ['user_id'],
                    },
                ),
                migrations.CreateModel(
                    name='CannedReply',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('title', models.CharField(max_length=60, verbose_name='标题')),
                        ('text', models.TextField(verbose_name='内容')),
                        ('category', models.CharField(blank=True, max_length=40, verbose_name='咨询分类')),
                        ('org', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.organisation', verbose_name='所属组织')),
                    ],
                    options={
                        'verbose_name': '常用答复',
                        'verbose_name_plural': '常用答复',
                        'db_table': 'consult_cannedreply',
                        'ordering': ['title', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ChatSession',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('status', models.CharField(choices=[('active', '进行中'), ('closed', '已结束')], db_index=True, default='active', max_length=8, verbose_name='状态')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                        ('agent', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='consult_chats', to=settings.AUTH_USER_MODEL, verbose_name='坐席')),
                        ('asker', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提问人')),
                    ],
                    options={
                        'verbose_name': '在线人工会话',
                        'verbose_name_plural': '在线人工会话',
                        'db_table': 'consult_chatsession',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
