"""进不来: rate limits (dangjian.core.ratelimit) on the login page and the token endpoint."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from dangjian.core import ratelimit
from tests.kit import PASSWORD

pytestmark = pytest.mark.django_db

TIGHT = {"login": (3, 60), "login-user": (2, 60), "otp": (10, 300), "password-change": (10, 300)}


def _page(client, username, ip="10.7.7.7"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": "x"}, REMOTE_ADDR=ip
    )


@override_settings(RATE_LIMITS=TIGHT)
def test_login_page_per_username(client, cast):
    assert _page(client, "member").status_code == 200
    assert _page(client, "Member", ip="10.7.7.8").status_code == 200  # case does not help
    third = _page(client, "member", ip="10.7.7.9")
    assert third.status_code == 429
    assert "请求过于频繁" in third.content.decode()
    assert 0 < int(third["Retry-After"]) <= 60
    assert _page(client, "examiner").status_code == 200  # another username


@override_settings(RATE_LIMITS=TIGHT)
def test_login_page_per_address(client, cast):
    for name in ("member", "examiner", "handler"):
        assert _page(client, name).status_code == 200
    assert _page(client, "outsider").status_code == 429  # 4th from the address
    assert _page(client, "outsider", ip="10.7.7.99").status_code == 200


@override_settings(RATE_LIMITS=TIGHT)
def test_token_endpoint_answers_429_json(client, cast):
    def token():
        return client.post(
            "/api/v1/auth/token",
            {"username": "member", "password": PASSWORD},
            content_type="application/json",
        )

    assert token().status_code == 200
    assert token().status_code == 200
    response = token()
    assert response.status_code == 429
    assert response.json()["detail"].startswith("请求过于频繁")
    assert int(response["Retry-After"]) > 0


@override_settings(RATE_LIMITS=TIGHT)
def test_get_requests_are_not_counted(client, cast):
    for _ in range(5):
        assert client.get(reverse("accounts:login")).status_code == 200


def test_the_window_is_fixed_per_key(settings):
    settings.RATE_LIMITS = {"t": (2, 60)}
    assert ratelimit.hit("t", "a") is None
    assert ratelimit.hit("t", "a") is None
    wait = ratelimit.hit("t", "a")
    assert wait is not None and 0 < wait <= 60
    assert ratelimit.hit("t", "b") is None


def test_decorator_on_any_view_and_switch(settings):
    settings.RATE_LIMITS = {"t": (1, 60)}

    @ratelimit.ratelimit("t", key=lambda request: "k")
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    assert view(factory.post("/x/")).status_code == 200
    assert view(factory.post("/x/")).status_code == 429
    settings.RATE_LIMITS_ENABLED = False
    assert view(factory.post("/x/")).status_code == 200


def test_defaults_cover_login_token_otp_and_future_endpoints():
    from django.conf import settings

    assert {"login", "login-user", "otp", "sms", "public"} <= set(settings.RATE_LIMITS)


def test_the_window_opens_at_the_first_request_not_on_the_clock(settings, monkeypatch):
    """Two requests either side of a minute boundary still share one window."""
    settings.RATE_LIMITS = {"t": (1, 60)}
    now = {"t": 119.9}  # the cache's expiry reads the same clock
    monkeypatch.setattr(ratelimit.time, "time", lambda: now["t"])
    assert ratelimit.hit("t", "edge") is None
    now["t"] = 120.1  # 0.2 s later, across a minute boundary: still the same window
    wait = ratelimit.hit("t", "edge")
    assert wait is not None and 59 <= wait <= 60
    now["t"] = 180.0  # the window has closed
    assert ratelimit.hit("t", "edge") is None
