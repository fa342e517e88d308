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
    assert bot.MSG_HANDOFF_ORDER.format(id=order.number) in result.answer


def test_a_re_ask_reuses_the_open_order_and_says_so(cast):
    """One member, one question asked three times: one order, the asker told it is there."""
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    member = cast.user["member"]
    first = bot.ask(user=member, question=UNKNOWN, engine=engine)
    for text in (UNKNOWN + "？", " " + UNKNOWN):
        again = bot.ask(user=member, question=text, conversation=first.conversation, engine=engine)
        assert again.work_order_id == first.work_order_id
        assert bot.MSG_HANDOFF_REPEAT.format(id=WorkOrder.objects.get().number) in again.answer
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
    assert bot.MSG_HANDOFF_ADDED.format(id=order.number) in again.answer
    assert order.summary == UNKNOWN and second in order.detail
    # The province centre, which accepts it (省级集中受理), sees it on the order page.
    login(cast.user["province_admin"])
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


def _sms_code() -> str:
    from dangjian.core.notify import sms_outbox

    return sms_outbox[-1][1].split("验证码是 ")[1][:6]


def test_a_visitor_is_asked_for_a_phone_before_being_promised_a_notice(cast):
    """The number is stored only once the code texted to it comes back."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import ValidationError

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    visitor = AnonymousUser()
    result = bot.ask(user=visitor, question=UNKNOWN, engine=engine)
    order = WorkOrder.objects.get(pk=result.work_order_id)
    conversation = result.conversation
    assert result.needs_contact and result.as_json()["needs_contact"] is True
    assert "请留下您的手机号码" in result.answer and "会通知您" not in result.answer
    with pytest.raises(ValidationError) as bad:
        bot.conversation_contact(user=visitor, conversation=conversation, phone="12345")
    assert "phone" in bad.value.message_dict
    sent = bot.conversation_contact(user=visitor, conversation=conversation, phone="13812345678")
    assert sent.needs_contact and "138****5678" in sent.answer
    order.refresh_from_db()
    assert order.phone == ""  # not before the code comes back
    with pytest.raises(ValidationError) as wrong:
        bot.conversation_contact(
            user=visitor, conversation=conversation, phone="13812345678", code="000000"
        )
    assert "code" in wrong.value.message_dict
    code = _sms_code()
    with pytest.raises(ValidationError):  # a code texted to one number confirms no other
        bot.conversation_contact(
            user=visitor, conversation=conversation, phone="13900001111", code=code
        )
    saved = bot.conversation_contact(
        user=visitor, conversation=conversation, phone="13812345678", code=code
    )
    order.refresh_from_db()
    assert order.phone == "13812345678"
    assert "138****5678" in saved.answer and "短信通知" in saved.answer
    again = bot.ask(
        user=visitor,
        question="还有一个问题：办证大厅在哪",
        conversation=conversation,
        engine=engine,
    )
    assert not again.needs_contact and "请留下您的手机号码" not in again.answer
    with pytest.raises(ValidationError):  # reached already: no second number, no code
        bot.conversation_lookup_code(user=visitor, conversation=conversation)


def test_a_visitor_without_a_phone_gets_a_look_up_code_shown_once(cast):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import ValidationError

    from dangjian.desk.services import lookup
    from dangjian.knowledge.models import Message

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    visitor = AnonymousUser()
    result = bot.ask(user=visitor, question=UNKNOWN, engine=engine)
    issued = bot.conversation_lookup_code(user=visitor, conversation=result.conversation)
    order = WorkOrder.objects.get(pk=result.work_order_id)
    code = issued.lookup_code
    assert issued.lookup_number == order.number and len(code) == lookup.CODE_LENGTH
    assert code in issued.answer and issued.as_json()["lookup_code"] == code
    assert order.lookup_digest and code not in order.lookup_digest  # hashed
    assert not Message.objects.filter(text__contains=code).exists()  # nor in the transcript
    assert lookup.order_lookup(number=order.number, code=code.lower()) == order
    assert lookup.order_lookup(number=str(order.pk), code=code) == order
    with pytest.raises(ValidationError):  # asked once: no second code to overwrite it
        bot.conversation_lookup_code(user=visitor, conversation=result.conversation)


def test_the_look_up_refuses_a_wrong_number_or_code_alike(cast):
    from django.core.exceptions import ValidationError

    from dangjian.desk.services import lookup

    order = WorkOrder.objects.create(
        source="handoff", summary="社区食堂几点开门", org=cast.org["P"], status="new"
    )
    member_order = WorkOrder.objects.create(
        source="web", summary="党费", org=cast.org["P"], asker=cast.user["member"]
    )
    code = lookup.lookup_code_issue(order=order)
    refusals = [
        ({"number": "", "code": code}, "number"),
        ({"number": order.number, "code": "123"}, "code"),
        ({"number": order.number, "code": "A" * lookup.CODE_LENGTH}, "code"),
        ({"number": "GD19990101" + order.number[-6:], "code": code}, "code"),
        ({"number": str(member_order.pk), "code": code}, "code"),
    ]
    for fields, field in refusals:
        with pytest.raises(ValidationError) as refused:
            lookup.order_lookup(**fields)
        assert field in refused.value.message_dict
    assert refused.value.message_dict["code"] == [lookup.MSG_LOOKUP_FAILED]
    with pytest.raises(ValidationError):  # a member's order has no look-up code to issue
        lookup.lookup_code_issue(order=member_order)


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
