"""Live chat both ways: the queue (您前面还有 N 位), the bot relaying the asker's turns to
the open chat, the agent typing, transfer between agents, ending by either side with the
transcript kept on the order; visitors by their browser session; pages and API."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.desk import selectors
from dangjian.desk.models import AgentPresence, ChatSession, WorkOrder
from dangjian.desk.services import chats
from dangjian.desk.services import orders as services
from dangjian.desk.tests.test_orders_services import ask_unknown
from dangjian.desk.tests.test_orders_services import staff as staff
from dangjian.knowledge.models import Message
from dangjian.knowledge.services import bot
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base


def _chat(cast, text="我的党龄从什么时候开始算起？", user=None) -> ChatSession:
    user = user or cast.user["member"]
    result = services.handoff(ask_unknown(user, text), user)
    assert isinstance(result, ChatSession)
    return result


def _texts(chat) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in selectors.chat_messages(chat)]


# --- The queue


def test_a_full_agents_askers_wait_in_turn_and_are_taken_when_room_appears(cast, staff):
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True, capacity=1)
    first = _chat(cast)
    second, third = _chat(cast, "第二个问题"), _chat(cast, "第三个问题")
    assert first.status == "active" and first.agent == agent and first.accepted_at
    assert (second.status, third.status) == ("waiting", "waiting")
    assert (chats.queue_ahead(second), chats.queue_ahead(third)) == (0, 1)
    assert chats.queue_length() == 2
    chats.chat_post(acting_user=cast.user["member"], chat=second, text="我还在等")  # while waiting
    chats.chat_close(acting_user=agent, chat=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == "active" and second.agent == agent
    assert ("system", chats.MSG_ACCEPTED) in _texts(second)
    assert ("user", "我还在等") in _texts(second)
    assert third.status == "waiting" and chats.queue_ahead(third) == 0


def test_the_queue_position_counts_only_the_chats_the_same_agents_can_take(cast, staff):
    """Two queues (分级受理's county desks): 五华区's askers wait for its agent, 盘龙区's for
    theirs; each is told the chats ahead of them in their own queue, oldest first. A
    province agent coming online covers both: then they are one queue."""
    k1, k2, member = staff["k1_agent"], staff["k2_agent"], cast.user["member"]
    chats.presence_set(user=k1, online=True, capacity=1)
    chats.presence_set(user=k2, online=True, capacity=1)

    def asked(text, county):
        conversation = ask_unknown(member, text)
        conversation.org = cast.org[county]  # asked from that county's branch
        conversation.save(update_fields=["org"])
        return services.handoff(conversation, member)

    assert asked("五华一", "K1").agent == k1 and asked("盘龙一", "K2").agent == k2  # both busy
    k1_a, k1_b, k2_a, k1_c = (
        asked("五华二", "K1"), asked("五华三", "K1"), asked("盘龙二", "K2"), asked("五华四", "K1")
    )  # fmt: skip
    assert {c.status for c in (k1_a, k1_b, k2_a, k1_c)} == {"waiting"}
    assert [chats.queue_ahead(c) for c in (k1_a, k1_b, k1_c)] == [0, 1, 2]
    assert chats.queue_ahead(k2_a) == 0  # older chats wait, in the other county's queue
    assert chats.queue_length() == 4
    chats.presence_set(user=staff["p_agent"], online=True, capacity=1)  # covers both
    k1_a.refresh_from_db()
    assert k1_a.agent == staff["p_agent"]  # the oldest waiting chat
    assert chats.queue_ahead(k2_a) == 1 and chats.queue_ahead(k1_c) == 2  # one queue now
    AgentPresence.objects.update(online=False)  # nobody online: every older chat counts
    assert chats.queue_ahead(k2_a) == 1 and chats.queue_ahead(k1_c) == 2


def test_a_waiting_chat_goes_to_an_agent_who_comes_online_or_polls(cast, staff):
    chats.presence_set(user=staff["k1_agent"], online=True, capacity=1)
    _chat(cast)
    waiting = _chat(cast, "第二个问题")
    chats.presence_set(user=staff["k2_agent"], online=True)  # the sibling county: not theirs
    waiting.refresh_from_db()
    assert waiting.status == "waiting"
    chats.presence_set(user=staff["p_agent"], online=True)  # the province covers everyone
    waiting.refresh_from_db()
    assert waiting.status == "active" and waiting.agent == staff["p_agent"]


def test_the_asker_ending_a_chat_makes_room_for_the_next(cast, staff):
    chats.presence_set(user=staff["k1_agent"], online=True, capacity=1)
    first = _chat(cast)
    waiting = _chat(cast, "第二个问题")
    chats.chat_close(acting_user=cast.user["member"], chat=first)  # the asker ends it
    waiting.refresh_from_db()
    assert waiting.agent == staff["k1_agent"]  # room appeared: given at once
    first.refresh_from_db()
    assert first.status == "closed"
    assert any(r == "system" and t.startswith(chats.MSG_ENDED_BY_ASKER) for r, t in _texts(first))


def test_no_agent_online_files_a_work_order_not_a_queue(cast, staff):
    stale = timezone.now() - dt.timedelta(seconds=chats.PRESENCE_SECONDS + 1)
    chats.presence_set(user=staff["k1_agent"], online=True)
    AgentPresence.objects.update(last_seen=stale)
    result = services.handoff(ask_unknown(cast.user["member"]), cast.user["member"])
    assert isinstance(result, WorkOrder)


# --- The bot hands the asker's turns to the open chat


def test_while_a_chat_is_open_the_members_turns_go_to_the_agent_not_the_bot(cast, staff):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    chats.presence_set(user=staff["k1_agent"], online=True)
    member = cast.user["member"]
    handed = bot.ask(user=member, question="社区食堂的营业时间是几点", engine=engine)
    assert handed.chat_id is not None and bot.MSG_HANDOFF_CHAT in handed.answer
    chat = ChatSession.objects.get(pk=handed.chat_id)
    bot_turns = Message.objects.filter(role="bot").count()
    relayed = bot.ask(
        user=member, question="我在广州打工", conversation=handed.conversation, engine=engine
    )
    assert relayed.chat_id == chat.pk and relayed.answer == "" and relayed.message.role == "user"
    assert Message.objects.filter(role="bot").count() == bot_turns  # the bot stayed silent
    assert ("user", "我在广州打工") in _texts(chat)
    chats.chat_close(acting_user=staff["k1_agent"], chat=chat)
    after = bot.ask(
        user=member, question="如何转接党组织关系", conversation=handed.conversation, engine=engine
    )
    assert after.message.role == "bot"  # the bot answers again (and may hand off anew)
    assert after.chat_id != chat.pk


def test_a_queued_handoff_tells_the_asker_they_wait(cast, staff):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    chats.presence_set(user=staff["k1_agent"], online=True, capacity=1)
    _chat(cast)
    waiting = bot.ask(user=cast.user["member"], question="社区食堂几点开门", engine=engine)
    assert bot.MSG_HANDOFF_QUEUE in waiting.answer


# --- Typing, refusals


def test_either_sides_typing_shows_to_the_other_for_a_few_seconds(cast, staff):
    agent, member = staff["k1_agent"], cast.user["member"]
    chats.presence_set(user=agent, online=True)
    chat = _chat(cast)
    chats.chat_typing(acting_user=agent, chat=chat)
    chat.refresh_from_db()
    assert chats.agent_typing(chat) and not chats.asker_typing(chat)
    chats.chat_post(acting_user=agent, chat=chat, text="您好")
    chat.refresh_from_db()
    assert not chats.agent_typing(chat)  # the turn arrived
    chats.chat_typing(acting_user=member, chat=chat)  # the asker types back
    chat.refresh_from_db()
    assert chats.asker_typing(chat) and not chats.agent_typing(chat)
    chats.chat_post(acting_user=member, chat=chat, text="谢谢")
    chat.refresh_from_db()
    assert not chats.asker_typing(chat)
    chats.chat_typing(acting_user=agent, chat=chat)
    chats.chat_typing(acting_user=member, chat=chat)
    stale = timezone.now() - dt.timedelta(seconds=chats.TYPING_SECONDS + 1)
    ChatSession.objects.filter(pk=chat.pk).update(agent_typing_at=stale, asker_typing_at=stale)
    chat.refresh_from_db()
    assert not chats.agent_typing(chat) and not chats.asker_typing(chat)
    with pytest.raises(PermissionDenied):  # neither side of it
        chats.chat_typing(acting_user=staff["k2_agent"], chat=chat)
    with pytest.raises(PermissionDenied):  # a visitor without the conversation
        chats.chat_typing(
            acting_user=AnonymousUser(), chat=chat, session_ids=[chat.conversation_id]
        )
    chats.chat_close(acting_user=agent, chat=chat)
    for user in (agent, member):
        with pytest.raises(ValidationError):
            chats.chat_typing(acting_user=user, chat=chat)


def test_a_visitor_typing_in_the_queue_is_seen_by_the_agent_who_takes_it(cast, staff):
    agent = staff["p_agent"]
    chats.presence_set(user=agent, online=True, capacity=1)
    _chat(cast)  # keeps the only agent busy
    visitor = ask_unknown(AnonymousUser(), "社区食堂几点开门")
    chat = services.handoff(visitor, AnonymousUser())
    assert chat.status == "waiting" and chat.asker_id is None
    chats.chat_typing(acting_user=AnonymousUser(), chat=chat, session_ids=[visitor.pk])
    chat.refresh_from_db()
    assert chats.asker_typing(chat)


def test_strangers_and_closed_chats_are_refused(cast, staff):
    chats.presence_set(user=staff["k1_agent"], online=True)
    chat = _chat(cast)
    for stranger in (staff["k2_agent"], cast.user["agent"], AnonymousUser()):
        with pytest.raises(PermissionDenied):
            chats.chat_post(acting_user=stranger, chat=chat, text="你好")
        with pytest.raises(PermissionDenied):
            chats.chat_close(acting_user=stranger, chat=chat)
    chats.chat_close(acting_user=staff["k1_agent"], chat=chat)
    with pytest.raises(ValidationError) as closed:
        chats.chat_close(acting_user=cast.user["member"], chat=chat)
    assert closed.value.message_dict == {"status": [chats.MSG_CHAT_CLOSED]}
    with pytest.raises(ValidationError) as empty:
        chats.chat_post(acting_user=cast.user["member"], chat=chat, text="还在吗")
    assert "text" in empty.value.message_dict


# --- Transfer between agents


def test_transfer_with_a_note_the_other_agent_accepts(cast, staff):
    k1, p_agent = staff["k1_agent"], staff["p_agent"]
    chats.presence_set(user=k1, online=True)
    chats.presence_set(user=p_agent, online=True)
    chat = _chat(cast)
    assert chat.agent == k1 and chats.transfer_targets(chat) == [p_agent]
    chats.chat_transfer(
        acting_user=k1, chat=chat, to_agent=p_agent, note="涉及异地转接，请省里协助"
    )
    chat.refresh_from_db()
    assert chat.transfer_to == p_agent and selectors.chat_get(p_agent, chat.pk) == chat
    assert list(selectors.transfers_to(p_agent)) == [chat]
    with pytest.raises(PermissionDenied):  # only the agent asked accepts
        chats.chat_transfer_accept(acting_user=staff["k2_agent"], chat=chat)
    chats.chat_transfer_accept(acting_user=p_agent, chat=chat)
    chat.refresh_from_db()
    assert chat.agent == p_agent and chat.transfer_to is None
    assert chat.transfer_note == "涉及异地转接，请省里协助"
    assert ("system", chats.MSG_TRANSFERRED) in _texts(chat)
    assert "涉及异地转接" not in str(_texts(chat))  # the note is for the agents
    chats.chat_post(acting_user=p_agent, chat=chat, text="您好，我是省里的坐席")
    with pytest.raises(PermissionDenied):  # the first agent has left the chat
        chats.chat_post(acting_user=k1, chat=chat, text="我还在")
    assert AuditEntry.objects.filter(action="consult.chat.transfer_accept").count() == 1


def test_transfer_refusals(cast, staff):
    k1, k2, p_agent = staff["k1_agent"], staff["k2_agent"], staff["p_agent"]
    chats.presence_set(user=k1, online=True)
    chats.presence_set(user=k2, online=True)  # online, but not over the member's branch
    chat = _chat(cast)

    def transfer(user=k1, to=p_agent, note="请协助办理"):
        return chats.chat_transfer(acting_user=user, chat=chat, to_agent=to, note=note)

    with pytest.raises(PermissionDenied):
        transfer(user=cast.user["member"])
    with pytest.raises(ValidationError) as offline:  # the province agent is not online
        transfer(note="")
    assert set(offline.value.message_dict) == {"to_agent", "note"}
    with pytest.raises(ValidationError) as outside:
        transfer(to=k2)
    assert outside.value.message_dict == {"to_agent": [chats.MSG_TRANSFER_TARGET]}
    chats.presence_set(user=p_agent, online=True, capacity=1)
    transfer()
    # the agent asked fills up meanwhile: accepting is refused on capacity
    AgentPresence.objects.filter(user=p_agent).update(capacity=1)
    busy = ChatSession.objects.create(
        conversation=ask_unknown(cast.user["member"], "占用"), agent=p_agent, status="active"
    )
    with pytest.raises(ValidationError) as full:
        chats.chat_transfer_accept(acting_user=p_agent, chat=chat)
    assert full.value.message_dict == {"transfer": [chats.MSG_TRANSFER_FULL]}
    chats.chat_close(acting_user=p_agent, chat=busy)
    chats.chat_transfer_decline(acting_user=p_agent, chat=chat)  # 拒绝
    chat.refresh_from_db()
    assert chat.transfer_to is None and chat.agent == k1
    transfer()
    chats.chat_transfer_decline(acting_user=k1, chat=chat)  # 撤回
    with pytest.raises(PermissionDenied):  # nothing pending any more
        chats.chat_transfer_accept(acting_user=p_agent, chat=chat)
    chats.chat_close(acting_user=k1, chat=chat)
    with pytest.raises(ValidationError):
        transfer()


# --- The transcript on the order


def test_ending_with_an_order_keeps_the_transcript_on_it(client, cast, staff, login):
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True)
    chat = _chat(cast)
    chats.chat_post(acting_user=agent, chat=chat, text="请问您在哪个支部？")
    chats.chat_post(acting_user=cast.user["member"], chat=chat, text="五华区一支部")
    chats.chat_close(acting_user=agent, chat=chat, to_order=True)
    chat.refresh_from_db()
    order = chat.work_order
    assert order.source == "chat" and order.conversation == chat.conversation
    texts = [m.text for m in selectors.conversation_transcript(order)]
    assert "请问您在哪个支部？" in texts and "五华区一支部" in texts
    assert any(order.number in t for t in texts)  # the asker is told the number
    login(agent)
    page = client.get(f"/consult/orders/{order.pk}/").content.decode()
    assert "请问您在哪个支部？" in page and "五华区一支部" in page


# --- The order's 咨询分类


def test_the_bots_category_is_the_answered_chats_unless_the_agent_picks_another(cast, staff):
    """The category the bot came closest to rides along into the chat and files the order
    the chat becomes; the agent may pick another (or 未分类) when ending it."""
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True, capacity=3)
    member = cast.user["member"]
    kept, changed, cleared = (
        services.handoff(ask_unknown(member, text), member, category="组织关系转接")
        for text in ("关系转不过去怎么办", "第二个问题", "第三个问题")
    )
    assert kept.category == "组织关系转接"
    assert services.handoff(ask_unknown(member, "没有分类"), member, category="天气").category == ""
    for chat in (kept, changed, cleared):
        chats.chat_post(acting_user=agent, chat=chat, text="已为您说明")
    chats.chat_close(acting_user=agent, chat=kept)
    chats.chat_close(acting_user=agent, chat=changed, category="党费", to_order=True)
    chats.chat_close(acting_user=agent, chat=cleared, category="")
    filed = ChatSession.objects.filter(pk__in=[kept.pk, changed.pk, cleared.pk])
    categories = {c.pk: c.work_order.category for c in filed}
    assert [categories[c.pk] for c in (kept, changed, cleared)] == ["组织关系转接", "党费", ""]


def test_only_the_agent_picks_a_listed_category(cast, staff):
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True)
    chat = _chat(cast)
    with pytest.raises(ValidationError) as unknown:
        chats.chat_close(acting_user=agent, chat=chat, category="天气")
    assert unknown.value.message_dict == {"category": [chats.MSG_CATEGORY]}
    with pytest.raises(ValidationError) as asker:
        chats.chat_close(acting_user=cast.user["member"], chat=chat, category="党费")
    assert asker.value.message_dict == {"category": [chats.MSG_CATEGORY_AGENT_ONLY]}
    chat.refresh_from_db()
    assert chat.status == "active" and chat.work_order_id is None  # nothing half-done


def test_the_agent_picks_the_category_on_the_chat_page_and_through_the_api(
    client, cast, staff, login, bearer
):
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True, capacity=2)
    by_page, by_api = _chat(cast), _chat(cast, "第二个问题")
    login(agent)
    page = client.get(reverse("desk:live_chat", args=[by_page.pk])).content.decode()
    assert 'name="category"' in page and "党费</option>" in page
    client.post(
        reverse("desk:live_chat_close", args=[by_page.pk]), {"category": "党费", "to_order": "1"}
    )
    by_page.refresh_from_db()
    assert by_page.work_order.category == "党费"
    api = f"/api/v1/consult/chats/{by_api.pk}/close"
    refused = client.post(
        api, {"category": "天气"}, content_type="application/json", **bearer(agent)
    )
    assert refused.status_code == 422
    assert {tuple(e["loc"]) for e in refused.json()["detail"]} == {("body", "category")}
    done = client.post(
        api,
        {"category": "组织关系转接", "to_order": True},
        content_type="application/json",
        **bearer(agent),
    )
    assert WorkOrder.objects.get(pk=done.json()["work_order_id"]).category == "组织关系转接"


def test_a_question_typed_over_several_lines_is_quoted_on_one_line(cast, staff):
    """The order's summary quotes the question on one line, whatever the asker typed:
    newlines and a pasted zero-width space are not a reason to refuse the hand-off."""
    member, agent = cast.user["member"], staff["k1_agent"]
    typed = "我在外地打工\n组织关系\u200b怎么转？"
    filed = services.handoff(ask_unknown(member, typed), member)  # nobody online: an order
    assert filed.summary == "我在外地打工 组织关系怎么转？"
    chats.presence_set(user=agent, online=True)
    chat = _chat(cast, typed)
    chats.chat_post(acting_user=agent, chat=chat, text="请到流入地党组织报到")
    chats.chat_close(acting_user=agent, chat=chat)
    chat.refresh_from_db()
    assert chat.work_order.summary == "我在外地打工 组织关系怎么转？"


def test_a_one_character_reply_on_the_bot_page_still_reaches_the_agent(client, cast, staff, login):
    """The bot refuses a one-character question, but in a live chat 好 is an answer: typed
    on the bot page, it is relayed to the agent."""
    chats.presence_set(user=staff["k1_agent"], online=True)
    chat = _chat(cast)
    login(cast.user["member"])
    client.post(reverse("knowledge:chat"), {"question": "好", "c": chat.conversation_id})
    assert ("user", "好") in _texts(chat)


# --- Visitors


def test_a_visitor_chats_by_their_session_only(cast, staff):
    chats.presence_set(user=staff["k1_agent"], online=True)  # a county's: not a visitor's
    chats.presence_set(user=staff["p_agent"], online=True)
    visitor = AnonymousUser()
    conversation = ask_unknown(visitor)
    chat = services.handoff(conversation, visitor)
    assert chat.agent == staff["p_agent"] and chat.asker is None  # the province's agents
    assert selectors.chat_get(visitor, chat.pk, session_ids=[conversation.pk]) == chat
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.chat_get(visitor, chat.pk, session_ids=[conversation.pk + 1])
    with pytest.raises(PermissionDenied):
        chats.chat_post(acting_user=visitor, chat=chat, text="你好")
    chats.chat_post(acting_user=visitor, chat=chat, text="你好", session_ids=[conversation.pk])
    chats.chat_close(acting_user=visitor, chat=chat, session_ids=[conversation.pk])
    chat.refresh_from_db()
    assert chat.status == "closed"


# --- Pages


def test_the_member_and_the_agent_pages_poll_both_ways(client, cast, staff, login):
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True, capacity=1)
    _chat(cast)
    chat = _chat(cast, "第二个问题")
    login(cast.user["member"])
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert "您是下一位" in page and 'hx-trigger="every 2s"' in page
    assert "不等了，留言给工作人员" in page
    first = ChatSession.objects.filter(status="active").get()
    chats.chat_close(acting_user=agent, chat=first)
    polled = client.get(
        f"/consult/live/{chat.pk}/messages/", {"after": "0", "state": "waiting:0:0"}
    )
    body = polled.content.decode()
    assert polled.status_code == 200 and chats.MSG_ACCEPTED in body
    assert 'id="chat-controls" hx-swap-oob="true"' in body  # the state changed
    login(agent)
    client.post(f"/consult/live/{chat.pk}/typing/")
    sent = client.post(f"/consult/live/{chat.pk}/send/", {"text": "您好"}, HTTP_HX_REQUEST="true")
    assert "您好" in sent.content.decode()
    assert client.post(f"/consult/live/{chat.pk}/typing/").status_code == 204
    login(cast.user["member"])
    state = f"active:{agent.pk}:0"
    body = client.get(
        f"/consult/live/{chat.pk}/messages/", {"after": "0", "state": state}
    ).content.decode()
    assert "坐席正在输入" in body and "您好" in body and "chat-controls" not in body
    assert client.post(f"/consult/live/{chat.pk}/typing/").status_code == 204  # types back
    login(agent)
    body = client.get(
        f"/consult/live/{chat.pk}/messages/", {"after": "0", "state": state}
    ).content.decode()
    assert "提问人正在输入" in body and "坐席正在输入" not in body
    login(cast.user["member"])
    client.post(f"/consult/live/{chat.pk}/close/")
    ended = client.get(f"/consult/live/{chat.pk}/messages/", {"after": "0", "state": state})
    assert ended.status_code == 286 and "会话已结束" in ended.content.decode()  # polling stops


def test_the_bot_page_sends_the_asker_to_the_open_chat(client, cast, staff, login, monkeypatch):
    from dangjian.knowledge import index

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    monkeypatch.setattr(index, "live", lambda: type("L", (), {"get": lambda self: engine})())
    chats.presence_set(user=staff["k1_agent"], online=True)
    login(cast.user["member"])
    handed = client.post("/consult/chat/", {"question": "社区食堂几点开门"}, HTTP_HX_REQUEST="true")
    chat = ChatSession.objects.get()
    assert handed["HX-Redirect"] == f"/consult/live/{chat.pk}/"
    page = client.get("/consult/chat/", {"c": chat.conversation_id}).content.decode()
    assert f"/consult/live/{chat.pk}/" in page  # 人工坐席会话进行中，点此进入
    typed = client.post("/consult/chat/", {"c": chat.conversation_id, "question": "我在广州"})
    assert typed.status_code == 302 and typed["Location"] == f"/consult/live/{chat.pk}/"
    assert ("user", "我在广州") in _texts(chat)


def test_a_visitor_uses_the_chat_page_through_their_session(client, cast, staff, monkeypatch):
    from dangjian.knowledge import index

    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)
    monkeypatch.setattr(index, "live", lambda: type("L", (), {"get": lambda self: engine})())
    chats.presence_set(user=staff["p_agent"], online=True)
    handed = client.post("/consult/chat/", {"question": "社区食堂几点开门"})
    chat = ChatSession.objects.get()
    assert handed["Location"] == f"/consult/live/{chat.pk}/"
    assert client.get(handed["Location"]).status_code == 200
    sent = client.post(f"/consult/live/{chat.pk}/send/", {"text": "你好"}, HTTP_HX_REQUEST="true")
    assert "你好" in sent.content.decode()
    other = type(client)()
    assert other.get(f"/consult/live/{chat.pk}/").status_code == 404
    client.post(f"/consult/live/{chat.pk}/close/", {"to_order": "1"})
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert "留下手机号码或获取查询码" in page
    bot_page = client.get("/consult/chat/", {"c": chat.conversation_id}).content.decode()
    assert "获取查询码" in bot_page  # the order filed from the chat needs a way to reach them


def test_the_transfer_pages(client, cast, staff, login):
    k1, p_agent = staff["k1_agent"], staff["p_agent"]
    chats.presence_set(user=k1, online=True)
    chats.presence_set(user=p_agent, online=True)
    chat = _chat(cast)
    login(k1)
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert "转接给其他坐席" in page and str(p_agent) in page
    bad = client.post(f"/consult/live/{chat.pk}/transfer/", {"to_agent": p_agent.pk, "note": ""})
    assert bad.status_code == 422
    client.post(f"/consult/live/{chat.pk}/transfer/", {"to_agent": p_agent.pk, "note": "请协助"})
    login(p_agent)
    console = client.get("/consult/console/").content.decode()
    assert f"转接请求：在线会话 {chat.pk}" in console
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert "接受转接" in page and "请协助" in page
    client.post(f"/consult/live/{chat.pk}/transfer/accept/")
    chat.refresh_from_db()
    assert chat.agent == p_agent


# --- API


def test_the_chat_api_state_typing_transfer_with_field_errors(client, cast, staff, bearer):
    k1, p_agent = staff["k1_agent"], staff["p_agent"]
    chats.presence_set(user=k1, online=True)
    chat = _chat(cast)
    api = f"/api/v1/consult/chats/{chat.pk}"

    def post(path, body, user):
        return client.post(path, body, content_type="application/json", **bearer(user))

    assert post(f"{api}/typing", {}, k1).status_code == 204
    state = client.get(api, **bearer(cast.user["member"])).json()
    assert state["agent_typing"] is True and state["queue_ahead"] == 0
    assert state["asker_typing"] is False
    assert post(f"{api}/typing", {}, cast.user["member"]).status_code == 204
    assert client.get(api, **bearer(k1)).json()["asker_typing"] is True
    assert state["transfer_note"] is None
    refused = post(f"{api}/transfer", {"to_agent_id": p_agent.pk, "note": "x"}, k1)
    assert refused.status_code == 422
    fields = {tuple(e["loc"]) for e in refused.json()["detail"]}
    assert fields == {("body", "to_agent_id"), ("body", "note")}
    chats.presence_set(user=p_agent, online=True)
    asked = post(f"{api}/transfer", {"to_agent_id": p_agent.pk, "note": "请协助"}, k1).json()
    assert asked["transfer_to_id"] == p_agent.pk and asked["transfer_note"] == "请协助"
    assert post(f"{api}/transfer/accept", {}, k1).status_code == 403
    taken = post(f"{api}/transfer/accept", {}, p_agent).json()
    assert taken["agent_id"] == p_agent.pk and taken["transfer_to_id"] is None


def test_the_public_look_up_api(client, cast):
    from dangjian.desk.services import lookup

    order = WorkOrder.objects.create(
        source="handoff", summary="社区食堂几点开门", org=cast.org["P"], reply="7点。"
    )
    code = lookup.lookup_code_issue(order=order)

    def post(body):
        return client.post("/api/v1/consult/public/lookup", body, content_type="application/json")

    found = post({"number": order.number, "code": code}).json()
    assert found["number"] == order.number and found["reply"] == "7点。"
    wrong = post({"number": order.number, "code": "ABCDEFGH"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "code"]
    assert post({"number": "x", "code": code}).status_code == 422


def test_the_asker_is_told_the_public_number_the_look_up_page_and_console_show(cast):
    """One number wherever the asker sees it: the bot's hand-off, the contact note, the
    look-up page (GD…), never the database id."""
    from dangjian.desk.services import lookup

    engine = ScriptedEngine([(make_base(cast.org["P"])[0], 0.02)], confidence=0.1)
    visitor = AnonymousUser()
    first = bot.ask(user=visitor, question="社区食堂几点开门", engine=engine)
    order = WorkOrder.objects.get(pk=first.work_order_id)
    assert order.number.startswith("GD") and order.number != str(order.pk)
    assert f"编号 {order.number}" in first.answer and f"编号 {order.pk}）" not in first.answer
    again = bot.ask(
        user=visitor, question="那周末呢", conversation=first.conversation, engine=engine
    )
    assert f"编号 {order.number}" in again.answer  # added to the same order
    issued = bot.conversation_lookup_code(user=visitor, conversation=first.conversation)
    assert issued.lookup_number == order.number and f"工单号 {order.number}" in issued.answer
    assert lookup.order_lookup(number=order.number, code=issued.lookup_code) == order


def test_the_agents_chat_page_offers_the_canned_replies_the_asker_never_sees(
    client, cast, staff, login
):
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True)
    chat = _chat(cast)
    chats.canned_create(
        acting_user=agent, org=cast.org["K1"], title="开场问候", text="您好，请问有什么可以帮您？"
    )
    login(agent)
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert 'data-canned-target="chat-text"' in page and "开场问候" in page
    login(cast.user["member"])
    assert "开场问候" not in client.get(f"/consult/live/{chat.pk}/").content.decode()
