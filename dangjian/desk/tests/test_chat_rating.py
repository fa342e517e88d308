"""满意/基本满意/不满意 at the end of a live chat: the chat an agent held is kept as an order
answered in the chat, its asker rates it once through the case engine (不满意 reopens it),
and the rating counts in the statistics; pages drawn at a form's address name their own
(a reload or 大字模式 after a refused 转接 or rating does not land on a POST-only URL)."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.errors import field_errors
from dangjian.desk import stats
from dangjian.desk.models import ChatSession, OrderStatus
from dangjian.desk.services import chats
from dangjian.desk.services import orders as services
from dangjian.desk.tests.test_orders_services import ask_unknown
from dangjian.desk.tests.test_orders_services import staff as staff
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

ANSWER = "党龄从预备期满转为正式党员之日算起。"


def _held(cast, staff, *, text="我的党龄从什么时候开始算起？", user=None) -> ChatSession:
    """A chat the county's agent took and answered."""
    agent = staff["k1_agent"]
    chats.presence_set(user=agent, online=True)
    user = user or cast.user["member"]
    chat = services.handoff(ask_unknown(user, text), user)
    assert isinstance(chat, ChatSession) and chat.agent == agent
    chats.chat_post(acting_user=agent, chat=chat, text=ANSWER)
    return chat


