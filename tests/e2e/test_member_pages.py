"""A branch admin filters members on a phone (htmx, no reload) and reveals an ID number."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.core.models import AuditEntry
from tests.e2e.auth import enter_totp_code
from tests.kit import PASSWORD

pytestmark = pytest.mark.e2e


def test_filter_members_and_reveal_on_a_phone(phone, live_server, e2e_cast):
    page = phone
    page.goto(f"{live_server.url}/members/")
    page.get_by_label("用户名").fill("branch_admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    enter_totp_code(page, "branch_admin")
    expect(page).to_have_url(re.compile(r"/members/$"))

    results = page.locator("#member-results")
    expect(results.get_by_text("共 2 名党员")).to_be_visible()
    expect(page.get_by_label("性别")).to_be_hidden()  # folded on a phone until asked for
    page.get_by_text("更多筛选条件").click()
    page.get_by_label("性别").select_option("F")  # htmx swaps the results in place
    expect(results.get_by_text("共 1 名党员")).to_be_visible()
    expect(page).to_have_url(re.compile(r"gender=F"))
    page.get_by_label("姓名").fill("党员1")  # debounced search on typing
    expect(results.get_by_text("共 0 名党员")).to_be_visible()

    page.get_by_label("性别").select_option("")
    expect(results.get_by_text("共 1 名党员")).to_be_visible()
    member = e2e_cast.member["B1m1"]
    results.get_by_role("link", name=member.name).click()
    expect(page.get_by_text(member.id_number_masked)).to_be_visible()
    expect(page.get_by_text(member.id_number)).to_have_count(0)

    page.get_by_role("button", name="查看完整号码").click()
    expect(page.get_by_text(member.id_number)).to_be_visible()
    expect(page.get_by_text("本次查看已记入审计日志")).to_be_visible()
    assert AuditEntry.objects.filter(action="member.reveal", object_id=str(member.pk)).exists()

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_elder_mode_is_one_tap_away(phone, live_server, e2e_cast):
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html.elder")).to_have_count(1)
    bigger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert bigger > size
    page.get_by_role("button", name="标准模式").click()
    expect(page.locator("html.elder")).to_have_count(0)
