"""Issue 11 part 4, acceptance: a member on a phone and an agent at a desk chat both ways
in two browsers, without reloading: the member is handed from the bot page to the chat,
sees the agent typing and the agent's turns arrive; the agent sees the member's; the
agent ends the chat filing a work order whose page keeps the transcript. The chat page
is looked at on a 390×844 phone, normal and 大字模式."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.desk.models import ChatSession
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {**PHONE, "viewport": {"width": 1440, "height": 900}, "is_mobile": False,
           "has_touch": False, "device_scale_factor": 1}  # fmt: skip
QUESTION = "我在广州打工三年了，老家支部一直联系不上我，我的党员身份还算不算"
AGENT_SAYS = "您好，您的党籍仍然有效。请问您现在在广州哪个区？"
MEMBER_SAYS = "我在天河区，想在这边参加组织生活"


def _shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_member_and_agent_chat_both_ways(browser, phone, live_server, e2e_cast):
    from dangjian.knowledge.models import Message
    from dangjian.knowledge.services import bot

    member_user = e2e_cast.user["member"]
    conversation = bot.conversation_start(user=member_user)
    Message.objects.create(conversation=conversation, role="user", text=QUESTION)

    agent_context = browser.new_context(**DESKTOP)
    desk = agent_context.new_page()
    desk.set_default_timeout(10_000)
    sign_in(desk, live_server.url, "agent", "/consult/console/")
    expect(desk).to_have_url(re.compile(r"/consult/console/"))
    desk.get_by_role("button", name="上线接待").click()
    expect(desk.get_by_text("在线接待中")).to_be_visible()

    member = phone
    sign_in(member, live_server.url, "member", f"/consult/chat/?c={conversation.pk}")
    member.get_by_role("button", name="转人工").click()
    expect(member).to_have_url(re.compile(r"/consult/live/\d+/$"))
    chat = ChatSession.objects.get(conversation=conversation)
    expect(member.get_by_text("人工坐席已接入")).to_be_visible()
    expect(member.get_by_text(QUESTION)).to_be_visible()  # the conversation continues

    desk.goto(f"{live_server.url}/consult/console/")
    desk.get_by_role("link", name=f"在线会话 {chat.pk}").click()
    expect(desk.get_by_text(QUESTION)).to_be_visible()
    box = desk.get_by_label("消息")
    box.press_sequentially("您好", delay=50)
    expect(member.get_by_text("坐席正在输入…")).to_be_visible()  # polled, no reload
    box.fill(AGENT_SAYS)
    desk.get_by_role("button", name="发送").click()
    expect(member.get_by_text(AGENT_SAYS)).to_be_visible()
    expect(member.get_by_text("坐席正在输入…")).to_be_hidden()

    member.get_by_label("消息").press_sequentially("我在", delay=50)
    expect(desk.get_by_text("提问人正在输入…")).to_be_visible()  # both ways
    member.get_by_label("消息").fill(MEMBER_SAYS)
    member.get_by_role("button", name="发送").click()
    expect(member.locator(".msg-mine").get_by_text(MEMBER_SAYS)).to_be_visible()
    expect(desk.get_by_text(MEMBER_SAYS)).to_be_visible()  # polled, no reload
    expect(desk.get_by_text("提问人正在输入…")).to_be_hidden()  # the turn arrived
    assert member.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    _shoot(member, "live-chat-phone")
    _shoot(desk, "live-chat-agent-desktop")
    member.get_by_role("button", name="大字模式").click()
    expect(member.get_by_role("button", name="标准模式")).to_be_visible()
    expect(member.get_by_text(AGENT_SAYS)).to_be_visible()
    assert member.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    _shoot(member, "live-chat-phone-elder")

    desk.get_by_label("未解决，转为工单").check()
    desk.get_by_role("button", name="结束会话").click()
    expect(desk).to_have_url(re.compile(r"/consult/console/"))
    expect(member.locator("#chat-status").get_by_text("会话已结束")).to_be_visible()
    expect(member.get_by_label("消息")).to_have_count(0)  # the controls went with the chat
    chat.refresh_from_db()
    assert chat.status == "closed" and chat.work_order_id is not None
    member.get_by_role("link", name="查看工单").click()
    expect(member).to_have_url(re.compile(rf"/consult/my/{chat.work_order_id}/"))

    desk.goto(f"{live_server.url}/consult/orders/{chat.work_order_id}/")
    transcript = desk.locator(".transcript")
    expect(transcript.get_by_text(AGENT_SAYS)).to_be_visible()
    expect(transcript.get_by_text(MEMBER_SAYS)).to_be_visible()
    agent_context.close()


def test_a_visitor_is_transferred_between_agents(
    browser, phone, live_server, e2e_cast, monkeypatch
):
    """A visitor (no account) asks the bot, is handed to an agent, who transfers the chat
    with a note to a colleague; the colleague accepts and answers; the visitor ends it."""
    from dangjian.accounts import services as accounts
    from dangjian.core.scope import Role
    from dangjian.knowledge import index
    from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

    root, province = e2e_cast.user["root"], e2e_cast.org["P"]
    # Visitors are served by the province's desk: the agent and the handler (部门经办人,
    # who signs in without a second factor) are given roles there.
    for key, role in (("agent", Role.AGENT), ("handler", Role.HANDLER)):
        accounts.role_grant(acting_user=root, user=e2e_cast.user[key], org=province, role=role)
    engine = ScriptedEngine([(make_base(province)[0], 0.02)], confidence=0.1)  # never sure
    monkeypatch.setattr(index, "live", lambda: type("Live", (), {"get": lambda self: engine})())

    desks = {}
    for key in ("agent", "handler"):
        context = browser.new_context(**DESKTOP)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server.url, key, "/consult/console/")
        page.get_by_role("button", name="上线接待").click()
        expect(page.get_by_text("在线接待中")).to_be_visible()
        desks[key] = page

    visitor = phone
    visitor.goto(f"{live_server.url}/consult/chat/")
    visitor.get_by_label("您的问题").fill("社区食堂几点开门")
    visitor.get_by_role("button", name="提问").click()
    expect(visitor).to_have_url(re.compile(r"/consult/live/\d+/$"))
    chat = ChatSession.objects.get()
    first = "agent" if chat.agent == e2e_cast.user["agent"] else "handler"
    other = "handler" if first == "agent" else "agent"

    desk = desks[first]
    desk.goto(f"{live_server.url}/consult/live/{chat.pk}/")
    desk.get_by_label("消息").fill("您好，我先了解一下情况")
    desk.get_by_role("button", name="发送").click()
    expect(visitor.get_by_text("您好，我先了解一下情况")).to_be_visible()
    visitor.get_by_label("消息").fill("好的，谢谢")
    visitor.get_by_label("消息").press("Control+Enter")
    expect(desk.get_by_text("好的，谢谢")).to_be_visible()

    desk.get_by_text("转接给其他坐席").click()
    desk.get_by_label("转给坐席").select_option(str(e2e_cast.user[other].pk))
    desk.get_by_label("转接说明（仅坐席可见）").fill("访客问食堂时间，请省里协助答复")
    desk.get_by_role("button", name="发出转接请求").click()
    expect(desk.get_by_text("已发出转接请求")).to_be_visible()

    colleague = desks[other]
    colleague.goto(f"{live_server.url}/consult/console/")
    colleague.get_by_role("link", name=f"转接请求：在线会话 {chat.pk}").click()
    expect(colleague.get_by_text("访客问食堂时间，请省里协助答复")).to_be_visible()
    colleague.get_by_role("button", name="接受转接").click()
    expect(colleague.get_by_text("已接入转接的会话")).to_be_visible()
    expect(visitor.get_by_text("已为您转接到另一位坐席，请继续。")).to_be_visible()
    expect(visitor.get_by_text("访客问食堂时间")).to_have_count(0)  # the note is the agents'
    colleague.get_by_label("消息").fill("社区食堂每天7点开门")
    colleague.get_by_role("button", name="发送").click()
    expect(visitor.get_by_text("社区食堂每天7点开门")).to_be_visible()
    _shoot(visitor, "live-chat-visitor-phone")

    visitor.get_by_role("button", name="结束会话").click()
    expect(visitor.locator("#chat-status").get_by_text("会话已结束")).to_be_visible()
    expect(colleague.get_by_text("人工会话已结束（由提问人结束）。")).to_be_visible()  # polled
    for page in desks.values():
        page.context.close()
