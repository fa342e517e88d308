"""进不来: lockout after repeated failed logins (django-axes), per account and per IP."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse

from dangjian.accounts.lockout import MSG_LOCKED
from dangjian.accounts.views import MSG_LOGIN_FAILED
from dangjian.core.models import AuditEntry
from tests.kit import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED_PREFIX = MSG_LOCKED.split("。")[0]  # "登录失败次数过多，已暂时锁定"


def _page(client, username, password, ip="10.1.1.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _api(client, username, password, ip="10.1.1.1"):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_fifth_failure_locks_the_page_login(client, cast):
    for _ in range(4):
        response = _page(client, "member", "wrong")
        assert response.status_code == 200 and MSG_LOGIN_FAILED in response.content.decode()
    fifth = _page(client, "member", "wrong")
    assert fifth.status_code == 429
    html = fifth.content.decode()
    assert LOCKED_PREFIX in html and "分钟" in html  # says when it unlocks
    assert fifth["Retry-After"] == "900"
    # Now even the right password is refused, from any address.
    sixth = _page(client, "member", PASSWORD, ip="10.9.9.9")
    assert sixth.status_code == 429 and "_auth_user_id" not in client.session
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "auth.login_failed" and entry.after["locked"] is True


def test_four_failures_then_the_right_password_gets_in_and_clears_the_count(client, cast):
    for _ in range(4):
        _page(client, "member", "wrong")
    assert _page(client, "member", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="member").exists()


def test_lockout_covers_the_token_endpoint(client, cast):
    for _ in range(4):
        assert _api(client, "member", "wrong").status_code == 401
    fifth = _api(client, "member", "wrong")
    assert fifth.status_code == 429
    assert fifth.json()["detail"].startswith(LOCKED_PREFIX)
    assert fifth["Retry-After"] == "900"
    assert _api(client, "member", PASSWORD).status_code == 429


def test_page_and_api_failures_count_together(client, cast):
    for _ in range(3):
        _page(client, "member", "wrong")
    _api(client, "member", "wrong")
    assert _api(client, "member", "wrong").status_code == 429


def test_a_locked_account_does_not_lock_others(client, cast):
    for _ in range(5):
        _page(client, "member", "wrong", ip="10.2.2.2")
    assert _page(Client(), "examiner", PASSWORD, ip="10.3.3.3").status_code == 302


@override_settings(LOGIN_IP_FAILURE_LIMIT=6)
def test_an_address_is_locked_after_failures_over_many_accounts(client, cast):
    names = ["member", "handler", "examiner", "outsider", "agent", "county_leader"]
    for name in names[:5]:
        assert _page(client, name, "wrong", ip="10.4.4.4").status_code == 200
    assert _page(client, names[5], "wrong", ip="10.4.4.4").status_code == 429  # 6th from it
    # That address is locked even for an account without failures...
    assert _page(Client(), "city_admin", PASSWORD, ip="10.4.4.4").status_code == 429
    # ...while the same account logs in from elsewhere.
    assert _page(Client(), "city_admin", PASSWORD, ip="10.5.5.5").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, cast):
    import datetime as dt

    from django.utils import timezone

    for _ in range(5):
        _page(client, "member", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert _page(client, "member", PASSWORD).status_code == 302


def test_admin_login_is_covered_too(client, cast):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "root", "password": "wrong"})
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED_PREFIX in response.content.decode()
