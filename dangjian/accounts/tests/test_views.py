import pytest
from django.urls import reverse

from dangjian.accounts.views import MSG_LOGIN_FAILED
from dangjian.core.models import AuditEntry
from tests.kit import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_and_mobile_ready(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-Hans"' in html
    assert 'name="viewport"' in html
    assert '<label for="id_username">用户名' in html and '<label for="id_password">密码' in html


def test_login_succeeds_and_is_audited(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "member", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.after) == (
        "auth.login",
        cast.user["member"],
        {"username": "member"},
    )
    assert entry.ip == "127.0.0.1"
    assert client.get(reverse("home")).status_code == 200


def test_privileged_login_goes_on_to_the_second_factor(client, cast):
    response = client.post(
        reverse("accounts:login"), {"username": "county_admin", "password": PASSWORD}
    )
    assert response["Location"] == reverse("accounts:otp_verify") + "?next=%2F"
    assert AuditEntry.objects.latest("id").action == "auth.login"
    assert client.get(reverse("home")).status_code == 302
    code = totp_code(cast.user["county_admin"])
    response = client.post(reverse("accounts:otp_verify"), {"token": code, "next": "/"})
    assert response["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200


def test_login_failure_says_so_in_chinese_and_is_audited(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "county_admin", "password": "x"})
    assert response.status_code == 200
    assert MSG_LOGIN_FAILED in response.content.decode()
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor) == ("auth.login_failed", None)
    assert "_auth_user_id" not in client.session


def test_login_with_empty_fields_shows_field_errors(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "", "password": ""})
    assert response.status_code == 200
    assert "这个字段是必填项。" in response.content.decode()


def test_login_follows_a_safe_next_only(client, cast):
    data = {"username": "member", "password": PASSWORD}
    response = client.post(reverse("accounts:login"), {**data, "next": "/members/"})
    assert response["Location"] == "/members/"
    client.post(reverse("accounts:logout"))
    response = client.post(reverse("accounts:login"), {**data, "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_logout_needs_post(login, cast):
    client = login(cast.user["member"])
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("home")).status_code == 302


def test_pages_need_login(client, cast):
    for url in (reverse("home"), reverse("orgs:tree"), reverse("members:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_elder_mode_toggles_with_a_cookie(login, cast):
    client = login(cast.user["member"])
    html = client.get(reverse("home")).content.decode()
    assert 'class="elder"' not in html and "大字模式" in html
    response = client.post(reverse("accounts:elder"), {"elder": "1", "next": "/orgs/"})
    assert response["Location"] == "/orgs/"
    assert response.cookies["elder"].value == "1"
    html = client.get(reverse("orgs:tree")).content.decode()
    assert '<html lang="zh-Hans" class="elder">' in html and "标准模式" in html
    client.post(reverse("accounts:elder"), {"elder": "0"})
    assert 'class="elder"' not in client.get(reverse("home")).content.decode()


def test_elder_mode_is_available_before_login(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:elder") in html
    response = client.post(
        reverse("accounts:elder"), {"elder": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_home_shows_the_admins_subtree(login, cast):
    """The leader's panel (dangjian/home/tests covers each role's home page)."""
    html = login(cast.user["county_admin"]).get(reverse("home")).content.decode()
    assert "五华区委" in html
    assert 'data-members="4"' in html  # B1 and B2, two each
    assert "昆明市委" not in html and "盘龙区委" not in html


def test_home_of_a_user_without_roles(login, cast):
    html = login(cast.user["outsider"]).get(reverse("home")).content.decode()
    assert "您还没有任何组织角色" in html
    assert "<b>0</b>个党组织" in html and "名党员" not in html


def test_home_of_the_member_links_their_own_record(login, cast):
    html = login(cast.user["member"]).get(reverse("home")).content.decode()
    assert 'data-panel="member"' in html
    assert reverse("members:detail", args=[cast.member["B1m1"].pk]) in html  # 我的档案
