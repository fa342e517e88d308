"""进不来: the password policy, history, expiry for privileged accounts, the change page."""

import datetime as dt

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import services
from dangjian.accounts.middleware import MSG_PASSWORD_EXPIRED
from dangjian.accounts.models import ApiToken, PasswordHistory, User
from dangjian.accounts.validators import MSG_CLASSES, MSG_REUSED, password_expired
from dangjian.core.models import AuditEntry
from tests.kit import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = ["Hongyun#2027a", "Hongyun#2027b", "Hongyun#2027c", "Hongyun#2027d", "Hongyun#2027e",
        "Hongyun#2027f", "Hongyun#2027g"]  # fmt: skip


def _errors(password: str, user=None) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Ab1!Ab1!Ab1", "至少需要12个字符"),  # 11 characters
        ("abcdefghijk1", MSG_CLASSES.format(n=3)),  # two classes only
        ("ABCDEFGHIJ!!", MSG_CLASSES.format(n=3)),
        ("123456789012", "只包含数字"),
        ("Qwerty123456", "太常见"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, fragment):
    assert any(fragment in m for m in _errors(password)), _errors(password)


def test_twelve_characters_of_three_classes_pass():
    assert _errors("abcdefgh12!x") == []  # lower, digit, symbol: exactly 12
    assert _errors("Abcdefghij12") == []  # upper, lower, digit


def test_a_password_like_the_username_is_refused(cast):
    user = User(username="zhangsanfeng2026")
    assert any("相似" in m for m in _errors("Zhangsanfeng2026", user))


def _set(user, password):
    user.set_password(password)
    user.save()


def test_the_last_five_are_refused_the_sixth_last_is_not(cast):
    user = cast.user["member"]
    for password in GOOD[:6]:
        _set(user, password)
    # History (newest first): f, e, d, c, b — "b" is the 5th-last, "a" the 6th-last.
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert MSG_REUSED.format(n=5) in _errors(GOOD[1], user)
    assert MSG_REUSED.format(n=5) in _errors(GOOD[5], user)  # the current one
    assert _errors(GOOD[0], user) == []


def test_history_keeps_hashes_only(cast):
    user = cast.user["member"]
    _set(user, GOOD[0])
    stored = PasswordHistory.objects.filter(user=user).latest("id").password
    assert stored.startswith("argon2$") and GOOD[0] not in stored


def test_password_change_service(cast):
    user = cast.user["member"]
    services.token_issue(user=user)
    services.password_change(user=user, old_password=PASSWORD, new_password=GOOD[0], ip="10.0.0.1")
    user.refresh_from_db()
    assert user.check_password(GOOD[0])
    assert timezone.now() - user.password_changed_at < dt.timedelta(seconds=5)
    assert not ApiToken.objects.filter(user=user).exists()  # tokens revoked
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.ip) == ("auth.password_change", user, "10.0.0.1")
    assert "argon2" not in str(entry.after) and GOOD[0] not in str(entry.after)


def test_password_change_refusals(cast):
    user = cast.user["member"]
    with pytest.raises(ValidationError) as exc:
        services.password_change(user=user, old_password="wrong", new_password=GOOD[0], ip=None)
    assert exc.value.message_dict == {"old_password": [services.MSG_OLD_PASSWORD]}
    with pytest.raises(ValidationError) as exc:
        services.password_change(user=user, old_password=PASSWORD, new_password="short", ip=None)
    assert "new_password" in exc.value.message_dict
    before = AuditEntry.objects.count()
    assert AuditEntry.objects.count() == before
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_page(login, cast):
    client = login(cast.user["county_admin"])
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and "至少3类" in page.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password": GOOD[0], "new_password2": GOOD[0]},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200  # still signed in, still verified
    mismatch = client.post(
        reverse("accounts:password_change"),
        {"old_password": GOOD[0], "new_password": GOOD[1], "new_password2": GOOD[2]},
    )
    assert "两次输入的新密码不一致" in mismatch.content.decode()


def _age(user, days: float) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=days)
    )


def test_privileged_passwords_expire_after_90_days(cast):
    admin = cast.user["county_admin"]
    _age(admin, 89.99)  # still in the 90th day
    assert not password_expired(User.objects.get(pk=admin.pk))
    _age(admin, 90.01)  # into the 91st
    assert password_expired(User.objects.get(pk=admin.pk))


def test_ordinary_passwords_do_not_expire(cast):
    member = cast.user["member"]
    _age(member, 400)
    assert not password_expired(User.objects.get(pk=member.pk))


@override_settings(PASSWORD_EXPIRY_DAYS=30)
def test_the_expiry_is_a_setting(cast):
    admin = cast.user["county_admin"]
    _age(admin, 31)
    assert password_expired(User.objects.get(pk=admin.pk))


def test_an_expired_password_allows_nothing_but_changing_it(login, cast):
    admin = cast.user["county_admin"]
    _age(admin, 91)
    client = login(admin)
    for url in (reverse("home"), reverse("orgs:tree"), reverse("members:list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:password_change"))
    api = client.get("/api/v1/auth/me")
    assert api.status_code == 403
    assert api.json() == {"detail": MSG_PASSWORD_EXPIRED.format(days=90)}
    page = client.get(reverse("accounts:password_change"))
    assert "已超过90天未修改" in page.content.decode()
    client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password": GOOD[0], "new_password2": GOOD[0]},
    )
    assert client.get(reverse("home")).status_code == 200


def test_login_with_an_expired_password_goes_to_the_change_page(client, cast):
    from tests.kit import totp_code

    admin = cast.user["county_admin"]
    _age(admin, 91)
    client.post(reverse("accounts:login"), {"username": "county_admin", "password": PASSWORD})
    response = client.post(reverse("accounts:otp_verify"), {"token": totp_code(admin)})
    assert response["Location"].startswith(reverse("accounts:password_change"))


def test_no_api_token_with_an_expired_password(client, cast):
    from dangjian.accounts.api import MSG_PASSWORD_EXPIRED as API_MSG
    from tests.kit import totp_code

    admin = cast.user["county_admin"]
    _age(admin, 91)
    response = client.post(
        "/api/v1/auth/token",
        {"username": "county_admin", "password": PASSWORD, "otp": totp_code(admin)},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json() == {"detail": API_MSG}
