"""The hand-off path through services.orders: low confidence → a work order carrying the
conversation (no agent online), and 转人工 on request."""

from pathlib import Path

import pytest

from dangjian.desk.models import WorkOrder
from dangjian.knowledge import index
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

UNKNOWN = "社区食堂的营业时间是几点到几点"


@pytest.fixture
def engine(tmp_path, cast):
    make_base(cast.org["P"])
    return index.LiveIndex(tmp_path / "kb-index", max_age=0).get()


def test_an_unrelated_question_on_the_starter_base_is_handed_off(cast, tmp_path):
    """The real engine over the real starter base: it does not guess at the unrelated."""
    from dangjian.knowledge import imports

    for path in sorted((Path(imports.__file__).parent / "starter").glob("*.jsonl")):
        imports.import_file(acting_user=None, org=cast.org["P"], path=path, publish=True)
    engine = index.LiveIndex(tmp_path / "kb-index", max_age=0).get()
    result = services.ask(user=cast.user["member"], question="我家的猫不吃饭怎么办", engine=engine)
    assert result.handed_off and result.entry is None
    assert WorkOrder.objects.get(pk=result.work_order_id).conversation == result.conversation


def test_low_confidence_opens_a_work_order_with_the_conversation(cast):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    member = cast.user["member"]
    result = services.ask(user=member, question=UNKNOWN, engine=engine)
    assert result.handed_off and result.chat_id is None
    order = WorkOrder.objects.get(pk=result.work_order_id)
    assert order.conversation == result.conversation
    assert UNKNOWN in order.summary
    assert result.as_json()["work_order_id"] == order.pk
    assert services.MSG_HANDOFF_ORDER in result.answer
    # Asking again in the same conversation does not open a second order.
    again = services.ask(
        user=member, question=UNKNOWN + "？", conversation=result.conversation, engine=engine
    )
    assert again.work_order_id == order.pk


def test_the_order_takes_the_category_of_the_closest_entry(cast):
    """A hand-off is routed like a call about the topic the bot came closest to."""
    entries = make_base(cast.org["P"])
    closest = entries[1]
    engine = ScriptedEngine([(closest, 0.2), (entries[0], 0.1)], confidence=0.2)
    result = services.ask(user=cast.user["member"], question=UNKNOWN, engine=engine)
    order = WorkOrder.objects.get(pk=result.work_order_id)
    assert closest.category and order.category == closest.category


def test_a_confident_answer_opens_nothing(cast, engine):
    result = services.ask(user=cast.user["member"], question="如何转接党组织关系", engine=engine)
    assert not result.handed_off and not WorkOrder.objects.exists()


def test_transfer_to_a_person_at_any_time(cast, engine):
    member = cast.user["member"]
    answered = services.ask(user=member, question="如何转接党组织关系", engine=engine)
    result = services.conversation_handoff(user=member, conversation=answered.conversation)
    assert result.handed_off
    assert WorkOrder.objects.get(pk=result.work_order_id).conversation == answered.conversation


def test_a_visitor_is_handed_off_too(cast):
    from django.contrib.auth.models import AnonymousUser

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    result = services.ask(user=AnonymousUser(), question=UNKNOWN, engine=engine)
    assert result.handed_off
    assert result.work_order_id is not None or result.chat_id is not None
