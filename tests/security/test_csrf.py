"""进不来: every page that takes a POST refuses one without the CSRF token (403), walked
over the URL resolver so a new form is covered the day it is added."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.kit import PASSWORD, login_verified
from tests.security.urlwalk import api_routes, page_routes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user_key", [None, "county_admin", "root"])
def test_every_page_refuses_a_post_without_the_token(cast, user_key):
    client = Client(enforce_csrf_checks=True)
    if user_key:
        login_verified(client, cast.user[user_key])
    accepted = []
    for route in page_routes():
        response = client.post(route.url, {"username": "member", "password": PASSWORD})
        if response.status_code != 403:
            accepted.append(f"{route.url} ({route.name}): {response.status_code}")
    assert not accepted, "\n".join(accepted)


def test_the_login_form_works_with_its_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts:login"),
        {"username": "member", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_session_api_writes_refuse_a_post_without_the_token(cast):
    """Cookie-authenticated API calls are CSRF-checked by ninja; bearer ones need none."""
    client = Client(enforce_csrf_checks=True)
    login_verified(client, cast.user["root"])
    accepted = []
    for route in api_routes():
        if route.name in ("api:issue_token", "api:revoke_token"):
            continue  # no cookie auth there: password in, token out; bearer only
        if route.name.startswith("api:dues_notify_"):
            continue  # server to server: the provider's signature is the authentication
        if route.url.endswith("/consult/public/lookup"):
            continue  # a visitor's read by order number and code: no cookie identity in it
        for method in ("post", "patch", "delete"):
            response = getattr(client, method)(route.url, {}, content_type="application/json")
            if response.status_code not in (403, 405):
                accepted.append(f"{method.upper()} {route.url}: {response.status_code}")
    assert not accepted, "\n".join(accepted)
