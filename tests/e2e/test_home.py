"""Each role's home page on a 390×844 phone and a 1440×900 desktop: the member taps 签到
on an open meeting, the secretary sees what is still due this month, the agent the
queue and what is overdue, the leader the subtree's figures and drills down."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.orglife import rules
from dangjian.orglife import services as orglife
from dangjian.orglife.choices import MeetingKind
from tests.e2e.auth import sign_in
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}  # fmt: skip
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(params=sorted(SIZES))
def screen(browser, request):
    context = browser.new_context(**SIZES[request.param])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _plan(cast, kind, starts_at, org="B1", hours=2):
    return orglife.meeting_create(
        acting_user=cast.user["root"],
        org=cast.org[org],
        kind=kind,
        topic=f"{dict(MeetingKind.choices)[kind]}学习",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        place="党员活动室",
    )


def _fits(page):
    """Nothing wider than the viewport (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_member_home_checks_in(screen, live_server, e2e_cast):
    meeting = _plan(e2e_cast, "theme_day", timezone.now() + dt.timedelta(minutes=20))
    sign_in(screen, live_server.url, "member", "/")
    panel = screen.locator('[data-panel="member"]')
    expect(panel.get_by_role("heading", name="我的组织生活")).to_be_visible()
    expect(panel.locator(f'li[data-meeting="{meeting.pk}"]')).to_contain_text("主题党日学习")
    expect(panel.get_by_text("会议通知：主题党日「主题党日学习」")).to_be_visible()  # unread
    expect(panel.get_by_role("link", name="我的档案")).to_be_visible()
    _fits(screen)
    panel.get_by_role("link", name="签到", exact=True).click()
    expect(screen).to_have_url(f"{live_server.url}/orglife/meetings/{meeting.pk}/checkin/")


def test_secretary_home_shows_duties_and_meetings_to_record(screen, live_server, e2e_cast):
    ended = _plan(e2e_cast, "committee", timezone.now() - dt.timedelta(days=1))
    sign_in(screen, live_server.url, "branch_admin", "/")
    panel = screen.locator('[data-panel="secretary"]')
    due = panel.locator('li[data-duty="theme_day"]')
    expect(due).to_contain_text("待开展")
    month_end = rules.month_period(timezone.localdate().year, timezone.localdate().month).last
    expect(due).to_contain_text(f"{month_end.month}月{month_end.day}日前完成")
    expect(panel.locator(f'li[data-to-record="{ended.pk}"]')).to_be_visible()
    _fits(screen)
    due.get_by_role("link", name="安排主题党日").click()
    expect(screen.get_by_label("会议类型")).to_have_value("theme_day")


def test_agent_home_shows_the_queue_and_the_overdue(screen, live_server, e2e_cast):
    from dangjian.desk.models import WorkOrder
    from dangjian.desk.services import orders

    order = orders.order_create(
        acting_user=e2e_cast.user["member"],
        source="web",
        summary="流动党员怎么参加组织生活",
        category="流动党员与失联党员",
        asker=e2e_cast.user["member"],
        org=e2e_cast.org["K1"],  # re-routed from the centre to the county, in the agent's city
    )
    WorkOrder.objects.filter(pk=order.pk).update(
        first_response_due=timezone.now() - dt.timedelta(hours=2)
    )
    sign_in(screen, live_server.url, "agent", "/")
    panel = screen.locator('[data-panel="agent"]')
    expect(panel.locator("[data-queue]")).to_have_text("1")
    expect(panel.locator("[data-queue-overdue]")).to_have_text("1")
    _fits(screen)
    panel.get_by_role("link", name="流动党员怎么参加组织生活").click()
    expect(screen).to_have_url(f"{live_server.url}/consult/orders/{order.pk}/")
    expect(screen.get_by_text("流动党员怎么参加组织生活").first).to_be_visible()


def test_leader_home_drills_down(screen, live_server, e2e_cast):
    orglife.theme_day_warn(branch=e2e_cast.org["B1"], month=rules.month_period(2026, 10))
    sign_in(screen, live_server.url, "county_admin", "/")
    panel = screen.locator('[data-panel="leader"]')
    expect(panel.get_by_role("heading", level=2)).to_contain_text("五华区委")
    expect(panel.locator("[data-members]")).to_have_text("4")
    expect(panel.locator("[data-warnings]")).to_have_text("1")
    _fits(screen)
    panel.get_by_role("link", name="华山街道党委").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text("华山街道党委")
    child = screen.locator(f'li[data-child="{e2e_cast.org["B1"].pk}"]')
    expect(child).to_contain_text("预警 1 条")
    child.get_by_role("link", name="预警 1 条").click()
    expect(screen.get_by_text("华山社区第一党支部2026年10月尚未开展主题党日").first).to_be_visible()
