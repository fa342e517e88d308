"""Pages: the member chat (plain POST and htmx), knowledge-base search and editing,
每日一答 (the desk's hotline script and 问题优化清单: desk/tests/test_hotline_feedback.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.knowledge import handoff, index
from dangjian.knowledge.models import Entry, Message
from dangjian.knowledge.services import bot
from dangjian.knowledge.services import daily as daily_services
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base, make_entry

CHAT = "/consult/chat/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fresh_index(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    index.reset()
    yield
    index.reset()


@pytest.fixture
def no_handoff(monkeypatch):
    monkeypatch.setattr(handoff, "_handler", None)  # no desk: the hand-off is only noted


def script(monkeypatch, engine):
    """Every process's live index answers with ``engine`` (the bot's logic, not the model)."""
    monkeypatch.setattr(index.LiveIndex, "get", lambda self: engine)


def test_member_asks_and_sees_the_answer_with_its_source(cast, client, login):
    make_base(cast.org["P"])
    login(cast.user["member"])
    response = client.post(CHAT, {"question": "如何转接党组织关系"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "<strong>介绍信</strong>" in text  # the answer's Markdown, rendered
    assert "《中国共产党党员组织关系转接工作细则》" in text
    assert "有用" in text and "没用" in text and "转人工" in text


def test_htmx_gets_just_the_new_turns(cast, client, login):
    make_base(cast.org["P"])
    login(cast.user["member"])
    response = client.post(CHAT, {"question": "如何转接党组织关系"}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert 'hx-swap-oob="true"' in text  # the conversation id for the next question
    conversation = Message.objects.first().conversation_id
    follow = client.post(CHAT, {"question": "党费按什么比例交纳", "c": conversation}, **HTMX)
    assert "0.5%" in follow.content.decode()
    assert Message.objects.filter(conversation_id=conversation).count() == 4


def test_an_empty_question_is_a_clear_message(cast, client, login):
    login(cast.user["member"])
    response = client.post(CHAT, {"question": ""})
    assert response.status_code == 422
    assert "请输入您的问题" in response.content.decode()  # what to do, not Django's 必填


def test_a_one_character_question_asks_for_more_and_files_nothing(cast, client, login):
    """One character can be neither looked up nor summarised for a person: the asker is
    told to say more (it was refused by the work order's summary rule, in its words)."""
    from dangjian.desk.models import WorkOrder

    login(cast.user["member"])
    response = client.post(CHAT, {"question": " 转 "})
    assert response.status_code == 422
    assert bot.MSG_ASK_SHORT in response.content.decode()
    assert not Message.objects.exists() and not WorkOrder.objects.exists()


def test_a_pasted_null_character_is_named_in_plain_chinese(cast, client, login):
    """Django's own Chinese for a NUL says 'empty strings are not allowed'; ours names it."""
    login(cast.user["member"])
    body = client.post(CHAT, {"question": "党费\x00怎么交"}).content.decode()
    assert "控制字符" in body and "空字符串" not in body


def test_visitor_chat_unknown_question_offers_a_person(cast, client, no_handoff, monkeypatch):
    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[0], 0.01)], confidence=0.1))
    response = client.post(CHAT, {"question": "社区食堂几点开门"}, follow=True)
    assert bot.MSG_NOT_SURE in response.content.decode()


def test_candidate_click_and_feedback(cast, client, login, no_handoff, monkeypatch):
    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[1], 0.3)], confidence=0.3))
    login(cast.user["member"])
    offered = client.post(CHAT, {"question": "党员的党费什么时候交"}, follow=True)
    text = offered.content.decode()
    assert 'role="group" aria-label="您是不是想问"' in text and "都不是，转人工" in text
    assert entries[1].question in text and bot.MSG_NOT_SURE not in text
    conversation = Message.objects.first().conversation_id
    client.post(reverse("knowledge:chat_pick"), {"c": conversation, "entry": entries[1].pk})
    answer = Message.objects.filter(entry=entries[1]).get()
    assert "是否解决了您的问题？" in client.get(f"{CHAT}?c={conversation}").content.decode()
    response = client.post(
        reverse("knowledge:chat_feedback", args=[answer.pk]), {"helpful": "0"}, **HTMX
    )
    text = response.content.decode()
    assert "感谢" in text and "转人工" in text  # 没用: a person is offered
    assert reverse("knowledge:chat_handoff", args=[conversation]) in text
    answer.refresh_from_db()
    assert answer.feedback == "unhelpful"


