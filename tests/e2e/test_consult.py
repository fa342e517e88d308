"""Issue acceptance for 12371: a member asks the bot on a phone and gets an answer; asks
something the base does not know and is handed off to a work order; an agent answers it
from the console; the member sees the reply and rates it."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.consult.models import WorkOrder
from dangjian.core.testing import PASSWORD
from tests.e2e.test_browse_tree import enter_totp_code

pytestmark = pytest.mark.e2e

KNOWN = "党费按月交纳还是按季度交纳？"
ANSWER = "党员应当按月交纳党费，特殊情况下经党支部同意可以按季度交纳。"
UNKNOWN = "我们村的驻村工作队队员节假日签到怎么算工时"
REPLY = "驻村工作队队员节假日到村工作，签到计入工作时长。"


def login(page, base: str, path: str, username: str, *, totp: bool = False) -> None:
    page.goto(f"{base}/accounts/login/?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if totp:
        enter_totp_code(page, username)


def test_ask_handoff_answer_and_rate(browser, phone, live_server, e2e_cast):
    from dangjian.consult import index
    from dangjian.consult.services import kb

    kb.entry_create(
        acting_user=e2e_cast.user["root"],
        org=e2e_cast.org["P"],
        question=KNOWN,
        answer=ANSWER,
        category="党费",
        source="中组发〔2008〕3号",
        publish=True,
    )
    index.reset()  # the live server thread builds its index from the database anew

    page = phone
    login(page, live_server.url, "/consult/chat/", "member")
    expect(page).to_have_url(re.compile(r"/consult/chat/"))
    page.get_by_label("您的问题").fill(KNOWN)
    page.get_by_role("button", name="提问").click()
    expect(page.get_by_text(ANSWER)).to_be_visible()

    page.get_by_label("您的问题").fill(UNKNOWN)
    page.get_by_role("button", name="提问").click()
    expect(page.get_by_text("已为您登记咨询工单")).to_be_visible()
    order = WorkOrder.objects.get()
    assert order.source == "handoff" and order.conversation_id is not None

    agent_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk = agent_context.new_page()
    desk.set_default_timeout(10_000)
    login(desk, live_server.url, "/consult/console/", "agent", totp=True)
    expect(desk).to_have_url(re.compile(r"/consult/console/"))
    desk.get_by_role("link", name=re.compile(UNKNOWN[:8])).first.click()
    expect(desk.get_by_text(UNKNOWN).first).to_be_visible()  # the bot transcript is attached
    desk.get_by_role("button", name="受理").click()
    desk.get_by_label("答复内容").fill(REPLY)
    desk.get_by_role("button", name="答复并通知提问人").click()
    expect(desk.get_by_text("已答复，已通知提问人")).to_be_visible()
    agent_context.close()

    page.goto(f"{live_server.url}/consult/my/")
    page.get_by_role("link", name=UNKNOWN).click()
    expect(page.get_by_text(REPLY)).to_be_visible()
    page.get_by_text("5 非常满意").click()
    page.get_by_label("评价意见").fill("答复很清楚")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    order.refresh_from_db()
    assert order.status == "closed" and order.rating == 5
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
