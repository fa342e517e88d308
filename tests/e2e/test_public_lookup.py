"""Issue 11 part 3, the anonymous asker who leaves no number: handed off, the visitor takes
an order number and a look-up code, the agent replies, and the visitor reads the reply on
the public 咨询查询 page — on a phone in 大字模式, with a wrong code refused alike."""

import pytest
from playwright.sync_api import expect

from dangjian.desk.models import WorkOrder
from dangjian.desk.services.lookup import CODE_ALPHABET, CODE_LENGTH

pytestmark = pytest.mark.e2e

UNKNOWN = "我们村的驻村工作队队员节假日签到怎么算工时"
REPLY = "驻村工作队队员节假日到村工作，签到计入工作时长。"


def test_a_visitor_takes_a_look_up_code_and_reads_the_reply(browser, live_server, e2e_cast):
    from dangjian.desk.services import orders
    from dangjian.knowledge import index
    from tests.e2e.conftest import PHONE

    index.reset()
    context = browser.new_context(**PHONE)
    context.add_cookies([{"name": "elder", "value": "1", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/consult/chat/")
    page.get_by_label("您的问题").fill(UNKNOWN)
    page.get_by_role("button", name="提问").click()
    # The first retrieval loads the encoder and builds the index.
    expect(page.get_by_text("请留下您的手机号码").first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="不留号码，获取查询码").click()
    shown = page.locator("#lookup-code")
    expect(shown).to_be_visible()
    page.screenshot(path="test-artifacts/consult-lookup-code-390-elder.png", full_page=True)
    order = WorkOrder.objects.get()
    number = shown.locator("strong").first.inner_text().strip()
    code = shown.locator("strong.code").inner_text().strip()
    assert number == order.number and len(code) == CODE_LENGTH
    assert not order.phone  # nothing about the visitor is stored

    agent = e2e_cast.user["root"]  # the console's side is tested in test_desk_console
    orders.order_claim(acting_user=agent, order=order)
    orders.order_reply(acting_user=agent, order=order, text=REPLY)

    page.goto(f"{live_server.url}/consult/public/lookup/")
    page.get_by_label("工单号").fill(number)
    wrong = next(c for c in CODE_ALPHABET if c != code[0]) + code[1:]
    page.get_by_label("查询码").fill(wrong)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("工单号或查询码不正确")).to_be_visible()
    expect(page.get_by_text(REPLY)).to_have_count(0)

    page.get_by_label("工单号").fill(number)
    page.get_by_label("查询码").fill(code.lower())  # read aloud or typed on a phone
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name=f"工单 {number}")).to_be_visible()
    expect(page.get_by_text(REPLY)).to_be_visible()
    page.screenshot(path="test-artifacts/consult-lookup-answer-390-elder.png", full_page=True)
    context.close()