def test_none_of_the_suggestions_hands_off(cast, client, login, no_handoff, monkeypatch):
    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[1], 0.3)], confidence=0.3))
    login(cast.user["member"])
    client.post(CHAT, {"question": "党员的党费什么时候交"})
    conversation = Message.objects.first().conversation
    assert conversation.handed_off_at is None
    url = reverse("knowledge:chat_handoff", args=[conversation.pk])
    response = client.post(url, {"rejected": "1"}, **HTMX)
    assert response.status_code == 200 and bot.MSG_REJECTED in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.handed_off_at is not None
    assert "您是不是想问" not in response.content.decode()  # the hand-off offers nothing more


def test_someone_elses_conversation_is_404(cast, client, login):
    make_base(cast.org["P"])
    result = bot.ask(user=cast.user["member"], question="如何转接党组织关系")
    login(cast.user["agent"])
    assert client.get(f"{CHAT}?c={result.conversation.pk}").status_code == 404
    url = reverse("knowledge:chat_handoff", args=[result.conversation.pk])
    assert client.post(url).status_code == 404
    url = reverse("knowledge:chat_feedback", args=[result.message.pk])
    assert client.post(url, {"helpful": "1"}).status_code == 404


def test_member_searches_the_published_base(cast, client, login):
    make_base(cast.org["P"])
    draft = make_entry(cast.org["P"], publish=False, question="草稿里的问题是什么？")
    login(cast.user["member"])
    text = client.get("/consult/kb/?q=组织关系怎么转").content.decode()
    assert "如何转接党组织关系？" in text
    assert client.get(f"/consult/kb/{draft.pk}/").status_code == 404
    assert client.get("/consult/kb/new/").status_code == 403


def test_editor_creates_publishes_and_sees_history(cast, client, login):
    login(cast.user["agent"])
    response = client.post(
        "/consult/kb/new/",
        {
            "question": "党员出国怎么办理组织关系？",
            "answer": "出国前向党支部报告。",
            "alternatives": "出国党员组织关系\n出国留学党员",
            "tags": "出国、组织关系",
            "kind": "faq",
        },
    )
    assert response.status_code == 302, response.content.decode()
    entry = Entry.objects.get()
    assert entry.alternatives == ["出国党员组织关系", "出国留学党员"]
    client.post(f"/consult/kb/{entry.pk}/publish/")
    entry.refresh_from_db()
    assert entry.status == "published"
    history = client.get(f"/consult/kb/{entry.pk}/history/").content.decode()
    assert "发布" in history and "创建" in history
    assert client.post(f"/consult/kb/{entry.pk}/explode/").status_code == 404


def test_import_page_lists_row_errors(cast, client, login):
    login(cast.user["agent"])
    upload = SimpleUploadedFile("kb.jsonl", '{"question": "问", "answer": "答"}\n'.encode())
    response = client.post("/consult/kb/import/", {"file": upload})
    assert response.status_code == 422
    assert "第1行" in response.content.decode()
    assert not Entry.objects.exists()


def test_export_for_editors_only(cast, client, login):
    make_base(cast.org["P"])
    login(cast.user["agent"])
    response = client.get("/consult/kb/export/?format=csv")
    assert response.status_code == 200 and "如何转接党组织关系" in response.content.decode()
    login(cast.user["member"])
    assert client.get("/consult/kb/export/").status_code == 403


