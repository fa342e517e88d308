"""The main menu offers each role only what it may open (core.menu), with 我的档案 for a
user linked to a member record; the phone bar keeps a few entries and puts the rest
under 更多 (one slot fewer in 大字模式)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from dangjian.core import menu
from tests.kit import login_verified

pytestmark = pytest.mark.django_db


def _keys(user) -> list[str]:
    return [entry.key for entry in menu.shown(user)]


def test_each_role_sees_what_it_may_open(cast):
    agent = _keys(cast.user["agent"])
    assert agent == ["home", "members", "desk", "chat", "orgs", "kb"]
    member = _keys(cast.user["member"])
    assert member == [
        "home",
        "orglife",
        "members",
        "chat",
        "dues",
        "my_record",
        "orgs",
        "transfers",
    ]
    handler = _keys(cast.user["handler"])
    assert handler == ["home", "desk", "chat", "orgs"]
    leader = _keys(cast.user["county_leader"])
    assert "recruitment" in leader and "warnings" in leader and "desk" not in leader
    assert "my_record" not in leader and "kb" not in leader
    root = _keys(cast.user["root"])
    assert {"orglife", "recruitment", "mobility", "lost", "warnings", "kb", "desk"} <= set(root)


def test_every_entry_opens_for_the_users_shown_it(client, cast):
    for key in ("member", "agent", "handler", "county_leader", "branch_admin", "examiner"):
        user = cast.user[key]
        login_verified(client, user)
        request = RequestFactory().get("/")
        request.user = user
        for entry in menu.shown(user):
            response = client.get(entry.url(user))
            assert response.status_code in (200, 302), (key, entry.key, response.status_code)
            if response.status_code == 302:  # a member's own card, say: still their page
                assert "/accounts/login" not in response["Location"], (key, entry.key)
        client.logout()


def test_the_phone_bar_and_more(client, cast):
    user = cast.user["member"]
    request = RequestFactory().get(reverse("members:detail", args=[user.member_id]))
    request.user = user
    request.resolver_match = None
    bar, more = menu.menu_for(request)
    assert [i.key for i in bar] == ["home", "orglife", "members", "chat"]
    assert [i.key for i in more] == ["dues", "my_record", "orgs", "transfers"]
    assert [i.key for i in more if i.current] == ["my_record"]  # its own URL wins
    bar, more = menu.menu_for(request, elder=True)
    assert len(bar) == menu.PRIMARY - 1 and more[0].key == "chat"

    login_verified(client, user)
    html = client.get(reverse("home")).content.decode()
    assert 'class="tab-more"' in html and "<summary>更多</summary>" in html
    assert f'href="{reverse("members:detail", args=[user.member_id])}"' in html
    assert "合规情况" not in html


def test_few_entries_need_no_more_menu(client, cast):
    login_verified(client, cast.user["handler"])
    html = client.get(reverse("home")).content.decode()
    assert 'class="tab-more"' not in html and 'aria-label="主导航"' in html


def test_the_entries_follow_the_script_prefix(cast):
    """The entries' URLs are kept once reversed, per script prefix: a deployment under a
    sub-path gets its own, and the root's are as before."""
    from django.urls import set_script_prefix

    user = cast.user["root"]
    request = RequestFactory().get("/")
    request.user = user
    at_root = {item.key: item.url for item in menu.menu_for(request)[0]}
    set_script_prefix("/dangjian/")
    try:
        below = {item.key: item.url for item in menu.menu_for(request)[0]}
    finally:
        set_script_prefix("/")
    assert at_root["home"] == reverse("home")
    assert below == {key: f"/dangjian{url}" for key, url in at_root.items()}
    assert {item.key: item.url for item in menu.menu_for(request)[0]} == at_root
