"""Fill the organisation keys added by 0002 from the copied paths (0004 drops them):
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

from django.db import migrations
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
        ("consult", "0002_org_keys"),
    ]

    operations = [
        migrations.RunPython(fill_keys, fill_paths),
    ]
