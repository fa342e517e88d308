"""Issue acceptance: a member pays two months in the sandbox on a phone (390×844) and the
branch admin sees the arrears list shrink."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.dues import rules, services
from tests.e2e.auth import sign_in

pytestmark = pytest.mark.e2e


def test_member_pays_two_months_admin_sees_arrears_shrink(browser, phone, live_server, e2e_cast):
    this = timezone.localdate().replace(day=1)
    for key in ("B1m1", "B1m2"):
        services.base_set(
            acting_user=e2e_cast.user["root"],
            member=e2e_cast.member[key],
            category="employed",
            effective_month=dt.date(2021, 1, 1),
            base_fen=300000,
        )
    for month in (rules.add_months(this, -1), this):
        services.bills_issue(month=month)

    admin = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(admin, live_server.url, "branch_admin", "/dues/arrears/")
    expect(admin.locator("#arrears-count")).to_have_text("共 4 笔未缴")

    member = phone
    sign_in(member, live_server.url, "member", "/dues/")
    expect(member.locator("#unpaid input[type=checkbox]:checked")).to_have_count(2)
    member.get_by_role("button", name="网上缴纳").click()
    expect(member.locator("#amount")).to_have_text("30.00")
    member.get_by_role("button", name="确认支付").click()
    expect(member.get_by_text("支付成功")).to_be_visible()
    expect(member.get_by_text("没有待缴的党费")).to_be_visible()
    overflow = member.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    admin.reload()
    expect(admin.locator("#arrears-count")).to_have_text("共 2 笔未缴")
