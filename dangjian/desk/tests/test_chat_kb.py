"""The agent's live chat page has the knowledge base beside the chat, searched for what the
asker asked (not their 转人工); the asker's page has none (the search is staff-only)."""

from dangjian.desk.services import chats
from dangjian.desk.tests.test_chat_rating import _held
from dangjian.desk.tests.test_orders_services import staff as staff

QUESTION = "我的党龄从什么时候开始算起？"


def _page(client, login, user, chat) -> str:
    login(user)
    response = client.get(f"/consult/live/{chat.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_agent_sees_the_base_searched_for_the_question(client, cast, staff, login):
    chat = _held(cast, staff, text=QUESTION)
    chat.conversation.messages.create(role="user", text="都不是，转人工")
    body = _page(client, login, staff["k1_agent"], chat)
    assert 'data-insert-target="chat-text"' in body
    assert f'id="kb-q" name="q" value="{QUESTION}"' in body


def test_the_asker_has_no_knowledge_base_pane(client, cast, staff, login):
    chat = _held(cast, staff, text=QUESTION)
    assert 'id="kb-q"' not in _page(client, login, cast.user["member"], chat)


def test_an_ended_chat_has_no_pane(client, cast, staff, login):
    chat = _held(cast, staff, text=QUESTION)
    chats.chat_close(acting_user=staff["k1_agent"], chat=chat)
    assert 'id="kb-q"' not in _page(client, login, staff["k1_agent"], chat)


def test_the_bots_answers_in_the_chat_log_are_rendered_not_raw_markdown(client, cast, staff, login):
    from dangjian.knowledge.models import Message

    chat = _held(cast, staff, text=QUESTION)
    conversation = chat.conversation
    Message.objects.create(
        conversation=conversation, role="bot", confident=True, text="- 在职党员\n- **离退休**党员"
    )
    Message.objects.create(conversation=conversation, role="user", text="- 我打的 **星号**\n<b>")
    for user in (staff["k1_agent"], cast.user["member"]):
        body = _page(client, login, user, chat)
        assert "<li>在职党员</li>" in body and "<strong>离退休</strong>" in body
        assert "- 我打的 **星号**<br>&lt;b&gt;" in body  # what a person typed stays text


def test_the_orders_transcript_renders_the_bots_answers_as_the_asker_saw_them(
    client, cast, staff, login
):
    """The order page and the console's case pane show the same turns as the chat log: the
    bot's Markdown as lists and bold, a person's typing as text."""
    from dangjian.knowledge.models import Message

    chat = _held(cast, staff, text=QUESTION)
    conversation = chat.conversation
    Message.objects.create(
        conversation=conversation, role="bot", confident=True, text="- 在职党员\n- **离退休**党员"
    )
    Message.objects.create(conversation=conversation, role="user", text="- 我打的 **星号**\n<b>")
    chats.chat_close(acting_user=staff["k1_agent"], chat=chat, to_order=True)
    chat.refresh_from_db()
    login(staff["k1_agent"])
    for url in (
        f"/consult/orders/{chat.work_order_id}/",
        f"/consult/console/?order={chat.work_order_id}",
    ):
        body = client.get(url).content.decode()
        assert "<li>在职党员</li>" in body and "<strong>离退休</strong>" in body, url
        assert "- 我打的 **星号**<br>&lt;b&gt;" in body, url
