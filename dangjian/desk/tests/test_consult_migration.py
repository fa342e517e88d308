"""Upgrading a database of the former consult app keeps every row: the knowledge base and
the service desk take the models over under the same tables (state-only migrations), the
content types and warnings that named ``consult.<model>`` follow, and the rows are read
through the new models.

Runs the real migrations on a scratch database in a subprocess (tests/security/scratch.py),
on SQLite and, when the suite runs against it, PostgreSQL: the test database pytest set up
is never migrated backwards.
"""

import os

import pytest

from tests.security.scratch import Site

BEFORE = """
import datetime as dt
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
call_command("migrate", "consult", "0005", verbosity=0)
call_command("migrate", "core", verbosity=0)
call_command("migrate", "contenttypes", verbosity=0)
apps = MigrationExecutor(connection).loader.project_state(
    [("consult", "0005_case_engine"), ("core", "0011_jobrun_lease")]
).apps
Org = apps.get_model("orgs", "Organisation")
User = apps.get_model("accounts", "User")
made = dict(founded_on=dt.date(1990, 1, 1), depth=1, numchild=0)
org = Org.objects.create(path="0001", name="云南省委", code="530000000000", org_type="committee", **made)
user = User.objects.create(username="asker")
m = lambda name: apps.get_model("consult", name)
now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
entry = m("Entry").objects.create(org=org, question="党费怎么交？", answer="按月交纳。", status="published")
m("EntryVersion").objects.create(entry=entry, number=1, action="create", data={"q": 1})
conversation = m("Conversation").objects.create(user=user, org=org)
m("Message").objects.create(conversation=conversation, role="user", text="党费怎么交？")
order = m("WorkOrder").objects.create(
    source="handoff", summary="党费怎么交？", org=org, asker=user, conversation=conversation,
    status="new", first_response_due=now, resolution_due=now,
)
m("OrderEvent").objects.create(order=order, action="open", at=now)
m("IvrOption").objects.create(org=org, position=1, key="1", label="党费", queue="党费")
m("PlatformFeedback").objects.create(user=user, org=org, kind="problem", text="按钮太小了")
ContentType = apps.get_model("contenttypes", "ContentType")
ct = ContentType.objects.create(app_label="consult", model="workorder")
apps.get_model("core", "Warning").objects.create(
    kind="consult.overdue", org=org, subject_type="consult.workorder", subject_id=str(order.pk),
    subject_label="x", title="超时", dedupe_key=f"consult.overdue:{order.pk}", raised_at=now,
)
call_command("migrate", verbosity=0)

from django.contrib.contenttypes.models import ContentType
from dangjian.core import warnings
from dangjian.desk.models import IvrOption, OrderEvent, PlatformFeedback, WorkOrder
from dangjian.knowledge.models import Conversation, Entry, EntryVersion, Message
order = WorkOrder.objects.select_related("conversation", "org").get(pk=order.pk)
result = {
    "entry": Entry.objects.get(pk=entry.pk).question,
    "versions": EntryVersion.objects.filter(entry_id=entry.pk).count(),
    "messages": list(Message.objects.filter(conversation_id=conversation.pk).values_list("text", flat=True)),
    "order": [order.summary, order.conversation.pk == conversation.pk, order.org.name],
    "events": OrderEvent.objects.filter(order=order).count(),
    "conversation_orders": list(Conversation.objects.get(pk=conversation.pk).work_orders.values_list("pk", flat=True)),
    "ivr": IvrOption.objects.get().label,
    "feedback": PlatformFeedback.objects.get().text,
    "content_type": [ct.pk == ContentType.objects.get_for_model(WorkOrder).pk,
                     ContentType.objects.filter(app_label="consult").count()],
    "cleared": warnings.warnings_clear(kind="consult.overdue", subject=order),
    "order_id": order.pk,
}
"""


VENDORS = ["sqlite"]
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    VENDORS.append("postgresql")


@pytest.fixture(params=VENDORS)
def site(tmp_path, request):
    site = Site(tmp_path, request.param)
    yield site
    site.close()


def test_consult_rows_are_read_through_the_new_apps(site):
    state = site.python(BEFORE)
    assert state["entry"] == "党费怎么交？" and state["versions"] == 1
    assert state["messages"] == ["党费怎么交？"]
    assert state["order"] == ["党费怎么交？", True, "云南省委"]
    assert state["events"] == 1
    assert state["conversation_orders"] == [state["order_id"]]
    assert (state["ivr"], state["feedback"]) == ("党费", "按钮太小了")
    assert state["content_type"] == [True, 0]  # the same row, relabelled
    assert state["cleared"] == 1  # the open warning names the order as desk.workorder
