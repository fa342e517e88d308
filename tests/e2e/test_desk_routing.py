"""Issue 11 part 5 in the browser: under 省级集中受理 a member's question waits at the
province centre; its agent re-categorises it with a reason, consults 组织二处 (picked
from the registry, the office responsible for the category ticked), the office's 联络员
— an account with no role — answers on a phone, and the agent replies with the merged
answer; a second order is re-routed to the county, whose desk is told."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.core.models import Notification
from dangjian.desk.models import Coordination, OrderEvent, WorkOrder
from tests.e2e.auth import sign_in
from tests.kit import PASSWORD, give_totp_device

pytestmark = pytest.mark.e2e

QUESTION = "退休后党费按什么基数交纳"
OTHER = "村里的党员活动室谁来维修"
OPINION = "以每月基本退休费总额为基数，5000元以下（含）交纳0.5%。"


def _people(cast):
    """The centre's agent (2FA) and 组织二处's 联络员 (an account with no role)."""
    from dangjian.accounts import services as accounts
    from dangjian.desk.services import routing

    root = cast.user["root"]
    agent = accounts.user_create(
        acting_user=root, username="p_agent", password=PASSWORD, validate_password=False
    )
    accounts.role_grant(acting_user=root, user=agent, org=cast.org["P"], role="agent")
    give_totp_device(agent)
    liaison = accounts.user_create(
        acting_user=root, username="liaison", password=PASSWORD, validate_password=False
    )
    routing.office_create(
        acting_user=root,
        org=cast.org["P"],
        name="组织二处",
        categories=["党费", "组织关系转接"],
        lead_name="李建国",
        liaison=liaison,
        liaison_phone="13987650001",
    )
    routing.office_create(
        acting_user=root,
        org=cast.org["P"],
        name="党员教育中心",
        categories=["党员教育"],
        lead_name="赵明",
        liaison_name="杨帆",
    )
    return liaison


def _ask(cast, summary, category):
    from dangjian.desk.services import orders

    member = cast.user["member"]
    return orders.order_create(
        acting_user=member, source="web", summary=summary, category=category, asker=member
    )


def test_agent_reroutes_and_consults_an_office_whose_liaison_answers(
    browser, phone, live_server, e2e_cast
):
    liaison = _people(e2e_cast)
    order = _ask(e2e_cast, QUESTION, "其他")
    other = _ask(e2e_cast, OTHER, "为民服务")
    assert order.org == other.org == e2e_cast.org["P"]  # accepted at the centre

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    desk = context.new_page()
    desk.set_default_timeout(10_000)
    sign_in(desk, live_server.url, "p_agent", f"/consult/orders/{order.pk}/")
    expect(desk).to_have_url(re.compile(rf"/consult/orders/{order.pk}/"))
    desk.get_by_role("button", name="受理").click()
    expect(desk.get_by_text("已受理")).to_be_visible()

    # 重新分类: 其他 → 党费, with a reason; the order stays in the agent's hands
    desk.get_by_label("咨询分类").select_option("党费")
    desk.get_by_label("原因").fill("实为党费问题")
    desk.get_by_role("button", name="保存并通知承办组织").click()
    expect(desk.get_by_text("已重新分类/转办")).to_be_visible()
    expect(desk.get_by_text("分类：其他 → 党费；原因：实为党费问题")).to_be_visible()

    # 协商联动: 组织二处 answers for 党费, so it is ticked; three workdays
    office = desk.get_by_role("checkbox", name=re.compile("组织二处"))
    expect(office).to_be_checked()
    expect(desk.get_by_role("checkbox", name=re.compile("党员教育中心"))).not_to_be_checked()
    desk.get_by_label("回复时限").select_option("3")
    desk.get_by_role("button", name="发出征求意见").click()
    expect(desk.get_by_text("已发出征求意见")).to_be_visible()
    expect(desk.locator(".consultation").get_by_text("待回复")).to_be_visible()
    asked = Coordination.objects.get(order=order)
    assert asked.unit.name == "组织二处" and asked.due is not None
    assert Notification.objects.filter(user=liaison, kind="consult.coordination").exists()

    # the 联络员 answers on a phone, from the list of their office's requests
    page = phone
    sign_in(page, live_server.url, "liaison", "/consult/consultations/")
    expect(page).to_have_url(re.compile(r"/consult/consultations/"))
    expect(page.get_by_role("link", name="待回复")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("listitem").get_by_text("待回复")).to_be_visible()
    page.get_by_role("link", name=f"工单 {order.number}").click()
    page.get_by_label("处室意见").fill(OPINION)
    page.get_by_role("button", name="回复意见").click()
    expect(page.get_by_text("意见已回复")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    # the agent's reply starts from the merged answers
    desk.reload()
    expect(desk.get_by_label("答复内容")).to_have_value(f"【组织二处】{OPINION}")
    desk.get_by_role("button", name="答复并通知提问人").click()
    expect(desk.get_by_text("已答复，已通知提问人")).to_be_visible()
    order.refresh_from_db()
    assert order.status == "answered" and OPINION in order.reply

    # 转办: the second order goes to 五华区委, whose handler is told
    desk.goto(f"{live_server.url}/consult/orders/{other.pk}/")
    desk.get_by_label("承办组织部门").select_option(label="五华区委")
    desk.get_by_label("原因").fill("需五华区委组织部协调维修")
    desk.get_by_role("button", name="保存并通知承办组织").click()
    expect(desk.get_by_text("已重新分类/转办")).to_be_visible()
    other.refresh_from_db()
    assert other.org == e2e_cast.org["K1"] and other.status == "new"
    event = OrderEvent.objects.get(order=other, action="reroute")
    assert event.note == "承办：云南省委 → 五华区委；原因：需五华区委组织部协调维修"
    handler = e2e_cast.user["handler"]
    assert Notification.objects.filter(user=handler, kind="consult.rerouted").exists()
    context.close()
    assert WorkOrder.objects.count() == 2


def test_agent_merges_a_duplicate_and_stays_with_the_kept_order(browser, live_server, e2e_cast):
    """并入本工单 asks first (the duplicate is closed), then the agent is back on the order
    they were handling, the duplicate listed as merged into it."""
    _people(e2e_cast)
    order = _ask(e2e_cast, QUESTION, "党费")
    duplicate = _ask(e2e_cast, "退休了党费怎么算基数", "党费")
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    desk = context.new_page()
    desk.set_default_timeout(10_000)
    sign_in(desk, live_server.url, "p_agent", f"/consult/orders/{order.pk}/")
    asked = []
    desk.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    merge = desk.locator("#merge li").filter(has_text=duplicate.number)
    merge.get_by_role("button", name="并入本工单").click()
    expect(desk.locator("#merge li").filter(has_text=duplicate.number)).to_be_visible()
    assert asked and duplicate.number in asked[0]  # refused at the question: nothing merged
    assert WorkOrder.objects.get(pk=duplicate.pk).merged_into is None
    desk.once("dialog", lambda dialog: dialog.accept())
    merge.get_by_role("button", name="并入本工单").click()
    expect(desk.get_by_text(f"已合并至工单 {order.number}")).to_be_visible()
    expect(desk).to_have_url(re.compile(rf"/consult/orders/{order.pk}/$"))
    kept = desk.locator("section").filter(has_text="已并入的重复工单")
    expect(kept.get_by_role("link", name=duplicate.number)).to_be_visible()
    context.close()
