"""进不来: TOTP second factor for admins, leaders, agents and superusers (django-otp)."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from dangjian.accounts import api as accounts_api
from dangjian.accounts import services
from dangjian.accounts.middleware import MSG_2FA_REQUIRED, OPEN_DURING_2FA
from dangjian.accounts.models import TwoFactorDevice
from dangjian.accounts.twofactor import current_code, is_privileged, requires_2fa
from dangjian.core.models import AuditEntry
from tests.kit import PASSWORD, give_totp_device, login_verified, totp_code
from tests.security.urlwalk import api_routes, page_routes

pytestmark = pytest.mark.django_db

PRIVILEGED = ["root", "province_admin", "county_admin", "county_leader", "agent"]
ORDINARY = ["member", "handler", "examiner", "outsider"]


def _password_step(client, username: str, next_url: str = "/") -> object:
    return client.post(
        reverse("accounts:login"), {"username": username, "password": PASSWORD, "next": next_url}
    )


def _code_at(device, offset_steps: int) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


@pytest.mark.parametrize("key", PRIVILEGED)
def test_privileged_roles_need_two_factors(cast, key):
    assert is_privileged(cast.user[key]) and requires_2fa(cast.user[key])


@pytest.mark.parametrize("key", ORDINARY)
def test_other_roles_do_not_unless_they_enrolled(cast, key):
    user = cast.user[key]
    assert not requires_2fa(user)
    give_totp_device(user)
    user = type(user).objects.get(pk=user.pk)  # fresh (the answer is cached per request)
    assert requires_2fa(user) and not is_privileged(user)


def test_password_then_code_rotates_the_session_key(client, cast):
    _password_step(client, "county_admin", "/orgs/")
    after_password = client.session.session_key
    assert DEVICE_ID_SESSION_KEY not in client.session
    response = client.post(
        reverse("accounts:otp_verify"),
        {"token": totp_code(cast.user["county_admin"]), "next": "/orgs/"},
    )
    assert response.status_code == 302 and response["Location"] == "/orgs/"
    assert client.session.session_key != after_password
    assert client.session[DEVICE_ID_SESSION_KEY]
    assert client.get("/orgs/").status_code == 200
    assert AuditEntry.objects.latest("id").action == "auth.otp"


def test_wrong_code_is_refused_in_chinese_and_audited(client, cast):
    _password_step(client, "county_admin")
    good = totp_code(cast.user["county_admin"])
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:otp_verify"), {"token": wrong})
    assert response.status_code == 200
    assert services.MSG_OTP_WRONG in response.content.decode()
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.after) == (
        "auth.otp_failed",
        cast.user["county_admin"],
        {"step": "verify"},
    )
    assert client.get(reverse("home")).status_code == 302  # still gated


def test_a_used_code_cannot_be_replayed(client, cast):
    user = cast.user["county_admin"]
    code = totp_code(user)
    _password_step(client, "county_admin")
    assert client.post(reverse("accounts:otp_verify"), {"token": code}).status_code == 302
    other = Client()
    _password_step(other, "county_admin")
    response = other.post(reverse("accounts:otp_verify"), {"token": code})
    assert response.status_code == 200  # refused: the device remembers the time step
    assert services.MSG_OTP_WRONG in response.content.decode()
    assert other.get(reverse("home")).status_code == 302


def test_an_older_code_is_refused_after_a_newer_one(cast):
    device = TwoFactorDevice.objects.get(user=cast.user["county_admin"])
    assert device.verify_token(_code_at(device, 0))
    assert not device.verify_token(_code_at(device, -1))


def test_repeated_wrong_codes_are_throttled(cast):
    device = TwoFactorDevice.objects.get(user=cast.user["county_admin"])
    good = current_code(device)
    assert not device.verify_token("000000" if good != "000000" else "111111")
    assert not device.verify_token(good)  # right code, but within the back-off delay
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # refused without even checking


def test_enrolment_for_a_privileged_user_without_a_device(client, cast):
    user = cast.user["county_admin"]
    TwoFactorDevice.objects.filter(user=user).delete()
    response = _password_step(client, "county_admin")
    assert response["Location"].startswith(reverse("accounts:otp_enrol"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html and "密钥" in html
    device = TwoFactorDevice.objects.get(user=user)
    assert not device.confirmed
    assert client.get(reverse("home")).status_code == 302  # nothing else until enrolled
    response = client.post(reverse("accounts:otp_enrol"), {"token": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200
    assert AuditEntry.objects.filter(action="auth.otp_enrol", actor=user).exists()


def test_enrolment_with_a_wrong_code_binds_nothing(client, cast):
    user = cast.user["county_admin"]
    TwoFactorDevice.objects.filter(user=user).delete()
    _password_step(client, "county_admin")
    client.get(reverse("accounts:otp_enrol"))
    device = TwoFactorDevice.objects.get(user=user)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:otp_enrol"), {"token": wrong})
    assert response.status_code == 200 and services.MSG_OTP_WRONG in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_a_password_alone_cannot_enrol_a_second_device(client, cast):
    """Someone holding only the password must not bind their own authenticator."""
    _password_step(client, "county_admin")
    response = client.get(reverse("accounts:otp_enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    client.post(reverse("accounts:otp_enrol"), {"token": "123456"})
    assert TwoFactorDevice.objects.filter(user=cast.user["county_admin"]).count() == 1


def test_members_may_enrol_of_their_own_accord(login, cast):
    client = login(cast.user["member"])
    assert client.get(reverse("home")).status_code == 200  # not required
    client.get(reverse("accounts:otp_enrol"))
    device = TwoFactorDevice.objects.get(user=cast.user["member"])
    client.post(reverse("accounts:otp_enrol"), {"token": current_code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200  # this session passed it
    fresh = Client()
    assert _password_step(fresh, "member")["Location"].startswith(reverse("accounts:otp_verify"))


# --- The gate covers every page and every session-authenticated API endpoint ---------


def _half_logged_in(key: str, cast) -> Client:
    client = Client()
    client.force_login(cast.user[key])  # password passed, second factor not
    return client


@pytest.mark.parametrize("method", ["get", "post"])
def test_gate_covers_every_page(cast, method):
    client = _half_logged_in("county_admin", cast)
    leaks = []
    for route in page_routes():
        if route.name in OPEN_DURING_2FA:
            continue
        response = getattr(client, method)(route.url)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith(reverse("accounts:otp_verify")):
            leaks.append(f"{method.upper()} {route.url} ({route.name}): {response.status_code}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_gate_covers_every_session_api_endpoint(cast, method):
    client = _half_logged_in("county_admin", cast)
    leaks = []
    for route in api_routes():
        response = getattr(client, method)(route.url)
        if response.status_code != 403 or response.json() != {"detail": MSG_2FA_REQUIRED}:
            leaks.append(f"{method.upper()} {route.url}: {response.status_code}")
    assert not leaks, "\n".join(leaks)


def test_gate_sends_htmx_requests_to_the_verify_page(cast):
    client = _half_logged_in("county_admin", cast)
    response = client.get(reverse("orgs:tree"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:otp_verify"))


def test_gate_lets_a_verified_session_through(login, cast):
    client = login(cast.user["county_admin"])
    assert client.get(reverse("orgs:tree")).status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 200


def test_admin_login_does_not_skip_the_second_factor(cast):
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))


# --- API tokens -----------------------------------------------------------------------


def _token(client, username, **extra):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": PASSWORD, **extra},
        content_type="application/json",
    )


def test_token_needs_the_code_for_privileged_users(client, cast):
    response = _token(client, "county_admin")
    assert response.status_code == 401
    assert response.json() == {"detail": accounts_api.MSG_OTP_REQUIRED}


def test_token_with_a_wrong_code_is_refused(client, cast):
    good = totp_code(cast.user["county_admin"])
    response = _token(client, "county_admin", otp=f"{(int(good) + 1) % 1_000_000:06d}")
    assert response.status_code == 401
    assert response.json() == {"detail": accounts_api.MSG_OTP_WRONG}
    assert AuditEntry.objects.latest("id").action == "auth.otp_failed"


def test_token_with_the_code_is_issued_once_per_code(client, cast):
    code = totp_code(cast.user["county_admin"])
    assert _token(client, "county_admin", otp=code).status_code == 200
    replay = _token(client, "county_admin", otp=code)
    assert replay.status_code == 401
    assert replay.json() == {"detail": accounts_api.MSG_OTP_WRONG}


def test_no_token_before_enrolment_on_the_web(client, cast):
    TwoFactorDevice.objects.filter(user=cast.user["agent"]).delete()
    response = _token(client, "agent", otp="123456")
    assert response.status_code == 403
    assert response.json() == {"detail": accounts_api.MSG_OTP_NOT_ENROLLED}


def test_ordinary_users_get_a_token_without_a_code(client, cast):
    assert _token(client, "member").status_code == 200
    assert _token(client, "handler").status_code == 200


def test_login_verified_helper_passes_the_gate(client, cast):
    login_verified(client, cast.user["root"])
    assert client.get("/admin/").status_code == 200
