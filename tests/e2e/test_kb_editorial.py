"""An editor schedules tomorrow's 每日一答 on the calendar, and a member reads a 政策解读
from the home page: on a 390×844 phone and a 1440×900 desktop, normal and 大字模式, with a
screenshot of each page kept in test-artifacts/ (issue 11 part 6)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.knowledge.models import DailySchedule
from dangjian.knowledge.services import policy
from dangjian.knowledge.tests.kb_helpers import make_base
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}  # fmt: skip
SIZES = {"phone": PHONE, "desktop": DESKTOP}
CASES = [(size, elder) for size in sorted(SIZES) for elder in (False, True)]


def _page(browser, live_server, size: str, elder: bool):
    context = browser.new_context(**SIZES[size])
    if elder:
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def _fits(page):
    """Nothing wider than the viewport (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.parametrize(("size", "elder"), CASES)
def test_editor_schedules_tomorrow_and_member_reads_policy(
    browser, live_server, e2e_cast, size, elder
):
    base = make_base(e2e_cast.org["P"])
    article = policy.article_create(
        acting_user=e2e_cast.user["province_admin"],
        org=e2e_cast.org["P"],
        title="一文读懂党费交纳标准",
        summary="按月工资收入分档交纳",
        body="## 在职党员\n\n月工资收入（税后）3000元以下（含3000元）交纳**0.5%**。",
        source="《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）",
    )
    policy.article_publish(acting_user=e2e_cast.user["province_admin"], article=article)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    tag = f"kb-{size}{'-large' if elder else ''}"

    context, editor = _page(browser, live_server, size, elder)
    sign_in(editor, live_server.url, "province_admin", "/consult/daily/plan/")
    expect(editor.get_by_role("heading", name="安排每日一答")).to_be_visible()
    editor.get_by_label("搜索精编问答").fill("党费")
    editor.get_by_role("button", name="搜索").click()
    label = f"将“{base[1].question}”安排在{tomorrow.month}月{tomorrow.day}日"
    editor.get_by_role("button", name=label).click()
    expect(
        editor.get_by_text(f"已安排 {tomorrow:%Y}年{tomorrow.month}月{tomorrow.day}日")
    ).to_be_visible()
    cell = editor.locator(f'td[data-day="{tomorrow.isoformat()}"]')
    expect(cell).to_contain_text(base[1].question)
    _fits(editor)
    _shot(editor, f"{tag}-plan")
    assert DailySchedule.objects.get(day=tomorrow).entry_id == base[1].pk
    context.close()

    context, member = _page(browser, live_server, size, elder)
    sign_in(member, live_server.url, "member", "/")
    member.locator('[data-panel="member"]').get_by_role("link", name=article.title).click()
    expect(member.get_by_role("heading", name=article.title)).to_be_visible()
    expect(member.locator(".policy-body strong")).to_have_text("0.5%")
    _fits(member)
    _shot(member, f"{tag}-policy")
    member.get_by_role("link", name="政策解读", exact=True).click()
    expect(member.locator(f'li[data-article="{article.pk}"]')).to_contain_text(
        "按月工资收入分档交纳"
    )
    _fits(member)
    _shot(member, f"{tag}-policy-list")
    context.close()
