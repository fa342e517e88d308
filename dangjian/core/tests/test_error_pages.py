"""Every error page (400, 403, 404, 500, CSRF failure) is Chinese, in the site's layout,
with DEBUG on as well as off; under /api/ the same errors are JSON."""

import json

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from dangjian.core import failures
from dangjian.core.errorpages import csrf_failure
from tests.kit import login_verified

pytestmark = pytest.mark.django_db
DEBUG = pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])


def _in_layout(html: str) -> None:
    assert '<html lang="zh-Hans"' in html
    assert 'class="topbar"' in html and "/static/css/site.css" in html
    assert "Page not found" not in html and "Forbidden" not in html
    assert "Traceback" not in html and "URLconf" not in html


@DEBUG
def test_an_address_matching_nothing(client, cast, debug):
    login_verified(client, cast.user["member"])
    with override_settings(DEBUG=debug):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    _in_layout(html)
    assert "未找到" in html and 'aria-label="主导航"' in html  # the signed-in user's menu


@DEBUG
def test_a_view_raising_not_found(client, cast, debug):
    login_verified(client, cast.user["agent"])
    with override_settings(DEBUG=debug):
        response = client.get(reverse("orglife:compliance"))  # nothing for an agent
    assert response.status_code == 404
    _in_layout(response.content.decode())


@DEBUG
def test_a_missing_slash_still_redirects(client, cast, debug):
    login_verified(client, cast.user["member"])
    with override_settings(DEBUG=debug):
        response = client.get("/members")
    assert response.status_code == 301 and response["Location"] == "/members/"


@DEBUG
def test_forbidden(client, cast, debug):
    login_verified(client, cast.user["member"])
    with override_settings(DEBUG=debug):
        response = client.get(reverse("orgs:edit", args=[cast.org["B1"].pk]))
    assert response.status_code == 403
    html = response.content.decode()
    _in_layout(html)
    assert "没有权限" in html


@DEBUG
def test_csrf_failure(cast, debug):
    client = Client(enforce_csrf_checks=True)
    with override_settings(DEBUG=debug):
        response = client.post(reverse("accounts:elder"), {"elder": "1", "next": "/"})
    assert response.status_code == 403
    html = response.content.decode()
    _in_layout(html)
    assert "页面已过期" in html and "CSRF" not in html


def test_csrf_failure_under_the_api_is_json():
    response = csrf_failure(RequestFactory().post("/api/v1/anything"), reason="no cookie")
    assert response.status_code == 403
    assert "页面已过期" in json.loads(response.content)["detail"]


def test_bad_request(client, cast):
    response = client.generic(
        "POST", reverse("accounts:login"), b"x", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    html = response.content.decode()
    _in_layout(html)
    assert "请求无效" in html


def test_server_error_page():
    request = RequestFactory().get("/members/")
    response = failures.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    _in_layout(html)
    assert "系统暂时出错" in html


@DEBUG
def test_api_not_found_is_json(client, cast, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到"}
