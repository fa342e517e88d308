"""Signing in from a browser test: the password form, then the second factor where the
account has one (admins, leaders, agents), recognised by where the form leads."""

import re
from urllib.parse import quote

from playwright.sync_api import expect

from dangjian.accounts.models import User
from tests.kit import PASSWORD, totp_code

OTP_PATH = "/accounts/otp/"


def enter_totp_code(page, username: str) -> None:
    """The second step: the code the user's authenticator app would show now."""
    expect(page).to_have_url(re.compile(OTP_PATH))
    page.get_by_label("动态验证码").fill(totp_code(User.objects.get(username=username)))
    page.get_by_role("button", name="验证").click()


def sign_in(page, base: str, username: str, next_path: str = "/") -> None:
    """Sign ``username`` in and land on ``next_path``.

    Each user signs in once per test: a second sign-in within one TOTP step would reuse
    the code, which the server rightly refuses (share a ``storage_state`` instead)."""
    page.goto(f"{base}/accounts/login/?next={quote(next_path, safe='/')}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if OTP_PATH in page.url:
        enter_totp_code(page, username)
