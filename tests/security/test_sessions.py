"""进不来: session lifetime (idle and absolute), rotation, server-side logout, cookies."""

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse

from dangjian.accounts.middleware import MSG_IDLE, SESSION_SEEN, SESSION_STARTED
from dangjian.core.models import AuditEntry
from tests.kit import PASSWORD

pytestmark = pytest.mark.django_db


def _shift(client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def test_idle_timeout_is_thirty_minutes_by_default():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_COOKIE_AGE == 8 * 3600


def test_a_session_idle_just_under_the_limit_goes_on(login, cast):
    client = login(cast.user["member"])
    client.get(reverse("home"))
    _shift(client, SESSION_SEEN, settings.SESSION_IDLE_SECONDS - 5)
    assert client.get(reverse("home")).status_code == 200


def test_an_idle_session_ends(login, cast):
    client = login(cast.user["member"])
    client.get(reverse("home"))
    old_key = client.session.session_key
    _shift(client, SESSION_SEEN, settings.SESSION_IDLE_SECONDS + 5)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Session.objects.filter(session_key=old_key).exists()  # gone server-side
    assert MSG_IDLE in client.get(response["Location"]).content.decode()
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.after) == ("auth.logout", {"reason": "idle"})


def test_activity_keeps_a_session_alive(login, cast):
    client = login(cast.user["member"])
    client.get(reverse("home"))
    _shift(client, SESSION_SEEN, settings.SESSION_IDLE_SECONDS - 60)
    client.get(reverse("home"))  # refreshes the last-seen time
    assert time.time() - client.session[SESSION_SEEN] < 5


def test_the_absolute_lifetime_ends_even_a_busy_session(login, cast):
    client = login(cast.user["member"])
    client.get(reverse("home"))
    _shift(client, SESSION_STARTED, settings.SESSION_COOKIE_AGE + 5)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401  # the API answers as for no session
    assert AuditEntry.objects.latest("id").after == {"reason": "expired"}


@override_settings(SESSION_IDLE_SECONDS=60)
def test_idle_timeout_is_a_setting(login, cast):
    client = login(cast.user["member"])
    client.get(reverse("home"))
    _shift(client, SESSION_SEEN, 61)
    assert client.get(reverse("home")).status_code == 302


def test_login_rotates_the_session_key(cast):
    client = Client()
    client.get(reverse("accounts:login"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.post(reverse("accounts:login"), {"username": "member", "password": PASSWORD})
    assert client.session.session_key != before


def test_logout_deletes_the_session_server_side(login, cast):
    client = login(cast.user["member"])
    key = client.session.session_key
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stolen.get(reverse("home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert stolen.get(reverse("home")).status_code == 302  # the copied cookie is worthless
    assert AuditEntry.objects.latest("id").action == "auth.logout"


def test_session_cookie_flags(cast):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "member", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # Secure outside debug: see test_headers.test_production_settings.
