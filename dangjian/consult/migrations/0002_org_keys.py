"""Consult's rows point at their organisation instead of copying its path (issue 9).

Adds the keys and fills them from the copied paths (0003 then drops the paths):
- a conversation's and a feedback item's branch, and an order's asker's branch: the
  organisation whose path equals the copy. A copy gone stale by an earlier move names
  no organisation, or — if the slot was reused since — another one; there is no better
  source for it in the data, and a null key is the visitor's case (seen by its asker and
  the root), never a leak to the old superiors;
- an order's escalation target: the ancestor ``escalation_level`` steps above the
  organisation it is routed to, from that organisation's current path (what the copy
  would read had it been kept in step with the tree).

Backwards, the paths are written again from the keys.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

STEPLEN = 4  # treebeard's path step of orgs.Organisation


def _org_at(Organisation, path_field: str):
    return Subquery(Organisation.objects.filter(path=OuterRef(path_field)).values("id")[:1])


def fill_keys(apps, schema_editor):
    Organisation = apps.get_model("orgs", "Organisation")
    Conversation = apps.get_model("consult", "Conversation")
    PlatformFeedback = apps.get_model("consult", "PlatformFeedback")
    WorkOrder = apps.get_model("consult", "WorkOrder")
    Conversation.objects.exclude(org_path="").update(org=_org_at(Organisation, "org_path"))
    PlatformFeedback.objects.exclude(org_path="").update(org=_org_at(Organisation, "org_path"))
    WorkOrder.objects.exclude(asker_org_path="").update(
        asker_org=_org_at(Organisation, "asker_org_path")
    )
    pairs = (
        WorkOrder.objects.filter(escalation_level__gt=0)
        .values_list("org__path", "org__depth", "escalation_level")
        .distinct()
    )
    for path, depth, level in list(pairs):
        target = Organisation.objects.filter(path=path[: max(depth - level, 1) * STEPLEN]).first()
        WorkOrder.objects.filter(org__path=path, escalation_level=level).update(escalated_to=target)


def fill_paths(apps, schema_editor):
    Organisation = apps.get_model("orgs", "Organisation")
    Conversation = apps.get_model("consult", "Conversation")
    ChatSession = apps.get_model("consult", "ChatSession")
    Coordination = apps.get_model("consult", "Coordination")
    PlatformFeedback = apps.get_model("consult", "PlatformFeedback")
    WorkOrder = apps.get_model("consult", "WorkOrder")

    def path_of(key: str):
        return Subquery(Organisation.objects.filter(pk=OuterRef(key)).values("path")[:1])

    Conversation.objects.filter(org__isnull=False).update(org_path=path_of("org_id"))
    PlatformFeedback.objects.filter(org__isnull=False).update(org_path=path_of("org_id"))
    Coordination.objects.update(org_path=path_of("org_id"))
    WorkOrder.objects.update(org_path=path_of("org_id"))
    WorkOrder.objects.filter(asker_org__isnull=False).update(asker_org_path=path_of("asker_org_id"))
    WorkOrder.objects.filter(escalated_to__isnull=False).update(
        escalated_path=path_of("escalated_to_id")
    )
    conversations = Conversation.objects.filter(pk=OuterRef("conversation_id"))
    ChatSession.objects.update(org_path=Subquery(conversations.values("org_path")[:1]))


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
        migrations.RunPython(fill_keys, fill_paths),
    ]
