"""Issue 12: a secretary marks 60 attendees on a 390×844 phone (all present in one tap,
then two exceptions); an expired QR link says so before the tap; the secretary's live
count follows a check-in within seconds. Screenshots at 390×844 and 1440×900, normal and
大字模式, are kept in test-artifacts/."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.orglife import checkin, services
from dangjian.orglife.models import Attendance
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.kit import new_id_number

pytestmark = pytest.mark.e2e
DESKTOP = {**PHONE, "viewport": {"width": 1440, "height": 900}, "is_mobile": False,
           "has_touch": False, "device_scale_factor": 1}  # fmt: skip
ROSTER = 60


def _meeting(cast, *, extra_members: int = 0):
    from dangjian.members import services as members

    root, branch = cast.user["root"], cast.org["B1"]
    for i in range(extra_members):
        members.member_create(
            acting_user=root, branch=branch, name=f"党员{i + 3:02d}",
            id_number=new_id_number(dt.date(1950 + i % 30, 3, 1)), phone=f"1380000{i:04d}",
            ethnicity="汉族", education="bachelor", joined_on=dt.date(2005, 7, 1),
            full_member_on=dt.date(2006, 7, 1), status="full",
        )  # fmt: skip
    start = timezone.now() + dt.timedelta(minutes=5)
    return services.meeting_create(
        acting_user=root, org=branch, kind="theme_day", topic="重温入党誓词",
        starts_at=start, ends_at=start + dt.timedelta(hours=2),
    )  # fmt: skip


def _shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_secretary_marks_sixty_on_a_phone(browser, phone, live_server, e2e_cast):
    meeting = _meeting(e2e_cast, extra_members=ROSTER - 2)
    sign_in(phone, live_server.url, "branch_admin", f"/orglife/meetings/{meeting.pk}/")
    section = phone.locator("#attendance")
    expect(section.locator(".summary")).to_contain_text(f"应到 {ROSTER} 人")
    rows = section.locator(".att-row")
    expect(rows).to_have_count(ROSTER)
    heights = rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) <= 60, heights  # one compact line per member
    _shoot(phone, "orglife-attendance-phone-before")

    phone.get_by_role("button", name=f"未签到的 {ROSTER} 人全部标记出席").click()
    expect(section.locator(".summary")).to_contain_text(f"实到 {ROSTER} 人")
    expect(section.get_by_role("button", name="全部标记出席")).to_have_count(0)

    first, second = e2e_cast.member["B1m1"], e2e_cast.member["B1m2"]
    row = section.locator(f'[data-attendance="{first.pk}"]')
    row.locator("summary").click()
    row.get_by_label(f"{first.name}的请假事由").fill("住院")
    row.get_by_role("button", name="请假").click()
    expect(section.locator(f'[data-attendance="{first.pk}"]')).to_contain_text("事由：住院")
    row = section.locator(f'[data-attendance="{second.pk}"]')
    row.locator("summary").click()
    row.get_by_role("button", name="缺席").click()
    expect(section.locator(".summary")).to_contain_text(f"实到 {ROSTER - 2} 人 · 请假 1 · 缺席 1")
    statuses = dict(
        Attendance.objects.filter(meeting=meeting, member__in=[first, second]).values_list(
            "member_id", "status"
        )
    )
    assert statuses == {first.pk: "leave", second.pk: "absent"}
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, height  # was ~20,000 px for 50 rows
    _shoot(phone, "orglife-attendance-phone")
    phone.get_by_role("button", name="大字模式").click()
    expect(phone.get_by_role("button", name="标准模式")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    _shoot(phone, "orglife-attendance-phone-elder")

    desktop = phone.context.browser.new_context(
        **DESKTOP, storage_state=phone.context.storage_state()
    )
    page = desktop.new_page()
    page.goto(f"{live_server.url}/orglife/meetings/{meeting.pk}/")
    _shoot(page, "orglife-attendance-desktop-elder")
    page.get_by_role("button", name="标准模式").click()
    expect(page.get_by_role("button", name="大字模式")).to_be_visible()
    _shoot(page, "orglife-attendance-desktop")
    desktop.close()


def test_expired_qr_link_says_so_before_the_tap(phone, live_server, e2e_cast):
    meeting = _meeting(e2e_cast)
    stale = checkin.qr_token_for(meeting, timezone.now() - dt.timedelta(minutes=3))
    sign_in(phone, live_server.url, "member", f"/orglife/meetings/{meeting.pk}/checkin/?t={stale}")
    expect(phone.get_by_role("alert")).to_contain_text(checkin.MSG_TOKEN_EXPIRED)
    expect(phone.get_by_role("button", name="签到", exact=True)).to_have_count(0)
    _shoot(phone, "orglife-checkin-expired-phone")

    # A code that lapses while the page is open: the button is withdrawn in time.
    soon = int(timezone.now().timestamp()) - checkin.VALID_SECONDS + 6
    slot = -(-soon // checkin.ROTATE_SECONDS) * checkin.ROTATE_SECONDS  # expires in 6–36 s
    lapsing = checkin.qr_token_for(meeting, dt.datetime.fromtimestamp(slot, dt.UTC))
    phone.clock.install()  # the page's clock, run forward below instead of waited for
    phone.goto(f"{live_server.url}/orglife/meetings/{meeting.pk}/checkin/?t={lapsing}")
    button = phone.get_by_role("button", name="签到", exact=True)
    expect(button).to_be_visible()
    phone.clock.run_for(3_000)  # not yet lapsed (6 s at the soonest): the button stays
    expect(button).to_be_visible()
    phone.clock.run_for(40_000)
    expect(button).to_have_count(0)
    expect(phone.get_by_role("alert")).to_contain_text(checkin.MSG_TOKEN_EXPIRED)


def test_live_count_follows_a_check_in(browser, phone, live_server, e2e_cast):
    meeting = _meeting(e2e_cast)
    sign_in(phone, live_server.url, "branch_admin", f"/orglife/meetings/{meeting.pk}/screen/")
    expect(phone.locator(".qr-count")).to_contain_text("已签到 0 / 2 人")
    services.checkin_by_qr(
        acting_user=e2e_cast.user["member"], meeting=meeting, token=checkin.qr_token_for(meeting)
    )
    expect(phone.locator(".qr-count")).to_contain_text("已签到 1 / 2 人", timeout=7_000)
    _shoot(phone, "orglife-screen-phone")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_meeting_form_location_venue_and_select_all(browser, live_server, e2e_cast, elder):
    branch = e2e_cast.org["B1"]
    start = timezone.now() - dt.timedelta(days=7)
    services.meeting_create(
        acting_user=e2e_cast.user["root"], org=branch, kind="lecture", topic="党课",
        starts_at=start, ends_at=start + dt.timedelta(hours=1), place="社区党群服务中心",
        latitude=25.0406, longitude=102.7122, checkin_radius_m=150,
    )  # fmt: skip
    state = None
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(
            **size, geolocation={"latitude": 24.88, "longitude": 102.83}, storage_state=state
        )
        context.grant_permissions(["geolocation"])
        page = context.new_page()
        if state is None:  # one login: a TOTP code is accepted once
            sign_in(page, live_server.url, "branch_admin", f"/orglife/new/{branch.pk}/")
            if elder:
                page.get_by_role("button", name="大字模式").click()
                expect(page.get_by_role("button", name="标准模式")).to_be_visible()
            state = context.storage_state()
        else:
            page.goto(f"{live_server.url}/orglife/new/{branch.pk}/")
        expect(page.get_by_label("主持人")).to_contain_text("暂不指定")
        page.get_by_role("button", name="全不选").click()
        expect(page.locator('input[name="attendees"]:checked')).to_have_count(0)
        expect(page.get_by_text("已选 0 / 2 人")).to_be_visible()
        page.get_by_role("button", name="全选").click()
        expect(page.locator('input[name="attendees"]:checked')).to_have_count(2)
        page.get_by_label("常用会场").select_option("社区党群服务中心")
        expect(page.get_by_label("地点")).to_have_value("社区党群服务中心")
        expect(page.get_by_label("签到半径（米）")).to_have_value("150")
        page.get_by_role("button", name="使用我的位置").click()
        expect(page.locator("#id_latitude")).to_have_value("24.880000")
        expect(page.locator("#id_longitude")).to_have_value("102.830000")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        _shoot(page, f"orglife-form-{name}-{'elder' if elder else 'normal'}")
        context.close()


def test_axe_finds_nothing_serious_on_the_attendance_pages(browser, live_server, e2e_cast):
    from tests.e2e.test_layout import _axe

    meeting = _meeting(e2e_cast)
    services.attendance_mark(
        acting_user=e2e_cast.user["root"], meeting=meeting, member=e2e_cast.member["B1m2"],
        status="leave", reason="出差",
    )  # fmt: skip
    context = browser.new_context(**PHONE, bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    stale = checkin.qr_token_for(meeting, timezone.now() - dt.timedelta(minutes=3))
    sign_in(page, live_server.url, "member", f"/orglife/meetings/{meeting.pk}/checkin/?t={stale}")
    found = {"checkin (expired)": _axe(page)}
    context.close()
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server.url, "branch_admin", f"/orglife/meetings/{meeting.pk}/")
    page.locator("#attendance summary").first.click()
    found["detail"] = _axe(page)
    for path in (f"meetings/{meeting.pk}/screen/", f"new/{e2e_cast.org['B1'].pk}/"):
        page.goto(f"{live_server.url}/orglife/{path}")
        found[path] = _axe(page)
    context.close()
    assert {url: v for url, v in found.items() if v} == {}