def test_daily_archive(cast, client, login):
    make_base(cast.org["P"])
    import datetime as dt

    daily_services.daily_pick(day=dt.date(2026, 11, 1))
    login(cast.user["member"])
    assert "2026年11月1日" in client.get("/consult/daily/").content.decode()


def test_pages_have_no_inline_scripts_or_styles(cast, client, login):
    make_base(cast.org["P"])
    login(cast.user["agent"])
    entry = Entry.objects.first()
    for url in [
        CHAT,
        "/consult/kb/",
        f"/consult/kb/{entry.pk}/",
        "/consult/kb/new/",
        "/consult/daily/",
        "/consult/hotline/",
        "/consult/feedback/",
    ]:
        text = client.get(url).content.decode()
        assert "style=" not in text, url
        assert "<script>" not in text and "hx-on" not in text, url


def test_the_case_library_lists_published_cases(cast, client, login):
    case = services.entry_create_from_answer(
        acting_user=None,
        org=cast.org["P"],
        question="外出务工党员如何参加组织生活？",
        answer="持流动党员活动证在务工地参加。",
    )
    login(cast.user["member"])
    assert "外出务工党员" not in client.get("/consult/kb/?kind=case").content.decode()
    services.entry_publish(acting_user=None, entry=case)
    make_base(cast.org["P"])
    text = client.get("/consult/kb/?kind=case").content.decode()
    assert "外出务工党员" in text and "如何转接党组织关系" not in text


def test_editor_search_with_a_nul_character_is_not_an_error(cast, client, login):
    """PostgreSQL refuses NUL in a text comparison; the page drops it from the query."""
    make_base(cast.org["P"])
    login(cast.user["agent"])
    response = client.get("/consult/kb/", {"q": "组织\x00关系", "all": "1"})
    assert response.status_code == 200
    assert "如何转接党组织关系？" in response.content.decode()


def test_the_chat_page_leads_agents_to_their_console(cast, client, login):
    login(cast.user["member"])
    page = client.get("/consult/chat/").content.decode()
    assert "/consult/my/" in page and "/consult/console/" not in page
    login(cast.user["agent"])
    page = client.get("/consult/chat/").content.decode()
    assert "/consult/console/" in page and "/consult/stats/" in page


def _sms_code() -> str:
    from dangjian.core.notify import sms_outbox

    return sms_outbox[-1][1].split("验证码是 ")[1][:6]


def test_a_visitor_leaves_a_phone_on_the_chat_page(cast, client, monkeypatch):
    """Handed off to a work order, a visitor is asked for a number before any promise of a
    notice; the number goes onto the order once the SMS code comes back."""
    from dangjian.desk.models import WorkOrder

    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[0], 0.01)], confidence=0.1))
    page = client.post(CHAT, {"question": "社区食堂几点开门"}, follow=True).content.decode()
    order = WorkOrder.objects.get()
    assert bot.MSG_ASK_PHONE in page and 'name="phone"' in page and "获取查询码" in page
    conversation = order.conversation_id
    bad = client.post(CHAT, {"c": conversation, "phone": "123", "action": "send_code"})
    assert bad.status_code == 422 and "手机号应为11位" in bad.content.decode()
    sent = client.post(CHAT, {"c": conversation, "phone": "13812345678", "action": "send_code"})
    assert "验证码已发送至 138****5678" in sent.content.decode()
    assert 'value="13812345678"' in sent.content.decode()  # the number stays typed in
    wrong = client.post(CHAT, {"c": conversation, "phone": "13812345678", "code": "000000"})
    assert wrong.status_code == 422 and "验证码错误" in wrong.content.decode()
    order.refresh_from_db()
    assert order.phone == ""
    page = client.post(
        CHAT, {"c": conversation, "phone": "13812345678", "code": _sms_code()}
    ).content.decode()
    order.refresh_from_db()
    assert order.phone == "13812345678"
    assert "138****5678" in page and 'name="phone"' not in page


