"""The bot: answers when sure, offers candidates when they are plausible, else hands off."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.knowledge import handoff, index, selectors
from dangjian.knowledge.models import Conversation, Feedback, Message, MessageRole
from dangjian.knowledge.services import bot
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

UNKNOWN = "社区食堂的营业时间是几点到几点"


@pytest.fixture
def engine(tmp_path):
    holder = index.LiveIndex(tmp_path / "kb-index", max_age=0)
    return SimpleNamespace(get=holder.get)


@pytest.fixture
def handoffs(monkeypatch):
    """Record hand-offs (the real hand-off is exercised in test_kb_handoff.py)."""
    calls = []

    def fake(conversation, acting_user, **_where):
        calls.append((conversation, acting_user))
        return handoff.Handoff()

    monkeypatch.setattr(handoff, "_handler", fake)
    return calls


def ask(engine, user, question, **kwargs):
    return bot.ask(user=user, question=question, engine=engine.get(), **kwargs)


def test_a_known_question_is_answered_with_its_source(cast, engine, handoffs):
    entries = make_base(cast.org["P"])
    result = ask(engine, cast.user["member"], "如何转接党组织关系")
    assert result.entry_id == entries[0].pk
    assert result.answer == entries[0].answer
    assert result.confidence >= engine.get().threshold
    assert not result.handed_off and not handoffs
    body = result.as_json()
    assert body["source"] == "《中国共产党党员组织关系转接工作细则》"
    assert body["candidates"] == []
    roles = list(result.conversation.messages.values_list("role", flat=True))
    assert roles == [MessageRole.USER, MessageRole.BOT]
    assert result.conversation.org == cast.org["B1"]  # the asker's branch


def test_a_synonym_finds_the_entry(cast, engine, handoffs):
    """组织关系 ↔ 党组织关系 (the engine's synonym table), not an alternative phrasing."""
    entries = make_base(cast.org["P"])
    services.entry_update(acting_user=None, entry=entries[0], alternatives=[])
    result = ask(engine, cast.user["member"], "组织关系转接怎么办")
    assert result.entry_id == entries[0].pk


def test_traditional_and_full_width_text_is_normalised(cast, engine, handoffs):
    entries = make_base(cast.org["P"])
    result = ask(engine, cast.user["member"], "如何轉接黨組織關係？？")
    assert result.entry_id == entries[0].pk


def test_an_unknown_question_is_not_guessed_but_handed_off(cast, handoffs):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[2], 0.005)], confidence=0.2)
    result = bot.ask(user=cast.user["member"], question=UNKNOWN, engine=engine)
    assert result.entry is None
    assert result.handed_off
    assert result.confidence == 0.2
    assert handoffs == [(result.conversation, cast.user["member"])]
    assert result.conversation.handed_off_at is not None
    assert bot.MSG_NOT_SURE in result.answer
    assert result.candidates == []  # nothing close enough to suggest
    reply = result.message
    assert reply.handed_off and not reply.confident and reply.entry is None


def test_the_three_outcomes_at_their_boundaries(cast, handoffs):
    entries = make_base(cast.org["P"])

    def outcome(confidence, candidate=0.9):
        engine = ScriptedEngine([(entries[0], candidate)], confidence=confidence)
        return bot.ask(user=None, question="问题", engine=engine).outcome

    assert outcome(ScriptedEngine.threshold) == bot.ANSWERED
    assert outcome(ScriptedEngine.threshold - 1e-6) == bot.SUGGEST
    assert outcome(ScriptedEngine.lower) == bot.SUGGEST
    assert outcome(ScriptedEngine.lower, candidate=bot.CANDIDATE_MIN) == bot.SUGGEST
    assert not handoffs  # the middle band involves nobody
    assert outcome(ScriptedEngine.lower - 1e-6) == bot.HANDED_OFF
    assert outcome(ScriptedEngine.lower, candidate=bot.CANDIDATE_MIN - 1e-6) == bot.HANDED_OFF
    assert len(handoffs) == 2


def test_the_outcome_is_in_the_json(cast, handoffs):
    entries = make_base(cast.org["P"])
    sure = ScriptedEngine([(entries[0], 0.9)], confidence=0.9)
    answered = bot.ask(user=None, question="问题", engine=sure).as_json()
    assert answered["outcome"] == "answered" and answered["source"] == entries[0].source
    band = ScriptedEngine([(entries[0], 0.9)], confidence=0.3)
    suggested = bot.ask(user=None, question="问题", engine=band).as_json()
    assert suggested["outcome"] == "suggest" and not suggested["handed_off"]
    assert suggested["work_order_id"] is None and suggested["candidates"][0]["entry_id"]


def test_candidates_are_offered_and_clicking_one_answers_with_it(cast, handoffs):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine(
        [(entries[1], 0.4), (entries[0], bot.CANDIDATE_MIN), (entries[2], 0.005)],
        confidence=0.45,
    )
    result = bot.ask(user=cast.user["member"], question="党费什么时候交", engine=engine)
    assert result.outcome == bot.SUGGEST and not result.handed_off and result.entry is None
    assert result.conversation.handed_off_at is None and not handoffs
    assert [c.entry_id for c in result.candidates] == [entries[1].pk, entries[0].pk]
    assert result.answer == bot.MSG_SUGGEST
    assert result.message.candidates[0]["question"] == entries[1].question
    clicked = bot.ask(user=cast.user["member"], conversation=result.conversation, entry=entries[1])
    assert clicked.answer == entries[1].answer and clicked.confidence == 1.0
    assert clicked.outcome == bot.ANSWERED and clicked.conversation == result.conversation
    assert not handoffs


