"""A county admin logs in on a phone and browses their part of the tree."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.auth import enter_totp_code
from tests.kit import PASSWORD

pytestmark = pytest.mark.e2e


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/orgs/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    enter_totp_code(page, username)
    expect(page).to_have_url(re.compile(r"/orgs/$"))


def expand(page, name: str) -> None:
    """Open a tree node by its disclosure marker (the link itself opens the detail page)."""
    page.locator(f'summary[aria-label="{name}的下级组织"]').click()
    expect(page.locator(f'details[open] > summary[aria-label="{name}的下级组织"]')).to_have_count(1)


def test_county_admin_browses_own_subtree_on_a_phone(phone, live_server, e2e_cast):
    page = phone
    log_in(page, live_server.url, "county_admin")

    tree = page.locator("ul.tree")
    expect(tree.get_by_role("link", name="五华区委", exact=True)).to_be_visible()
    # Nothing above or beside the county: not the province, not the sibling county.
    expect(page.get_by_text("云南省委")).to_have_count(0)
    expect(page.get_by_text("盘龙区委")).to_have_count(0)

    expand(page, "五华区委")
    expand(page, "华山街道党委")
    expect(tree.get_by_role("link", name="华山社区第二党支部")).to_be_visible()
    tree.get_by_role("link", name="华山社区第一党支部", exact=True).click()

    expect(page.get_by_role("heading", name="华山社区第一党支部")).to_be_visible()
    expect(page.get_by_text("530102100001")).to_be_visible()
    # The breadcrumb stops at the top of the user's scope.
    expect(page.get_by_role("link", name="五华区委")).to_be_visible()
    expect(page.get_by_text("昆明市委")).to_have_count(0)

    # The page fits a phone: no horizontal scrolling.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_search_never_reaches_outside_the_scope(phone, live_server, e2e_cast):
    page = phone
    log_in(page, live_server.url, "county_admin")
    page.get_by_role("searchbox").fill("社区")
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="华山社区第一党支部")).to_be_visible()
    expect(results.get_by_text("拓东社区党支部")).to_have_count(0)
