"""The service desk takes over its models from the consult app (second half: the keys,
indexes and constraints, as in the tables already; state only, but for the rating check,
which is renamed)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('desk', '0001_initial'),
        ('knowledge', '0001_initial'),
        ('orgs', '0002_name_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name='chatsession',
                    name='conversation',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='chat', to='knowledge.conversation'),
                ),
                migrations.AddField(
                    model_name='coordination',
                    name='answered_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='回复人'),
                ),
                migrations.AddField(
                    model_name='coordination',
                    name='org',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='协办组织'),
                ),
                migrations.AddField(
                    model_name='coordination',
                    name='requested_by',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发起人'),
                ),
                migrations.AddField(
                    model_name='ivroption',
                    name='org',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='热线所属组织'),
                ),
                migrations.AddField(
                    model_name='orderevent',
                    name='actor',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人'),
                ),
                migrations.AddField(
                    model_name='platformfeedback',
                    name='org',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='所属组织'),
                ),
                migrations.AddField(
                    model_name='platformfeedback',
                    name='user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提出人'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='asker',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='consult_orders', to=settings.AUTH_USER_MODEL, verbose_name='提问人'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='asker_org',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='提问人所在组织'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='assignee',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='承办人'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='conversation',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='work_orders', to='knowledge.conversation', verbose_name='关联会话'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='escalated_to',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='升级至组织'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='org',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organisation', verbose_name='承办组织部门'),
                ),
                migrations.AddField(
                    model_name='workorder',
                    name='replied_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='答复人'),
                ),
                migrations.AddField(
                    model_name='orderevent',
                    name='order',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='desk.workorder'),
                ),
                migrations.AddField(
                    model_name='coordination',
                    name='order',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='coordinations', to='desk.workorder'),
                ),
                migrations.AddField(
                    model_name='chatsession',
                    name='work_order',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='desk.workorder', verbose_name='转为工单'),
                ),
                migrations.AddConstraint(
                    model_name='ivroption',
                    constraint=models.UniqueConstraint(fields=('org', 'key'), name='kb_ivr_key_unique'),
                ),
                migrations.AddIndex(
                    model_name='workorder',
                    index=models.Index(fields=['status', 'first_response_due'], name='consult_order_queue'),
                ),
                migrations.AddIndex(
                    model_name='workorder',
                    index=models.Index(fields=['org', 'created_at'], name='consult_order_org'),
                ),
                migrations.AddConstraint(
                    model_name='workorder',
                    constraint=models.CheckConstraint(condition=models.Q(('rating__isnull', True), models.Q(('rating__gte', 1), ('rating__lte', 5)), _connector='OR'), name='consult_workorder_rating_1_5'),
                ),
                migrations.AddConstraint(
                    model_name='coordination',
                    constraint=models.UniqueConstraint(condition=models.Q(('answered_at__isnull', True)), fields=('order', 'org', 'office'), name='consult_coordination_one_open'),
                ),
            ],
        ),
        # The case engine names its rating check after the app label: the one in the
        # database is still consult's, so drop it and add the desk's.
        migrations.RemoveConstraint(model_name="workorder", name="consult_workorder_rating_1_5"),
        migrations.AddConstraint(
            model_name="workorder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("rating__isnull", True),
                    models.Q(("rating__gte", 1), ("rating__lte", 5)),
                    _connector="OR",
                ),
                name="desk_workorder_rating_1_5",
            ),
        ),
    ]