def _refusal(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return field_errors(caught.value)


def test_a_chat_ended_answered_is_an_order_its_asker_rates_once(cast, staff):
    member, agent = cast.user["member"], staff["k1_agent"]
    chat = _held(cast, staff)
    assert not chats.can_rate(chat)
    early = _refusal(lambda: chats.chat_rate(acting_user=member, chat=chat, rating=5))
    assert early == {"rating": [chats.MSG_RATE_OPEN]}
    chats.chat_close(acting_user=agent, chat=chat)
    chat.refresh_from_db()
    order = chat.work_order
    assert order.source == "chat" and order.status == OrderStatus.ANSWERED
    assert order.assignee == agent and order.replied_by == agent and order.asker == member
    assert order.reply == ANSWER and order.conversation == chat.conversation
    # Received when the member asked for a person: its wait is the chat's queue time.
    assert order.created_at == chat.created_at and order.first_response_at == chat.accepted_at
    ended = chat.conversation.messages.filter(role="system").last().text
    assert ended == chats.MSG_ENDED_BY_AGENT + chats.MSG_ENDED_ANSWERED.format(number=order.number)
    assert chats.can_rate(chat)
    with pytest.raises(PermissionDenied):  # the agent does not rate their own chat
        chats.chat_rate(acting_user=agent, chat=chat, rating=5)
    rated = chats.chat_rate(acting_user=member, chat=chat, rating=5, comment="讲得很清楚")
    assert (rated.status, rated.rating, rated.rating_comment) == ("closed", 5, "讲得很清楚")
    chat.refresh_from_db()
    assert not chats.can_rate(chat)
    again = _refusal(lambda: chats.chat_rate(acting_user=member, chat=chat, rating=3))
    assert again == {"rating": [chats.MSG_RATE_DONE]}


def test_unsatisfied_reopens_the_order_for_the_desk(cast, staff):
    member = cast.user["member"]
    chat = _held(cast, staff)
    chats.chat_close(acting_user=member, chat=chat)  # the asker ends it
    chat.refresh_from_db()
    order = chats.chat_rate(acting_user=member, chat=chat, rating=2, comment="没说清楚")
    assert order.status == OrderStatus.REOPENED and order.rating == 2
    assert order.is_open  # back in the desk's queue, the comment as the reason


def test_a_chat_filed_as_an_open_order_or_never_taken_is_not_rated_at_its_end(cast, staff):
    member, agent = cast.user["member"], staff["k1_agent"]
    chat = _held(cast, staff)
    chats.chat_close(acting_user=agent, chat=chat, to_order=True)
    chat.refresh_from_db()
    assert chat.work_order.status == OrderStatus.NEW and not chats.can_rate(chat)
    pending = _refusal(lambda: chats.chat_rate(acting_user=member, chat=chat, rating=5))
    assert pending == {"rating": [chats.MSG_RATE_PENDING]}
    # A chat still waiting for an agent that its asker leaves: nobody to rate.
    chats.presence_set(user=agent, online=True, capacity=1)
    services.handoff(ask_unknown(member, "第一个"), member)
    waiting = services.handoff(ask_unknown(member, "第二个"), member)
    assert waiting.status == "waiting"
    chats.chat_close(acting_user=member, chat=waiting)
    waiting.refresh_from_db()
    assert waiting.work_order is None and not chats.can_rate(waiting)
    nothing = _refusal(lambda: chats.chat_rate(acting_user=member, chat=waiting, rating=5))
    assert nothing == {"rating": [chats.MSG_RATE_NOTHING]}


def test_the_ratings_count_in_the_satisfaction_figure(cast, staff):
    member = cast.user["member"]
    before = timezone.now() - dt.timedelta(minutes=1)
    for rating in (5, 3):
        chat = _held(cast, staff)
        chats.chat_close(acting_user=member, chat=chat)
        chat.refresh_from_db()
        chats.chat_rate(acting_user=member, chat=chat, rating=rating)
    f = stats.figures(
        cast.user["root"],
        org=cast.org["P"],
        since=before,
        until=timezone.now() + dt.timedelta(minutes=1),
    )
    assert (f.orders, f.handled, f.rated, f.satisfied, f.rating_avg) == (2, 2, 2, 1, 4.0)
    assert f.satisfaction_rate == 0.5  # 满意 counts; 基本满意 (3) does not, as on orders
    chat_row = next(c for c in f.channels if c.key == "chat")
    assert chat_row.received == 2


# --- Pages


def test_the_asker_is_asked_on_the_chat_page_once(client, cast, staff, login):
    member, agent = cast.user["member"], staff["k1_agent"]
    chat = _held(cast, staff)
    login(member)
    state = f"active:{agent.pk}:0"
    assert 'id="chat-rate"' not in client.get(f"/consult/live/{chat.pk}/").content.decode()
    chats.chat_close(acting_user=agent, chat=chat)
    polled = client.get(f"/consult/live/{chat.pk}/messages/", {"after": "0", "state": state})
    body = polled.content.decode()
    assert polled.status_code == 286 and "请您对本次服务作出评价" in body  # no reload
    for value, label in chats.CHAT_RATINGS:
        assert f'name="rating" value="{value}"' in body and label in body
    bad = client.post(f"/consult/live/{chat.pk}/rate/", {"rating": "4"})
    assert bad.status_code == 422 and "选择一个有效的选项" in bad.content.decode()
    assert f'<meta name="here" content="/consult/live/{chat.pk}/">' in bad.content.decode()
    done = client.post(f"/consult/live/{chat.pk}/rate/", {"rating": "3", "comment": "还行"})
    assert done["Location"] == f"/consult/live/{chat.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert "感谢您的评价" in page and "您的评价：基本满意（还行）" in page
    assert 'id="chat-rate"' not in page
    again = client.post(f"/consult/live/{chat.pk}/rate/", {"rating": "5"})
    assert again.status_code == 422 and chats.MSG_RATE_DONE in again.content.decode()
    login(agent)
    agent_page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert 'id="chat-rate"' not in agent_page and "您的评价" not in agent_page
    assert client.post(f"/consult/live/{chat.pk}/rate/", {"rating": "5"}).status_code == 403


def test_a_visitor_rates_by_their_session_and_is_asked_for_a_way_back_when_unsatisfied(
    client, cast, staff, monkeypatch
):
    from dangjian.knowledge import index

    engine = ScriptedEngine([(make_base(cast.org["P"])[0], 0.02)], confidence=0.1)
    monkeypatch.setattr(index, "live", lambda: type("L", (), {"get": lambda self: engine})())
    chats.presence_set(user=staff["p_agent"], online=True)
    client.post("/consult/chat/", {"question": "社区食堂几点开门"})
    chat = ChatSession.objects.get()
    chats.chat_post(acting_user=staff["p_agent"], chat=chat, text="每天7点开门")
    client.post(f"/consult/live/{chat.pk}/close/")
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert "请您对本次服务作出评价" in page
    assert "留下手机号码或获取查询码" not in page  # answered in the chat: nothing to leave
    other = type(client)()
    assert other.post(f"/consult/live/{chat.pk}/rate/", {"rating": "2"}).status_code == 404
    rated = client.post(f"/consult/live/{chat.pk}/rate/", {"rating": "2"}, follow=True)
    body = rated.content.decode()
    assert "请留下手机号码或获取查询码" in body and "您的评价：不满意" in body
    assert "#contact" in body  # the link to the contact card on the bot page
    chat.refresh_from_db()
    assert chat.work_order.status == OrderStatus.REOPENED


def test_a_refused_transfer_page_names_the_chat_page_as_its_address(client, cast, staff, login):
    k1, p_agent = staff["k1_agent"], staff["p_agent"]
    chats.presence_set(user=k1, online=True)
    chat = _chat_of(cast, staff)
    login(k1)
    refused = client.post(
        f"/consult/live/{chat.pk}/transfer/", {"to_agent": p_agent.pk, "note": "请协助"}
    )
    body = refused.content.decode()
    assert refused.status_code == 422  # p_agent is offline: not a choice
    here = f"/consult/live/{chat.pk}/"
    assert f'<meta name="here" content="{here}">' in body
    assert re.search(rf'name="next" value="{re.escape(here)}" data-here', body)
    assert client.post("/accounts/elder/", {"elder": "1", "next": here})["Location"] == here
    assert client.get(here).status_code == 200


def _chat_of(cast, staff) -> ChatSession:
    member = cast.user["member"]
    return services.handoff(ask_unknown(member), member)


def test_a_refused_rating_on_my_order_page_names_that_page(client, cast, staff, login):
    member = cast.user["member"]
    chat = _held(cast, staff)
    chats.chat_close(acting_user=member, chat=chat)
    chat.refresh_from_db()
    login(member)
    refused = client.post(f"/consult/my/{chat.work_order_id}/rate/", {"rating": "9"})
    assert refused.status_code == 422
    here = f"/consult/my/{chat.work_order_id}/"
    assert f'<meta name="here" content="{here}">' in refused.content.decode()


# --- API


def test_the_chat_rating_api_with_field_errors(client, cast, staff, bearer):
    member = cast.user["member"]
    chat = _held(cast, staff)
    api = f"/api/v1/consult/chats/{chat.pk}"

    def post(body, user=member):
        return client.post(f"{api}/rate", body, content_type="application/json", **bearer(user))

    early = post({"rating": 5})
    assert early.status_code == 422
    assert [tuple(e["loc"]) for e in early.json()["detail"]] == [("body", "rating")]
    chats.chat_close(acting_user=member, chat=chat)
    assert client.get(api, **bearer(member)).json()["can_rate"] is True
    out_of_range = post({"rating": 7})
    assert out_of_range.status_code == 422
    assert ("body", "rating") in {tuple(e["loc"]) for e in out_of_range.json()["detail"]}
    assert post({"rating": 5}, staff["k1_agent"]).status_code == 403
    rated = post({"rating": 5, "comment": "谢谢"}).json()
    assert rated["can_rate"] is False and rated["rating"] == 5
    assert post({"rating": 5}).status_code == 422


def test_a_visitor_ending_a_chat_answered_there_is_not_asked_for_contact(cast, staff):
    chats.presence_set(user=staff["p_agent"], online=True)
    visitor = AnonymousUser()
    conversation = ask_unknown(visitor)
    chat = services.handoff(conversation, visitor)
    chats.chat_post(acting_user=staff["p_agent"], chat=chat, text="您好，已为您解答")
    chats.chat_close(acting_user=visitor, chat=chat, session_ids=[conversation.pk])
    chat.refresh_from_db()
    assert chat.work_order.status == OrderStatus.ANSWERED and chat.work_order.asker is None
    order = chats.chat_rate(acting_user=visitor, chat=chat, rating=5, session_ids=[conversation.pk])
    assert order.status == "closed"


def test_the_order_is_summarised_by_the_question_not_the_request_for_a_person(cast, staff):
    from dangjian.knowledge.models import Message

    member, agent = cast.user["member"], staff["k1_agent"]
    chats.presence_set(user=agent, online=True)
    conversation = ask_unknown(member, "转正要交啥材料")
    Message.objects.create(conversation=conversation, role="user", text="都不是，转人工")
    chat = services.handoff(conversation, member)
    chats.chat_close(acting_user=agent, chat=chat)  # the agent said nothing
    chat.refresh_from_db()
    assert chat.work_order.summary == "转正要交啥材料"
    assert chat.work_order.reply == chats.MSG_CHAT_NO_REPLY  # rated all the same
    assert chats.asked_question(ask_unknown(member, "转人工")) == chats.MSG_NO_QUESTION