@pytest.mark.parametrize("said", ["都不是", "都不是，转人工", "转人工"])
def test_saying_none_fits_hands_off_with_the_question(cast, handoffs, monkeypatch, said):
    entries = make_base(cast.org["P"])
    where = []
    monkeypatch.setattr(
        handoff, "_handler", lambda c, u, **kw: where.append(kw) or handoff.Handoff()
    )
    engine = ScriptedEngine([(entries[1], 0.4)], confidence=0.3)
    offered = bot.ask(user=None, question="党费什么时候交", engine=engine)
    result = bot.ask(user=None, question=said, conversation=offered.conversation, engine=engine)
    assert result.outcome == bot.HANDED_OFF and result.candidates == []
    assert where == [
        {"category": entries[1].category, "question": "党费什么时候交", "repeat": False}
    ]


def test_a_retired_top_hit_is_not_replaced_by_a_guess(cast, handoffs):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.9), (entries[1], 0.6)], confidence=0.95)
    services.entry_retire(acting_user=None, entry=entries[0])
    result = bot.ask(user=None, question="如何转接党组织关系", engine=engine)
    assert result.outcome == bot.SUGGEST and result.entry is None
    assert [c.entry_id for c in result.candidates] == [entries[1].pk]


def test_expired_and_retired_entries_are_not_answered(cast, engine, handoffs):
    entries = make_base(cast.org["P"])
    holder = engine.get()  # indexed while still valid
    expired = entries[0]
    expired.valid_until = timezone.localdate() - dt.timedelta(days=1)
    expired.save(update_fields=["valid_until"])  # no bump: the ask-time check still holds
    result = bot.ask(user=None, question="如何转接党组织关系", engine=holder)
    assert result.entry_id != expired.pk
    services.entry_retire(acting_user=None, entry=entries[2])
    result = bot.ask(user=None, question="预备党员的预备期是多长时间", engine=holder)
    assert result.entry_id != entries[2].pk
    with pytest.raises(ValidationError) as exc:
        bot.ask(user=None, entry=entries[2], engine=holder)
    assert exc.value.message_dict["entry_id"] == [bot.MSG_NOT_ANSWERABLE]


@pytest.mark.parametrize("question", ["", "   ", "问" * 501])
def test_bad_questions_are_refused(cast, engine, question):
    with pytest.raises(ValidationError) as exc:
        bot.ask(user=None, question=question, engine=engine.get())
    assert "question" in exc.value.message_dict
    assert not Message.objects.exists()


def test_a_question_of_the_maximum_length_is_accepted(cast, engine, handoffs):
    make_base(cast.org["P"])
    bot.ask(user=None, question="问" * 500, engine=engine.get())


def test_visitor_conversations_have_no_owner(cast, engine, handoffs):
    make_base(cast.org["P"])
    result = ask(engine, None, "如何转接党组织关系")
    assert result.conversation.user is None and result.conversation.org is None


def test_hand_off_on_request_is_not_a_gap_in_the_base(cast, handoffs):
    entries = make_base(cast.org["P"])
    member = cast.user["member"]
    sure = ScriptedEngine([(entries[0], 0.9)], confidence=0.9)
    unsure = ScriptedEngine([(entries[0], 0.01)], confidence=0.1)
    answered = bot.ask(user=member, question="如何转接党组织关系", engine=sure)
    bot.message_feedback(message=answered.message, helpful=False)
    bot.ask(user=member, question=UNKNOWN, engine=unsure)
    bot.ask(user=member, question=UNKNOWN, engine=unsure)
    bot.conversation_handoff(user=member, conversation=answered.conversation)
    now = timezone.now()
    gaps = selectors.unanswered_questions(
        cast.user["province_admin"], since=now - dt.timedelta(hours=1), until=now
    )
    assert gaps == [{"question": UNKNOWN, "n": 2}, {"question": "如何转接党组织关系", "n": 1}]
    outside = selectors.unanswered_questions(
        cast.user["sibling_county_admin"], since=now - dt.timedelta(hours=1), until=now
    )
    assert outside == []


def test_feedback_only_on_bot_answers(cast, engine, handoffs):
    make_base(cast.org["P"])
    result = ask(engine, cast.user["member"], "如何转接党组织关系")
    bot.message_feedback(message=result.message, helpful=True)
    result.message.refresh_from_db()
    assert result.message.feedback == Feedback.HELPFUL
    question = result.conversation.messages.get(role=MessageRole.USER)
    with pytest.raises(ValidationError):
        bot.message_feedback(message=question, helpful=True)


def test_conversations_are_seen_by_the_asker_and_staff_above(cast, engine, handoffs):
    make_base(cast.org["P"])
    result = ask(engine, cast.user["member"], "如何转接党组织关系")
    pk = result.conversation.pk
    for key, sees in [
        ("member", True),
        ("agent", True),
        ("county_leader", True),
        ("sibling_county_admin", False),
        ("examiner", False),
        ("outsider", False),
    ]:
        found = selectors.conversation_queryset(cast.user[key]).filter(pk=pk).exists()
        assert found is sees, key
    assert Conversation.objects.count() == 1
