"""The 12371 desk's demo data (desk/demo/), seeded once for the module on the test cast
(after the knowledge base's, which the bot answers from).

The module fixture seeds inside a transaction and rolls it back at the end, so the other
modules find the cast untouched; the process's live index is forgotten before and after.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction

from dangjian.accounts.models import User
from dangjian.core.models import AuditEntry, Notification
from dangjian.demo import clock
from dangjian.desk import demo, selectors, stats
from dangjian.desk.models import (
    OPEN_STATUSES,
    CannedReply,
    ChatSession,
    Coordination,
    IvrOption,
    OrderEvent,
    OrderSource,
    OrderStatus,
    WorkOrder,
)
from dangjian.knowledge import demo as kb_demo
from dangjian.knowledge import index
from dangjian.knowledge.models import Conversation, Entry, Message
from dangjian.orgs.models import Organisation

pytestmark = pytest.mark.django_db(transaction=False)

SEED = 7


def _counts() -> dict[str, int]:
    models = (
        WorkOrder,
        OrderEvent,
        Coordination,
        ChatSession,
        CannedReply,
        Conversation,
        Message,
        Entry,
        Notification,
        AuditEntry,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        index.reset()
        root_user = User.objects.get(username="root")
        lines: list[str] = []
        kb_demo.seed(root_user=root_user, seed=SEED, progress=lines.append)
        demo.seed(root_user=root_user, seed=SEED, progress=lines.append)
        first = _counts()
        kb_demo.seed(root_user=root_user, seed=SEED, progress=lines.append)
        demo.seed(root_user=root_user, seed=SEED, progress=lines.append)
        yield SimpleNamespace(root_user=root_user, lines=lines, first=first, second=_counts())
        transaction.set_rollback(True)
    index.reset()


def test_every_channel_and_state_is_there(seeded):
    sources = set(WorkOrder.objects.values_list("source", flat=True))
    assert sources == set(OrderSource.values)
    statuses = set(WorkOrder.objects.values_list("status", flat=True))
    assert statuses == set(OrderStatus.values)
    ratings = set(WorkOrder.objects.exclude(rating=None).values_list("rating", flat=True))
    assert {1, 5} <= ratings and len(ratings) >= 3
    assert WorkOrder.objects.filter(status__in=OPEN_STATUSES, escalation_level__gt=0).exists()
    assert WorkOrder.objects.filter(status=OrderStatus.CLOSED, reopen_count__gt=0).exists()
    assert Coordination.objects.filter(answered_at__isnull=True).exists()
    assert Coordination.objects.filter(answered_at__isnull=False).exists()
    assert selectors.public_questions().exists()
    assert CannedReply.objects.exists() and ChatSession.objects.exists()
    assert OrderEvent.objects.filter(action="escalate").exists()


def test_everything_lies_before_the_demo_now(seeded):
    now = clock.now()
    start = now - dt.timedelta(days=demo.DEMO_DAYS + 1)
    for field in ("created_at", "first_response_at", "answered_at", "rated_at", "closed_at"):
        late = WorkOrder.objects.filter(**{f"{field}__gt": now})
        assert not late.exists(), field
    assert not WorkOrder.objects.filter(created_at__lt=start).exists()
    assert not OrderEvent.objects.filter(at__gt=now).exists()
    assert not Conversation.objects.filter(created_at__gt=now).exists()
    assert not Message.objects.filter(created_at__gt=now).exists()
    answered = WorkOrder.objects.exclude(answered_at=None).exclude(first_response_at=None)
    for order in answered:
        assert order.created_at <= order.first_response_at <= order.answered_at


def test_the_statistics_have_something_to_say(seeded):
    root = Organisation.objects.get_root_nodes().first()
    figures = stats.figures(
        seeded.root_user,
        org=root,
        since=clock.now() - dt.timedelta(days=demo.DEMO_DAYS + 1),
        until=clock.now(),
    )
    assert figures.orders == WorkOrder.objects.filter(merged_into__isnull=True).count()
    assert WorkOrder.objects.exclude(merged_into=None).exists()  # the demo's duplicate
    assert all(figures.by_source[s] > 0 for s in OrderSource.values)
    assert 0.6 < figures.bot_resolution_rate < 0.98
    assert 0 < figures.handoff_rate < 0.4
    assert 0.6 < figures.first_response_rate < 1
    assert 0.6 < figures.resolution_rate < 1
    assert figures.satisfaction_rate is not None and figures.rating_avg >= 3
    assert figures.top_questions and figures.unanswered


def test_a_second_run_adds_nothing(seeded):
    assert seeded.first == seeded.second
    assert any("12371 服务台" in line for line in seeded.lines)


def test_the_hotline_menu_and_the_evening_questions(seeded):
    """(Formerly in the knowledge base's demo test.) The five-option voice menu, and the
    members' conversations with the bot, seeded once."""
    assert IvrOption.objects.count() == 5
    assert seeded.first["Conversation"] > 0
    assert seeded.second["Conversation"] == seeded.first["Conversation"]
