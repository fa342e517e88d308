"""进不来: security headers on every response; a CSP without 'unsafe-inline'/'unsafe-eval'
that the pages and the API docs live with; production-only HTTPS settings."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit import login_verified
from tests.security.urlwalk import all_routes

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ROOT = Path(__file__).resolve().parents[2]


def _check_headers(response, where: str) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if csp != EXPECTED_CSP:
        problems.append(f"{where}: CSP {csp!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{where}: unsafe CSP")
    for header, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ):
        if response.get(header) != value:
            problems.append(f"{where}: {header} {response.get(header)!r}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append(f"{where}: Permissions-Policy")
    return problems


@pytest.mark.parametrize("user_key", [None, "member", "county_admin", "root"])
def test_every_route_carries_the_headers(client, cast, user_key):
    if user_key:
        login_verified(client, cast.user[user_key])
    problems = []
    for route in all_routes():
        if route.name == "accounts:logout":
            continue  # would end the session under test
        response = client.get(route.url)
        problems += _check_headers(response, f"{route.url} [{response.status_code}]")
    assert not problems, "\n".join(problems)


def test_error_and_lockout_responses_carry_the_headers(client, cast):
    assert not _check_headers(client.get("/no-such-page/"), "404")
    assert not _check_headers(client.post("/api/v1/auth/token", {}), "422")


def test_api_docs_work_without_inline_script(login, cast):
    client = login(cast.user["member"])
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    # Executable scripts are all external; the one inline block is JSON data (not run).
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.findall(r"\son[a-z]+=", html) == []
    assert "/static/ninja/swagger-ui-bundle.js" in html and "//cdn" not in html


def _settings_with(env: dict) -> dict:
    code = (
        "import json, django; from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'DEBUG','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_HSTS_SECONDS',"
        "'SECURE_SSL_REDIRECT','SECURE_PROXY_SSL_HEADER')}))"
    )
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_production_settings():
    prod = {"DANGJIAN_DEBUG": "0", "DANGJIAN_SECRET_KEY": "x" * 50}
    values = _settings_with(prod)
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_SSL_REDIRECT"] is False and values["SECURE_PROXY_SSL_HEADER"] is None
    behind = _settings_with({**prod, "DANGJIAN_TRUST_PROXY": "1", "DANGJIAN_SSL_REDIRECT": "1"})
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert behind["SECURE_SSL_REDIRECT"] is True
    debug = _settings_with({"DANGJIAN_DEBUG": "1"})
    assert debug["SECURE_HSTS_SECONDS"] == 0 and not debug["SESSION_COOKIE_SECURE"]
