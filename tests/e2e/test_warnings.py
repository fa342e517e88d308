"""A branch admin, warned on the 20th that no 主题党日 was held, opens the message on a
phone, gives the warning to themself, then resolves it with a note — in 大字模式."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from dangjian.core.calendar import TZ
from dangjian.core.models import Warning
from dangjian.orglife import tasks
from tests.e2e.auth import sign_in

pytestmark = pytest.mark.e2e


def test_admin_resolves_the_theme_day_warning(phone, live_server, e2e_cast):
    tasks.theme_day_warnings(at=dt.datetime(2026, 11, 20, 9, tzinfo=TZ))
    warning = Warning.objects.get(org=e2e_cast.org["B1"])
    page = phone
    sign_in(page, live_server.url, "branch_admin", "/inbox/")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html.elder")).to_have_count(1)

    page.get_by_role("button", name="主题党日未按时开展预警").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("尚未开展主题党日")
    page.get_by_label("责任人", exact=True).select_option(label="branch_admin")
    page.get_by_role("button", name="指派").click()
    expect(page.get_by_text("已指派给")).to_be_visible()

    page.get_by_role("button", name="提交处理结果").click()  # no note yet
    expect(page.get_by_text("这个字段是必填项")).to_be_visible()
    page.get_by_label("处理说明").fill("已于11月25日补开主题党日")
    page.get_by_role("button", name="提交处理结果").click()
    expect(page.get_by_text("预警已处理")).to_be_visible()
    expect(page.get_by_text("已于11月25日补开主题党日")).to_be_visible()
    expect(page.locator("html.elder")).to_have_count(1)

    page.get_by_role("link", name="预警").first.click()
    page.get_by_label("状态", exact=True).select_option("resolved")
    expect(page.locator(f'li[data-warning="{warning.pk}"]')).to_be_visible()
    warning.refresh_from_db()
    assert warning.resolution == "handled" and warning.assignee.username == "branch_admin"
