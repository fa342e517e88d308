"""Issue 11, the end of a live chat and the addresses around it, as the hotline's users
meet them: a member on a 390×844 phone is handed from the bot to an agent at 1440×900,
is answered, and when the agent ends the chat (filing it under a 咨询分类) is asked 满意/基本满意/不满意 without a
reload (in 大字模式 too); an agent whose 转接 is refused switches to 大字模式 and stays on
the chat (no 405); a visitor whose contact card is refused reloads and keeps the
conversation."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.desk.models import ChatSession, OrderStatus
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {**PHONE, "viewport": {"width": 1440, "height": 900}, "is_mobile": False,
           "has_touch": False, "device_scale_factor": 1}  # fmt: skip
QUESTION = "我在外地打工，党费每个月能不能在手机上交"
ANSWER = "可以。请在本平台“党费”页面按月交纳，交纳后会生成电子收据。"


def _shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def _desk(browser, live_server, username):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, username, "/consult/console/")
    page.get_by_role("button", name="上线接待").click()
    expect(page.get_by_text("在线接待中")).to_be_visible()
    return page


def _member_in_chat(phone, live_server, e2e_cast):
    from dangjian.knowledge.models import Message
    from dangjian.knowledge.services import bot

    conversation = bot.conversation_start(user=e2e_cast.user["member"])
    Message.objects.create(conversation=conversation, role="user", text=QUESTION)
    sign_in(phone, live_server.url, "member", f"/consult/chat/?c={conversation.pk}")
    phone.get_by_role("button", name="转人工").click()
    expect(phone).to_have_url(re.compile(r"/consult/live/\d+/$"))
    return ChatSession.objects.get(conversation=conversation)


def test_the_member_rates_the_chat_the_agent_ended(browser, phone, live_server, e2e_cast):
    desk = _desk(browser, live_server, "agent")
    member = phone
    chat = _member_in_chat(member, live_server, e2e_cast)
    desk.goto(f"{live_server.url}/consult/live/{chat.pk}/")
    desk.get_by_label("消息").fill("  ")
    desk.get_by_role("button", name="发送").click()
    expect(desk.locator("#chat-log .error")).to_have_text("请输入内容（不超过1000个字）")
    desk.get_by_label("消息").fill(ANSWER)
    desk.get_by_role("button", name="发送").click()
    expect(member.get_by_text(ANSWER)).to_be_visible()

    desk.get_by_label("咨询分类").select_option("党费")  # the order is filed under it
    _shoot(desk, "chat-end-category-desk")
    desk.get_by_role("button", name="结束会话").click()
    expect(desk).to_have_url(re.compile(r"/consult/console/"))
    chat.refresh_from_db()
    assert chat.work_order.category == "党费"
    # Polled, no reload: the member is asked once the chat has ended.
    prompt = member.locator("#chat-rate")
    expect(prompt.get_by_text("请您对本次服务作出评价")).to_be_visible()
    expect(member.get_by_label("消息")).to_have_count(0)
    for label in ("满意", "基本满意", "不满意"):
        expect(prompt.get_by_role("button", name=label, exact=True)).to_be_visible()
    _no_sideways_scroll(member)
    _shoot(member, "chat-end-rate-phone")

    member.get_by_role("button", name="大字模式").click()  # the same chat, larger
    expect(member).to_have_url(re.compile(rf"/consult/live/{chat.pk}/$"))
    expect(member.get_by_role("button", name="标准模式")).to_be_visible()
    expect(prompt.get_by_role("button", name="基本满意")).to_be_visible()
    _no_sideways_scroll(member)
    _shoot(member, "chat-end-rate-phone-elder")

    member.get_by_label("评价意见（选填）").fill("回答清楚，谢谢")
    prompt.get_by_role("button", name="满意", exact=True).click()
    expect(member.get_by_text("感谢您的评价")).to_be_visible()
    expect(member.get_by_text("您的评价：满意（回答清楚，谢谢）")).to_be_visible()
    expect(member.locator("#chat-rate")).to_have_count(0)  # asked once
    chat.refresh_from_db()
    order = chat.work_order
    assert (order.status, order.rating, order.source) == (OrderStatus.CLOSED, 5, "chat")
    member.get_by_role("link", name="查看工单").click()
    expect(member).to_have_url(re.compile(rf"/consult/my/{order.pk}/$"))
    expect(member.get_by_text(ANSWER)).to_be_visible()  # the reply is what the agent said
    desk.context.close()


def test_what_the_member_types_in_the_queue_survives_the_agent_taking_the_chat(
    phone, live_server, e2e_cast
):
    """The chat's controls are drawn again when its state changes (queued → taken by an
    agent): the sentence the member was typing while waiting stays in the box."""
    from django.db import transaction

    from dangjian.desk.services import chats
    from dangjian.knowledge.services import bot

    agent = e2e_cast.user["agent"]
    chats.presence_set(user=agent, online=True, capacity=1)
    earlier = bot.conversation_start(user=e2e_cast.user["member"])  # an earlier chat
    with transaction.atomic():  # as the 转人工 view opens it
        assert chats.chat_open(earlier, e2e_cast.user["member"]).agent == agent  # agent full
    member = phone
    chat = _member_in_chat(member, live_server, e2e_cast)
    assert chat.status == "waiting"
    expect(member.get_by_text("正在为您接通人工坐席")).to_be_visible()
    draft = "我现在在天河区打工，想问一下"
    member.get_by_label("消息").fill(draft)
    chats.presence_set(user=agent, online=True, capacity=2)  # room: the queue moves
    expect(member.locator("#chat-status").get_by_text("人工坐席已接入")).to_be_visible()  # polled
    expect(member.get_by_label("消息")).to_have_value(draft)
    member.get_by_role("button", name="发送").click()
    expect(member.locator(".msg-mine").get_by_text(draft)).to_be_visible()
    expect(member.get_by_label("消息")).to_have_value("")


def test_a_refused_transfer_then_elder_mode_stays_on_the_chat(
    browser, phone, live_server, e2e_cast
):
    from dangjian.accounts import services as accounts
    from dangjian.core.scope import Role
    from dangjian.desk.models import AgentPresence

    root = e2e_cast.user["root"]  # the province's 部门经办人 takes chats too (no 2nd factor)
    accounts.role_grant(
        acting_user=root, user=e2e_cast.user["handler"], org=e2e_cast.org["P"], role=Role.HANDLER
    )
    desk = _desk(browser, live_server, "agent")
    colleague = _desk(browser, live_server, "handler")
    chat = _member_in_chat(phone, live_server, e2e_cast)
    first, other = (desk, colleague) if chat.agent.username == "agent" else (colleague, desk)
    other_name = "handler" if first is desk else "agent"

    first.goto(f"{live_server.url}/consult/live/{chat.pk}/")
    first.get_by_text("转接给其他坐席").click()
    first.get_by_label("转给坐席").select_option(str(e2e_cast.user[other_name].pk))
    first.get_by_label("转接说明（仅坐席可见）").fill("请协助答复党费问题")
    AgentPresence.objects.filter(user=e2e_cast.user[other_name]).update(online=False)  # gone
    first.get_by_role("button", name="发出转接请求").click()
    expect(first.get_by_text("该坐席不在线、接待已满或不负责该提问人")).to_be_visible()
    expect(first.get_by_text("暂无其他在线且有空的坐席可以转接")).to_be_visible()
    expect(first).to_have_url(re.compile(rf"/consult/live/{chat.pk}/$"))  # not …/transfer/
    first.get_by_role("button", name="大字模式").click()
    expect(first).to_have_url(re.compile(rf"/consult/live/{chat.pk}/$"))
    expect(first.get_by_role("heading", name="在线人工 · 12371")).to_be_visible()
    first.reload()
    expect(first.get_by_role("heading", name="在线人工 · 12371")).to_be_visible()
    other.context.close()
    first.context.close()


def test_a_visitors_refused_contact_card_keeps_the_conversation(
    phone, live_server, e2e_cast, monkeypatch
):
    from dangjian.knowledge import index
    from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

    engine = ScriptedEngine([(make_base(e2e_cast.org["P"])[0], 0.02)], confidence=0.1)
    monkeypatch.setattr(index, "live", lambda: type("Live", (), {"get": lambda self: engine})())
    visitor = phone
    visitor.goto(f"{live_server.url}/consult/chat/")
    visitor.get_by_label("您的问题").fill("   ")  # spaces pass the browser's check
    visitor.get_by_role("button", name="提问").click()
    expect(visitor.locator("#turns").get_by_text("请输入您的问题")).to_be_visible()
    expect(visitor.locator("#htmx-error")).to_have_count(0)  # not "操作失败"
    visitor.get_by_label("您的问题").fill("社区食堂几点开门")
    visitor.get_by_role("button", name="提问").click()  # nobody online: a work order
    expect(visitor.get_by_label("手机号码（答复后短信通知您）")).to_be_visible()
    expect(visitor).to_have_url(re.compile(r"/consult/chat/\?c=\d+$"))
    address = visitor.url
    visitor.get_by_label("手机号码（答复后短信通知您）").fill("123")
    visitor.get_by_role("button", name="获取验证码").click()  # a plain form POST
    expect(visitor.locator("#contact .error")).to_be_visible()
    assert visitor.url == address  # the address still names the conversation
    _shoot(visitor, "bot-contact-refused-phone")
    visitor.reload()
    expect(visitor.get_by_text("社区食堂几点开门")).to_be_visible()
    visitor.get_by_role("button", name="大字模式").click()
    expect(visitor).to_have_url(address)
    expect(visitor.get_by_text("社区食堂几点开门")).to_be_visible()


def test_a_visitor_over_the_rate_is_told_in_the_conversation(
    phone, live_server, e2e_cast, monkeypatch, settings
):
    """A visitor asking faster than the public rate sees 提问过于频繁 as a turn where the
    answer would be (the 429 page is not swapped into the log, nor 操作失败 shown at the
    top of the page, off-screen on a phone), and the question stays in the box."""
    from dangjian.knowledge import index
    from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

    entry = make_base(e2e_cast.org["P"])[0]
    engine = ScriptedEngine([(entry, 0.9)], confidence=0.9)
    monkeypatch.setattr(index, "live", lambda: type("Live", (), {"get": lambda self: engine})())
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public": (1, 60)}
    visitor = phone
    visitor.goto(f"{live_server.url}/consult/chat/")
    for _ in range(2):  # the second is over a rate of one a minute
        visitor.get_by_label("您的问题").fill("党费怎么交")
        visitor.get_by_role("button", name="提问").click()
        visitor.wait_for_load_state("networkidle")
    expect(visitor.locator("#turns .turn-error")).to_contain_text("提问过于频繁，请 ")
    expect(visitor.locator("#turns .turn-error")).to_be_in_viewport()
    expect(visitor.locator("#htmx-error")).to_have_count(0)
    expect(visitor.locator("#turns h1")).to_have_count(0)  # no page nested in the log
    expect(visitor.get_by_label("您的问题")).to_have_value("党费怎么交")


def test_the_agent_answers_a_chat_from_the_knowledge_base_beside_it(
    browser, phone, live_server, e2e_cast, monkeypatch
):
    """At 1440 px the knowledge base sits beside the chat, already searched for what the
    asker asked; 插入答复 puts the entry's answer into the chat box (not a console reply
    box the page does not have), and the agent sends it."""
    from dangjian.knowledge import index
    from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

    dues = make_base(e2e_cast.org["P"])[1]
    engine = ScriptedEngine([(dues, 0.4)], confidence=0.4)
    monkeypatch.setattr(index, "live", lambda: type("Live", (), {"get": lambda self: engine})())
    desk = _desk(browser, live_server, "agent")
    chat = _member_in_chat(phone, live_server, e2e_cast)
    desk.goto(f"{live_server.url}/consult/live/{chat.pk}/")
    search = desk.get_by_label("知识库检索")
    expect(search).to_have_value(QUESTION)  # the asker's question, not their 转人工
    hit = desk.locator("#kb-hits details").filter(has_text=dues.question)
    chat_box = desk.locator(".chat-box").bounding_box()
    aside = desk.locator(".chat-kb").bounding_box()
    assert aside["x"] >= chat_box["x"] + chat_box["width"]  # beside, not below
    assert aside["y"] < chat_box["y"] + chat_box["height"]
    hit.locator("summary").click()
    hit.get_by_role("button", name="插入答复").click()
    expect(desk.get_by_label("消息")).to_have_value(dues.answer)
    _shoot(desk, "live-chat-agent-kb")
    desk.get_by_role("button", name="发送").click()
    expect(
        phone.locator("#chat-log").get_by_text("月工资收入（税后）3000元以下", exact=False)
    ).to_be_visible()
    desk.context.close()
