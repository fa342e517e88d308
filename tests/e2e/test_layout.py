"""The site's chrome on a 390×844 phone, in normal and 大字模式 (large text):

- no fixed bar covers content: scrolled to the bottom, the last element of each main page
  is the element under its own centre (so a tap reaches it), above the bottom bar;
- the bottom bar is one line high (no label wraps) and the page reserves exactly its height;
- 更多 opens the entries that do not fit, 我的档案 among them;
- axe-core (vendored from npm: tests/e2e/vendor/axe-core) finds nothing serious or
  critical, colour contrast included, on the pages members use.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.auth import sign_in
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
MODES = pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])

# The last interactive (or, failing any, the last) element of <main>, visible.
LAST_ELEMENT = """() => {
  const main = document.getElementById("main");
  const visible = (el) => el.checkVisibility({visibilityProperty: true});
  const all = [...main.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")].filter(visible);
  const el = all.length ? all[all.length - 1] : [...main.querySelectorAll("*")].filter(visible).pop();
  window.scrollTo(0, document.documentElement.scrollHeight);
  const box = el.getBoundingClientRect();
  const x = box.left + Math.min(box.width / 2, 20), y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  const bar = document.querySelector("nav.tabs");
  return {
    html: el.outerHTML.slice(0, 120), bottom: box.bottom, y: y,
    reached: !!hit && (hit === el || el.contains(hit) || hit.contains(el) && hit.closest("main") !== null),
    barTop: bar ? bar.getBoundingClientRect().top : window.innerHeight,
  };
}"""

BAR = """() => {
  const bar = document.querySelector("nav.tabs");
  const pad = parseFloat(getComputedStyle(document.body).paddingBottom);
  const items = [...bar.querySelectorAll(":scope > a, :scope > details > summary")]
    .filter((el) => el.checkVisibility());
  return {
    height: bar.getBoundingClientRect().height, pad: pad,
    tap: parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--tap")),
    items: items.map((el) => ({text: el.textContent.trim(), h: el.getBoundingClientRect().height,
      clipped: el.scrollWidth > el.clientWidth + 1,
      lines: Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))})),
  };
}"""


def _phone(browser, live_server, *, elder: bool, bypass_csp: bool = False):
    context = browser.new_context(**PHONE, bypass_csp=bypass_csp)
    if elder:
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _log_in(page, live_server, username: str) -> None:
    sign_in(page, live_server.url, username)
    expect(page.locator("nav.tabs")).to_have_count(1)


def _member_pages(cast) -> list[str]:
    own = cast.member["B1m1"].pk
    return [
        reverse("home"),
        reverse("orglife:mine"),
        reverse("members:list"),
        reverse("members:detail", args=[own]),
        reverse("dues:mine"),
        reverse("knowledge:chat"),
        reverse("transfers:list"),
        reverse("inbox"),
        reverse("orgs:tree"),
    ]


def _admin_pages(cast) -> list[str]:
    return [
        reverse("members:list"),
        reverse("orglife:list"),
        reverse("orgs:detail", args=[cast.org["B1"].pk]),
        reverse("members:create", args=[cast.org["B1"].pk]),
    ]


def _check_layout(page, url: str) -> None:
    last = page.evaluate(LAST_ELEMENT)
    assert last["reached"], f"{url}: the last element is covered: {last}"
    assert last["bottom"] <= last["barTop"] + 0.5, f"{url}: under the bottom bar: {last}"
    bar = page.evaluate(BAR)
    assert bar["height"] == pytest.approx(bar["tap"] + 1, abs=0.5), (url, bar)  # + border
    assert bar["pad"] == pytest.approx(bar["height"], abs=0.5), (url, bar)
    for item in bar["items"]:
        assert item["lines"] == 1 and not item["clipped"], (url, item)
        assert item["h"] == pytest.approx(bar["tap"], abs=0.5), (url, item)


@MODES
def test_no_bar_covers_a_members_pages(browser, live_server, e2e_cast, elder):
    context, page = _phone(browser, live_server, elder=elder)
    _log_in(page, live_server, "member")
    for url in _member_pages(e2e_cast):
        page.goto(f"{live_server.url}{url}")
        _check_layout(page, url)
    context.close()


@MODES
def test_no_bar_covers_a_branch_admins_pages(browser, live_server, e2e_cast, elder):
    context, page = _phone(browser, live_server, elder=elder)
    _log_in(page, live_server, "branch_admin")
    for url in _admin_pages(e2e_cast):
        page.goto(f"{live_server.url}{url}")
        _check_layout(page, url)
    context.close()


@MODES
def test_more_opens_the_rest_of_the_menu(browser, live_server, e2e_cast, elder):
    context, page = _phone(browser, live_server, elder=elder)
    _log_in(page, live_server, "member")
    bar = page.get_by_role("navigation", name="主导航")
    expect(bar.get_by_role("link", name="首页")).to_be_visible()
    expect(bar.get_by_role("link", name="我的档案")).to_be_hidden()
    bar.get_by_text("更多").click()
    bar.get_by_role("link", name="我的档案").click()
    expect(page).to_have_url(re.compile(rf"/members/{e2e_cast.member['B1m1'].pk}/$"))
    expect(page.get_by_text("出生日期")).to_be_visible()  # their own record, in full
    context.close()


def test_the_desktop_row_shows_every_entry(browser, live_server, e2e_cast):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, live_server, "member")
    bar = page.get_by_role("navigation", name="主导航")
    for name in ("首页", "组织生活", "党员", "12371咨询", "党费", "我的档案", "组织"):
        expect(bar.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(bar.get_by_text("更多")).to_be_hidden()
    context.close()


def _axe(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => ({id: v.id, impact: v.impact,
                          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}))"""
    )


@MODES
def test_axe_finds_nothing_serious_on_member_pages(browser, live_server, e2e_cast, elder):
    # The CSP refuses inline scripts: axe is injected with it bypassed, in this context only.
    context, page = _phone(browser, live_server, elder=elder, bypass_csp=True)
    page.goto(f"{live_server.url}{reverse('knowledge:chat')}")  # logged out
    found = {"chat (logged out)": _axe(page)}
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    found["login"] = _axe(page)
    _log_in(page, live_server, "member")
    for url in _member_pages(e2e_cast):
        page.goto(f"{live_server.url}{url}")
        found[url] = _axe(page)
    context.close()
    assert {url: v for url, v in found.items() if v} == {}


@MODES
def test_the_bots_category_chips_are_full_tap_targets(browser, live_server, e2e_cast, elder):
    """常见问题分类 on the bot page: each a full tap target with text at the body's size, so
    大字模式 grows it (they were small badges a thumb missed)."""
    from dangjian.knowledge.tests.kb_helpers import make_base

    make_base(e2e_cast.org["P"])
    context, page = _phone(browser, live_server, elder=elder)
    _log_in(page, live_server, "member")
    page.goto(f"{live_server.url}{reverse('knowledge:chat')}")
    chips = page.evaluate(
        """() => {
      const tap = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--tap"));
      const body = parseFloat(getComputedStyle(document.body).fontSize);
      return [...document.querySelectorAll("main .chips a")].map((a) => ({
        text: a.textContent, tall: a.getBoundingClientRect().height >= tap - 0.5,
        sized: parseFloat(getComputedStyle(a).fontSize) >= body }));
    }"""
    )
    assert chips, "no category chips on the bot page"
    assert [c["text"] for c in chips if not (c["tall"] and c["sized"])] == []
    context.close()
