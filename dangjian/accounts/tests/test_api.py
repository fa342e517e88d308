"""Token flow: issue, use, expire, revoke; login attempts audited."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.core.models import AuditEntry
from tests.kit import PASSWORD, login_verified, totp_code


def _token(client, username, password=PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password, **extra},
        content_type="application/json",
    )


def _auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_issue_and_use(client, cast):
    response = _token(client, "county_admin", otp=totp_code(cast.user["county_admin"]))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["token"].startswith("dj_")
    assert dt.datetime.fromisoformat(body["expires_at"]) > timezone.now()
    me = client.get("/api/v1/auth/me", **_auth(body["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "county_admin"
    assert me.json()["roles"] == [
        {
            "role": "admin",
            "role_label": "管理员",
            "org_id": cast.org["K1"].pk,
            "org_name": "五华区委",
        }
    ]


def test_only_the_digest_is_stored(client, cast):
    raw = _token(client, "member").json()["token"]
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert raw not in str(list(ApiToken.objects.values_list()))


def test_login_is_audited(client, cast):
    _token(client, "member")
    entry = AuditEntry.objects.filter(action="auth.login").latest("id")
    assert entry.actor == cast.user["member"]
    assert entry.after == {"username": "member"}
    assert entry.ip == "127.0.0.1"


def test_wrong_password_is_401_in_chinese_and_audited(client, cast):
    before = ApiToken.objects.count()
    response = _token(client, "member", "wrong-password")
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}
    assert ApiToken.objects.count() == before
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "auth.login_failed"
    assert entry.actor is None
    assert entry.after == {"username": "member"}


def test_unknown_user_is_the_same_401(client, cast):
    response = _token(client, "nobody")
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}
    assert AuditEntry.objects.latest("id").action == "auth.login_failed"


def test_missing_credentials_is_422(client, cast):
    response = client.post("/api/v1/auth/token", {}, content_type="application/json")
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert locs == {("body", "username"), ("body", "password")}


def test_inactive_user_gets_no_token(client, cast):
    user = cast.user["member"]
    user.is_active = False
    user.save()
    assert _token(client, "member").status_code == 401


def test_expired_token_refused(client, cast):
    raw = _token(client, "member").json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/v1/auth/me", **_auth(raw))
    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或令牌无效"}


def test_token_of_deactivated_user_refused(client, cast):
    raw = _token(client, "member").json()["token"]
    cast.user["member"].is_active = False
    cast.user["member"].save()
    assert client.get("/api/v1/auth/me", **_auth(raw)).status_code == 401


def test_revoke(client, cast):
    raw = _token(client, "member").json()["token"]
    other = _token(client, "member").json()["token"]
    response = client.post("/api/v1/auth/token/revoke", **_auth(raw))
    assert response.status_code == 204
    assert AuditEntry.objects.latest("id").action == "auth.token_revoke"
    assert client.get("/api/v1/auth/me", **_auth(raw)).status_code == 401
    assert client.post("/api/v1/auth/token/revoke", **_auth(raw)).status_code == 401
    # Only the presented token: the user's other sessions go on.
    assert client.get("/api/v1/auth/me", **_auth(other)).status_code == 200


def test_revoke_needs_a_bearer_token(client, cast):
    client.force_login(cast.user["member"])
    assert client.get("/api/v1/auth/me").status_code == 200  # session works elsewhere
    assert client.post("/api/v1/auth/token/revoke").status_code == 401


def test_session_writes_need_the_csrf_token(cast):
    """Cookie-authenticated writes (the pages' session) are CSRF-checked; bearer ones not."""
    browser = Client(enforce_csrf_checks=True)
    login_verified(browser, cast.user["branch_admin"])
    before = AuditEntry.objects.count()
    response = browser.patch(
        f"/api/v1/orgs/{cast.org['G1'].pk}",
        data={"name": "改名"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF 校验失败，请刷新页面后重试"}
    assert AuditEntry.objects.count() == before


def test_garbage_tokens_refused(client, cast):
    for header in ("Bearer", "Bearer dj_", "Bearer x" * 300, "Token abc", "dj_abc"):
        response = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