def test_a_visitor_takes_a_look_up_code_and_reads_the_reply(cast, client, monkeypatch):
    """No phone: the number and a code shown once; the public look-up shows the reply."""
    from dangjian.desk.models import WorkOrder
    from dangjian.desk.services import lookup

    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[0], 0.01)], confidence=0.1))
    client.post(CHAT, {"question": "社区食堂几点开门"})
    order = WorkOrder.objects.get()
    page = client.post(CHAT, {"c": order.conversation_id, "lookup": "1"}).content.decode()
    code = page.split('class="code">')[1][: lookup.CODE_LENGTH]
    assert order.number in page and 'name="phone"' not in page
    again = client.get(CHAT, {"c": order.conversation_id}).content.decode()
    assert code not in again  # shown once
    looked = client.post("/consult/public/lookup/", {"number": order.number, "code": code})
    assert looked.status_code == 200 and "工作人员正在办理" in looked.content.decode()
    WorkOrder.objects.filter(pk=order.pk).update(reply="食堂7点开门。", status="answered")
    looked = client.post("/consult/public/lookup/", {"number": order.number, "code": code})
    assert "食堂7点开门。" in looked.content.decode()
    assert code not in looked.content.decode()  # not written back into the form
    wrong = client.post("/consult/public/lookup/", {"number": order.number, "code": "ABCDEFGH"})
    assert wrong.status_code == 422 and lookup.MSG_LOOKUP_FAILED in wrong.content.decode()
    assert "食堂7点开门。" not in wrong.content.decode()


def test_the_public_look_up_is_rate_limited_per_number(cast, client, settings):
    from dangjian.desk.views.public import MSG_LOOKUP_LIMIT

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public-lookup-order": (2, 3600)}
    for _ in range(2):
        client.post("/consult/public/lookup/", {"number": "GD20261207000001", "code": "AAAAAAAA"})
    limited = client.post(
        "/consult/public/lookup/", {"number": "gd20261207000001", "code": "AAAAAAAA"}
    )
    assert limited.status_code == 422 and MSG_LOOKUP_LIMIT in limited.content.decode()


def test_the_api_takes_a_visitors_phone_with_the_conversation(cast, client, monkeypatch):
    from dangjian.desk.models import WorkOrder

    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[0], 0.01)], confidence=0.1))

    def post(body):
        return client.post("/api/v1/consult/ask", body, content_type="application/json")

    asked = post({"question": "社区食堂几点开门"}).json()
    assert asked["needs_contact"] is True
    conversation = asked["conversation_id"]
    bad = post({"conversation_id": conversation, "phone": "123"})
    assert bad.status_code == 422 and "phone" in str(bad.json())
    sent = post({"conversation_id": conversation, "phone": "13812345678"}).json()
    assert sent["needs_contact"] is True and WorkOrder.objects.get().phone == ""
    wrong = post({"conversation_id": conversation, "phone": "13812345678", "code": "000000"})
    assert wrong.status_code == 422 and "code" in str(wrong.json())
    saved = post(
        {"conversation_id": conversation, "phone": "13812345678", "code": _sms_code()}
    ).json()
    assert saved["work_order_id"] == asked["work_order_id"] and saved["needs_contact"] is False
    assert WorkOrder.objects.get().phone == "13812345678"


def test_the_api_gives_a_visitor_a_look_up_code(cast, client, monkeypatch):
    from dangjian.desk.services import lookup

    entries = make_base(cast.org["P"])
    script(monkeypatch, ScriptedEngine([(entries[0], 0.01)], confidence=0.1))

    def post(body):
        return client.post("/api/v1/consult/ask", body, content_type="application/json")

    asked = post({"question": "社区食堂几点开门"}).json()
    issued = post({"conversation_id": asked["conversation_id"], "lookup": True}).json()
    order = lookup.order_lookup(number=issued["lookup_number"], code=issued["lookup_code"])
    assert order.pk == asked["work_order_id"]
    again = post({"conversation_id": asked["conversation_id"], "lookup": True})
    assert again.status_code == 422 and "conversation_id" in str(again.json())
