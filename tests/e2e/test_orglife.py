"""Issue acceptance: a secretary plans a 主题党日, a member checks in through the QR URL
on a phone, the secretary sees the attendance; and the check-in error states."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.orglife import checkin
from dangjian.orglife.models import Meeting
from tests.e2e.auth import sign_in
from tests.e2e.conftest import PHONE
from tests.kit import PASSWORD

pytestmark = pytest.mark.e2e


def test_secretary_plans_member_checks_in_secretary_sees_it(browser, phone, live_server, e2e_cast):
    secretary = phone
    branch = e2e_cast.org["B1"]
    sign_in(secretary, live_server.url, "branch_admin", f"/orglife/new/{branch.pk}/")
    start = timezone.localtime() + dt.timedelta(minutes=5)
    secretary.get_by_label("会议类型").select_option("theme_day")
    secretary.get_by_label("主题").fill("重温入党誓词")
    secretary.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    secretary.get_by_label("结束时间").fill(
        (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    secretary.get_by_role("button", name="安排并通知参会党员").click()
    expect(secretary.get_by_text("会议已安排")).to_be_visible()
    meeting = Meeting.objects.get(topic="重温入党誓词")

    secretary.get_by_role("link", name="签到二维码").click()
    expect(secretary.locator(".qr-svg svg")).to_be_visible()
    expect(secretary.locator(".qr-count")).to_contain_text("已签到 0 / 2 人")
    url = secretary.locator("[data-checkin-url]").get_attribute("href")

    context = browser.new_context(**PHONE)
    member = context.new_page()
    member.goto(url)
    member.get_by_label("用户名").fill("member")
    member.get_by_label("密码").fill(PASSWORD)
    member.get_by_role("button", name="登录").click()
    expect(member.get_by_role("heading", name="重温入党誓词")).to_be_visible()
    member.get_by_role("button", name="签到", exact=True).click()
    expect(member.get_by_text("签到成功")).to_be_visible()
    overflow = member.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    # Someone opening the code of a meeting they are not called to is told so.
    old = checkin.qr_token_for(meeting)
    other = Meeting.objects.create(
        branch=branch, kind="lecture", topic="党课", starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )  # fmt: skip
    member.goto(f"{live_server.url}/orglife/meetings/{other.pk}/checkin/?t={old}")
    expect(member.get_by_text("您不在本次会议的参会人员名单中")).to_be_visible()
    context.close()

    # The secretary's count follows within a few seconds (htmx polls every 3 s).
    expect(secretary.locator(".qr-count")).to_contain_text("已签到 1 / 2 人", timeout=8_000)
    secretary.goto(f"{live_server.url}/orglife/meetings/{meeting.pk}/")
    row = secretary.locator(f'[data-attendance="{e2e_cast.member["B1m1"].pk}"]')
    expect(row).to_contain_text("出席")
    expect(row).to_contain_text("扫码签到")
    assert re.search(r"实到 \d", secretary.locator(".summary").inner_text())


def test_checkin_error_states_on_a_phone(phone, live_server, e2e_cast):
    from dangjian.orglife import services

    start = timezone.now() + dt.timedelta(minutes=5)
    meeting = services.meeting_create(
        acting_user=e2e_cast.user["root"], org=e2e_cast.org["B1"], kind="theme_day",
        topic="主题党日", starts_at=start, ends_at=start + dt.timedelta(hours=2),
    )  # fmt: skip
    expired = checkin.qr_token_for(meeting, timezone.now() - dt.timedelta(minutes=5))
    sign_in(
        phone, live_server.url, "member", f"/orglife/meetings/{meeting.pk}/checkin/?t={expired}"
    )
    expect(phone.get_by_role("alert")).to_contain_text(checkin.MSG_TOKEN_EXPIRED)
    expect(phone.get_by_role("button", name="签到", exact=True)).to_have_count(0)
    phone.goto(f"{live_server.url}/orglife/meetings/{meeting.pk}/checkin/?t=forged")
    expect(phone.get_by_role("alert")).to_contain_text(checkin.MSG_TOKEN_FORGED)
    expect(phone.get_by_role("button", name="签到", exact=True)).to_have_count(0)
    fresh = checkin.qr_token_for(meeting)
    phone.goto(f"{live_server.url}/orglife/meetings/{meeting.pk}/checkin/?t={fresh}")
    phone.get_by_role("button", name="签到", exact=True).click()
    expect(phone.get_by_text("签到成功")).to_be_visible()
