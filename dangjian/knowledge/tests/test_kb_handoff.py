"""The hand-off path through services.orders: low confidence → a work order carrying the
conversation (no agent online), and 转人工 on request."""

from pathlib import Path

import pytest

from dangjian.desk.models import WorkOrder
from dangjian.knowledge import index
from dangjian.knowledge.services import bot
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
    result = bot.ask(user=cast.user["member"], question="我家的猫不吃饭怎么办", engine=engine)
    assert result.handed_off and result.entry is None
    assert WorkOrder.objects.get(pk=result.work_order_id).conversation == result.conversation


def test_low_confidence_opens_a_work_order_with_the_conversation(cast):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    member = cast.user["member"]
    result = bot.ask(user=member, question=UNKNOWN, engine=engine)
    assert result.handed_off and result.chat_id is None
    order = WorkOrder.objects.get(pk=result.work_order_id)
    assert order.conversation == result.conversation
    assert UNKNOWN in order.summary
    assert result.as_json()["work_order_id"] == order.pk
    assert bot.MSG_HANDOFF_ORDER.format(id=order.pk) in result.answer


def test_a_re_ask_reuses_the_open_order_and_says_so(cast):
    """One member, one question asked three times: one order, the asker told it is there."""
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    member = cast.user["member"]
    first = bot.ask(user=member, question=UNKNOWN, engine=engine)
    for text in (UNKNOWN + "？", " " + UNKNOWN):
        again = bot.ask(user=member, question=text, conversation=first.conversation, engine=engine)
        assert again.work_order_id == first.work_order_id
        assert bot.MSG_HANDOFF_REPEAT.format(id=first.work_order_id) in again.answer
    assert WorkOrder.objects.count() == 1
    assert WorkOrder.objects.get().detail == ""


def test_a_second_unknown_question_is_added_to_the_open_order(cast, login, client):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    member = cast.user["member"]
    first = bot.ask(user=member, question=UNKNOWN, engine=engine)
    second = "社区党群服务中心周末开不开门"
    again = bot.ask(user=member, question=second, conversation=first.conversation, engine=engine)
    order = WorkOrder.objects.get()
    assert again.work_order_id == order.pk
    assert bot.MSG_HANDOFF_ADDED.format(id=order.pk) in again.answer
    assert order.summary == UNKNOWN and second in order.detail
    # The agent sees it on the order page.
    login(cast.user["agent"])
    page = client.get(f"/consult/orders/{order.pk}/")
    assert page.status_code == 200 and second in page.content.decode()


def test_the_order_takes_the_category_of_the_closest_entry(cast):
    """A hand-off is routed like a call about the topic the bot came closest to."""
    entries = make_base(cast.org["P"])
    closest = entries[1]
    engine = ScriptedEngine([(closest, 0.2), (entries[0], 0.1)], confidence=0.15)
    result = bot.ask(user=cast.user["member"], question=UNKNOWN, engine=engine)
    order = WorkOrder.objects.get(pk=result.work_order_id)
    assert closest.category and order.category == closest.category


def test_a_confident_answer_opens_nothing(cast, engine):
    result = bot.ask(user=cast.user["member"], question="如何转接党组织关系", engine=engine)
    assert not result.handed_off and not WorkOrder.objects.exists()


def test_transfer_to_a_person_at_any_time(cast, engine):
    member = cast.user["member"]
    answered = bot.ask(user=member, question="如何转接党组织关系", engine=engine)
    result = bot.conversation_handoff(user=member, conversation=answered.conversation)
    assert result.handed_off
    assert WorkOrder.objects.get(pk=result.work_order_id).conversation == answered.conversation


def test_a_visitor_is_handed_off_too(cast):
    from django.contrib.auth.models import AnonymousUser

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    result = bot.ask(user=AnonymousUser(), question=UNKNOWN, engine=engine)
    assert result.handed_off
    assert result.work_order_id is not None or result.chat_id is not None


def test_a_visitor_is_asked_for_a_phone_before_being_promised_a_notice(cast):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import ValidationError

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    visitor = AnonymousUser()
    result = bot.ask(user=visitor, question=UNKNOWN, engine=engine)
    order = WorkOrder.objects.get(pk=result.work_order_id)
    assert result.needs_contact and result.as_json()["needs_contact"] is True
    assert "请留下您的手机号码" in result.answer and "会通知您" not in result.answer
    with pytest.raises(ValidationError) as bad:
        bot.conversation_contact(user=visitor, conversation=result.conversation, phone="12345")
    assert "phone" in bad.value.message_dict
    saved = bot.conversation_contact(
        user=visitor, conversation=result.conversation, phone="13812345678"
    )
    order.refresh_from_db()
    assert order.phone == "13812345678"
    assert "138****5678" in saved.answer and "短信通知" in saved.answer
    again = bot.ask(
        user=visitor,
        question="还有一个问题：办证大厅在哪",
        conversation=result.conversation,
        engine=engine,
    )
    assert not again.needs_contact and "请留下您的手机号码" not in again.answer


def test_a_contact_needs_an_open_order(cast, engine):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import ValidationError

    answered = bot.ask(user=AnonymousUser(), question="如何转接党组织关系", engine=engine)
    with pytest.raises(ValidationError) as missing:
        bot.conversation_contact(
            user=AnonymousUser(), conversation=answered.conversation, phone="13812345678"
        )
    assert "conversation_id" in missing.value.message_dict


def test_the_middle_band_opens_no_order_and_rejecting_opens_exactly_one(cast):
    entries = make_base(cast.org["P"])
    member = cast.user["member"]
    band = ScriptedEngine([(entries[1], 0.4), (entries[0], 0.2)], confidence=0.3)
    offered = bot.ask(user=member, question=UNKNOWN, engine=band)
    assert offered.outcome == bot.SUGGEST and not WorkOrder.objects.exists()
    conversation = offered.conversation
    rejected = bot.conversation_handoff(user=member, conversation=conversation, rejected=True)
    assert rejected.outcome == bot.HANDED_OFF
    order = WorkOrder.objects.get()
    assert order.pk == rejected.work_order_id and order.conversation == conversation
    assert order.category == entries[1].category
    assert order.summary == UNKNOWN
    assert list(conversation.messages.values_list("text", flat=True))[-2] == bot.MSG_REJECTED
    again = bot.ask(user=member, question="另一个问题", conversation=conversation, engine=band)
    assert again.outcome == bot.SUGGEST
    bot.ask(user=member, question="都不是", conversation=conversation, engine=band)
    order.refresh_from_db()
    assert WorkOrder.objects.get() == order and "另一个问题" in order.detail


def test_no_help_from_an_answer_offers_a_person(cast, engine, client, login):
    member = cast.user["member"]
    answered = bot.ask(user=member, question="如何转接党组织关系", engine=engine)
    bot.message_feedback(message=answered.message, helpful=False)
    result = bot.conversation_handoff(user=member, conversation=answered.conversation)
    assert result.outcome == bot.HANDED_OFF and WorkOrder.objects.count() == 1
