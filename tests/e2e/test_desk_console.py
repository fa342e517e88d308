"""The 12371 agent console through a shift's common moves, in Debian chromium:

- at 1440×900 the queue and the current case stand side by side, the most urgent order
  (overdue, then priority, then deadline) on top; choosing one loads it beside the queue
  without leaving the page (htmx), the address following it; the knowledge-base answers
  stand beside the reply box;
- search and filters narrow the queue as one types or chooses;
- keyboard: j / k walk the queue opening each case, c claims, r goes to the reply, / to
  the search, ? shows the help; letters typed into a field are text, not commands;
- at 390×844 the queue comes first and nothing is wider than the screen; the same in
  大字模式 (large text) at both sizes;
- the statistics page shows 办理率 and the agents' workload and exports a workbook.

Screenshots of every layout go to test-artifacts/ (console-*.png).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.desk.models import WorkOrder
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}  # fmt: skip
KB_QUESTION = "党费按月交纳还是按季度交纳？"
KB_ANSWER = "党员应当按月交纳党费，特殊情况下经党支部同意可以按季度交纳。"


def _orders(cast) -> dict[str, WorkOrder]:
    now = timezone.now()

    def make(summary, *, due_in, priority="normal", source="web", category="党费", **kw):
        due = now + dt.timedelta(hours=due_in)
        return WorkOrder.objects.create(
            org=cast.org["K1"],
            source=source,
            category=category,
            summary=summary,
            priority=priority,
            first_response_due=due,
            resolution_due=due + dt.timedelta(days=2),
            **kw,
        )

    return {
        "soon": make("党费基数怎么核定", due_in=2),
        "late": make("转正材料要交哪些（已超时）", due_in=-2, category="发展党员"),
        "urgent": make(
            "组织关系转出急需办理",
            due_in=6,
            priority="urgent",
            source="hotline",
            category="组织关系转接",
            caller_name="王女士",
        ),
        "later": make("党费按月交纳还是按季度", due_in=8),
    }


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"console-{name}.png", full_page=False)


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_console_shift(browser, live_server, e2e_cast):
    from dangjian.knowledge import index
    from dangjian.knowledge.services import kb

    kb.entry_create(
        acting_user=e2e_cast.user["root"],
        org=e2e_cast.org["P"],
        question=KB_QUESTION,
        answer=KB_ANSWER,
        category="党费",
        source="中组发〔2008〕3号",
        publish=True,
    )
    index.reset()
    orders = _orders(e2e_cast)
    base = live_server.url

    desktop = browser.new_context(**DESKTOP)
    page = desktop.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, "agent", "/consult/console/")
    expect(page).to_have_url(re.compile(r"/consult/console/"))

    # Two columns: the queue on the left, the case (here the call form, waiting with the
    # cursor in its first field) on the right.
    expect(page.locator("#id_phone")).to_be_focused()
    page.keyboard.press("j")  # the empty number field lets the keys work at once
    expect(page.locator("#case-pane h2")).to_have_text("转正材料要交哪些（已超时）")
    page.goto(f"{base}/consult/console/")
    page.keyboard.type("0871")  # a number typed straight in when a call comes
    expect(page.locator("#id_phone")).to_have_value("0871")
    page.locator("#id_phone").fill("")
    queue, pane = _box(page, ".console-queue"), _box(page, "#case-pane")
    assert queue["x"] + queue["width"] <= pane["x"] and abs(queue["y"] - pane["y"]) < 5
    titles = page.locator(".queue-item .queue-summary")
    expect(titles).to_have_text(
        [
            "转正材料要交哪些（已超时）",
            "组织关系转出急需办理",
            "党费基数怎么核定",
            "党费按月交纳还是按季度",
        ]
    )
    _shot(page, "desktop")

    # Choosing an order loads it beside the queue; the page stays, the address follows.
    page.evaluate("() => { window.__stay = true; }")
    page.locator(".queue-link", has_text="党费基数怎么核定").click()
    expect(page.locator("#case-pane h2")).to_have_text("党费基数怎么核定")
    expect(page).to_have_url(re.compile(rf"order={orders['soon'].pk}"))
    assert page.evaluate("() => window.__stay") is True
    expect(page.locator(".queue-item.is-current .queue-summary")).to_have_text("党费基数怎么核定")

    # Keyboard: j / k walk the queue (each case opens beside it).
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    expect(page.locator("#case-pane h2")).to_have_text("党费按月交纳还是按季度")
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(page.locator("#case-pane h2")).to_have_text("组织关系转出急需办理")
    # ? shows the help; c claims the open case and the console comes back with it.
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help .shortcut-list")).to_be_visible()
    _shot(page, "desktop-help")
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    expect(page.get_by_text("已受理")).to_be_visible()
    expect(page.locator("#case-pane h2")).to_have_text("组织关系转出急需办理")
    # r goes to the reply box; the knowledge base's answers stand beside it.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type("jk")  # letters in a field are text, not shortcuts
    expect(page.locator("#reply-text")).to_have_value(re.compile(r"jk$"))
    expect(page.locator("#case-pane h2")).to_have_text("组织关系转出急需办理")
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    expect(page.locator("#kb-q")).to_be_focused()
    page.locator("#kb-q").fill("党费按月")
    # The first search loads the encoder and builds the index (seconds on a busy machine).
    expect(page.locator("#kb-hits")).to_contain_text(KB_QUESTION, timeout=60_000)
    reply, hits = _box(page, "#reply-text"), _box(page, "#kb-q")
    assert reply["x"] + reply["width"] <= hits["x"], "the answers stand beside the reply"
    _shot(page, "desktop-case")

    # / searches; the queue narrows as one types; a filter narrows it again.
    page.keyboard.press("/")  # typed into the knowledge-base search: a letter there
    expect(page.locator("#kb-q")).to_have_value("党费按月/")
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("党费")
    expect(titles).to_have_text(["党费基数怎么核定", "党费按月交纳还是按季度"])
    expect(page).to_have_url(re.compile(r"q=%E5%85%9A%E8%B4%B9"))
    page.locator("#id_q").fill("")
    page.get_by_label("渠道").select_option("hotline")
    expect(titles).to_have_text(["组织关系转出急需办理"])
    page.get_by_label("渠道").select_option("")
    page.get_by_label("仅看超时").check()
    expect(titles).to_have_text(["转正材料要交哪些（已超时）"])
    page.get_by_label("仅看超时").uncheck()
    expect(titles).to_have_count(4)

    # The statistics of the same desk, and their export.
    page.goto(f"{base}/consult/stats/")
    expect(page.get_by_text("办理率").first).to_be_visible()
    expect(page.get_by_role("heading", name="坐席工作量")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename == "consult-stats.xlsx"
    _no_sideways_scroll(page)
    _shot(page, "stats-desktop")

    # 大字模式 at the desktop size: still two columns, nothing wider than the screen.
    state = desktop.storage_state()
    desktop.add_cookies([{"name": "elder", "value": "1", "url": base}])
    page.goto(f"{base}/consult/console/?order={orders['urgent'].pk}")
    queue, pane = _box(page, ".console-queue"), _box(page, "#case-pane")
    assert queue["x"] + queue["width"] <= pane["x"]
    _no_sideways_scroll(page)
    _shot(page, "desktop-elder")
    desktop.close()

    # A phone: the queue first, then the case; in both modes nothing sideways.
    for elder in (False, True):
        phone = browser.new_context(**PHONE, storage_state=state)
        if elder:
            phone.add_cookies([{"name": "elder", "value": "1", "url": base}])
        mobile = phone.new_page()
        mobile.set_default_timeout(15_000)
        mobile.goto(f"{base}/consult/console/")
        queue, pane = _box(mobile, ".queue-card"), _box(mobile, "#case-pane")
        assert queue["y"] + queue["height"] <= pane["y"], "the queue comes first"
        assert mobile.evaluate("() => window.scrollY") == 0, "opens at the top"
        assert _box(mobile, ".queue-item")["y"] < mobile.viewport_size["height"]
        _no_sideways_scroll(mobile)
        _shot(mobile, f"phone{'-elder' if elder else ''}")
        mobile.locator(".queue-link", has_text="党费基数怎么核定").click()
        expect(mobile.locator("#case-pane h2")).to_have_text("党费基数怎么核定")
        expect(mobile.locator("#case-pane h2")).to_be_in_viewport()
        _no_sideways_scroll(mobile)
        _shot(mobile, f"phone-case{'-elder' if elder else ''}")
        mobile.goto(f"{base}/consult/stats/")
        _no_sideways_scroll(mobile)
        _shot(mobile, f"stats-phone{'-elder' if elder else ''}")
        phone.close()
