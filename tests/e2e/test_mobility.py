"""Issue acceptance (流动党员, 失联党员): a secretary registers a mobile member and the
member opens their e-card on a phone, whose QR page anyone can verify; the host records
the member's participation and the home branch sees it; a lost-contact record with its
search attempts."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.mobility import rules
from dangjian.mobility.models import Registration
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e


def _no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_registration_card_verification_and_host_participation(
    browser, phone, live_server, e2e_cast
):
    base, today = live_server.url, timezone.localdate()
    member = e2e_cast.member["B1m1"]
    secretary = phone
    sign_in(secretary, base, "branch_admin", f"/mobility/?who={member.name}")
    secretary.get_by_role("link", name=f"登记{member.name}为流动党员").click()
    secretary.get_by_label("外出事由").fill("赴昆明务工")
    secretary.get_by_label("外出日期").fill((today - dt.timedelta(days=3)).isoformat())
    secretary.get_by_label("预计返回日期").fill(rules.add_months(today, 2).isoformat())
    secretary.get_by_label("流入地党组织代码").fill(e2e_cast.org["B3"].code)
    secretary.get_by_role("button", name="登记并发放电子活动证").click()
    expect(secretary.get_by_text(rules.MSG_TOO_SHORT)).to_be_visible()  # under six months
    secretary.get_by_label("预计返回日期").fill(rules.add_months(today, 10).isoformat())
    secretary.get_by_role("button", name="登记并发放电子活动证").click()
    expect(secretary.get_by_text("已登记为流动党员")).to_be_visible()
    registration = Registration.objects.get(member=member)
    _no_overflow(secretary)
    secretary.goto(f"{base}/members/{member.pk}/")  # the member's status follows
    expect(secretary.locator("h1 .tag")).to_have_text("流动党员")

    # The member opens their e-card on their phone (the 流动党员 tab leads to it).
    context = browser.new_context(**PHONE)
    card = context.new_page()
    sign_in(card, base, "member", "/mobility/")
    expect(card.get_by_role("heading", name="流动党员电子活动证")).to_be_visible()
    expect(card.locator(".ecard")).to_contain_text(e2e_cast.org["B3"].name)
    expect(card.locator(".ecard-qr svg")).to_be_visible()
    expect(card.locator(".ecard-state")).to_contain_text("有效")
    _no_overflow(card)
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=ARTIFACTS / "mobility-ecard-390.png", full_page=True)
    verify_url = card.locator("[data-verify-url]").get_attribute("href")
    context.close()

    # Anyone scanning the code (no login) sees the name, both organisations, validity.
    visitor_context = browser.new_context(**PHONE)
    visitor = visitor_context.new_page()
    visitor.goto(verify_url)
    expect(visitor.get_by_text("真实，有效")).to_be_visible()
    expect(visitor.locator("main")).to_contain_text(member.name)
    expect(visitor.locator("main")).not_to_contain_text(member.phone)
    visitor.goto(verify_url[:-3] + "xyz")
    expect(visitor.get_by_text("无法核验")).to_be_visible()
    visitor_context.close()

    # The host organisation records an activity; the home branch sees it.
    host_context = browser.new_context(**PHONE)
    host = host_context.new_page()
    sign_in(host, base, "sibling_county_admin", "/mobility/?side=host")
    host.get_by_role("link", name=member.name).click()
    host.locator("#id_held_on").fill(today.isoformat())
    host.locator("#id_kind").select_option("meeting")
    host.locator("#id_title").fill("在昆流动党员主题党日")
    host.get_by_role("button", name="记录", exact=True).click()
    expect(host.get_by_text("参加活动情况已记录")).to_be_visible()
    host_context.close()

    secretary.goto(f"{base}/mobility/{registration.pk}/")
    expect(secretary.locator("#participation")).to_contain_text("在昆流动党员主题党日")


def test_lost_contact_with_search_attempts(phone, live_server, e2e_cast):
    base, today = live_server.url, timezone.localdate()
    lost = e2e_cast.member["B1m2"]
    page = phone
    sign_in(page, base, "branch_admin", f"/mobility/lost/?who={lost.name}")
    page.get_by_role("link", name=f"标记{lost.name}为失联").click()
    page.get_by_label("失联日期").fill((today - dt.timedelta(days=30)).isoformat())
    page.get_by_label("失联情况").fill("手机停机，家中无人")
    page.get_by_role("button", name="标记为失联").click()
    expect(page.get_by_text("已标记为失联党员")).to_be_visible()
    case_url = page.url
    page.goto(f"{base}/members/{lost.pk}/")
    expect(page.locator("h1 .tag")).to_have_text("失联党员")
    page.goto(case_url)
    for method, result in (("phone", "电话仍停机"), ("relatives", "亲属称其在外省务工")):
        page.locator("#id_tried_on").fill(today.isoformat())
        page.locator("#id_method").select_option(method)
        page.locator("#id_result").fill(result)
        page.get_by_role("button", name="记录查找情况").click()
        expect(page.get_by_text("查找情况已记录")).to_be_visible()
    expect(page.locator("[data-attempt]")).to_have_count(2)
    # Too early for a 停止党籍 proposal: refused with the date it becomes possible.
    page.locator("#id_outcome").select_option("suspension")
    page.locator("#id_outcome_on").fill(today.isoformat())
    page.get_by_role("button", name="记录结果").click()
    expect(page.get_by_text("方可提出停止党籍建议")).to_be_visible()
    page.locator("#id_outcome").select_option("found")
    page.locator("#id_outcome_on").fill(today.isoformat())
    page.get_by_role("button", name="记录结果").click()
    expect(page.locator("[data-outcome]")).to_contain_text("已取得联系")
    page.goto(f"{base}/members/{lost.pk}/")
    expect(page.locator("h1 .tag")).to_have_text("正式党员")
    _no_overflow(page)
    page.goto(f"{base}/mobility/lost/?status=closed")
    expect(page.locator("[data-lost]")).to_contain_text("查找 2 次")
