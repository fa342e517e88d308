"""A new admin binds an authenticator on a phone; the API docs run under the CSP."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.accounts.models import TwoFactorDevice
from dangjian.accounts.twofactor import current_code
from tests.kit import PASSWORD

pytestmark = pytest.mark.e2e


def test_admin_enrols_and_reaches_the_tree(phone, live_server, e2e_cast):
    page = phone
    TwoFactorDevice.objects.filter(user=e2e_cast.user["county_admin"]).delete()
    violations = []
    page.on(
        "console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text)
    )
    page.goto(f"{live_server.url}/orgs/")
    page.get_by_label("用户名").fill("county_admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/otp/enrol/"))
    qr = page.get_by_role("img", name="动态验证码二维码")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0  # data: URI loads
    device = TwoFactorDevice.objects.get(user=e2e_cast.user["county_admin"])
    page.get_by_label("动态验证码").fill(current_code(device))
    page.get_by_role("button", name="完成绑定").click()
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    expect(page.get_by_text("动态验证码已绑定")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert violations == []


def test_api_docs_render_under_the_csp(phone, live_server, e2e_cast):
    page = phone
    violations = []
    page.on(
        "console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text)
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("member")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_text("/api/v1/auth/token").first).to_be_visible()
    script_violations = [v for v in violations if "script-src" in v]
    assert script_violations == []
