"""Member records beyond the declared matrix (dangjian/members/tests/access.py): the
lists, through the API and the pages, show exactly the oracle's members with counts that
say no more, and an organisation filter never widens them."""

import pytest
from django.urls import reverse

from tests.access.lists import api_ids, page_ids
from tests.kit import (
    BRANCHES,
    ORG_KEYS,
    USER_KEYS,
    ancestors_or_self,
    login_verified,
    sees_member,
    sees_members_of,
    sees_org,
)

EMPTY = {"items": [], "count": 0, "count_capped": False, "next_cursor": None}

pytestmark = pytest.mark.django_db

MEMBER_KEYS = [f"{b}m{i}" for b in BRANCHES for i in (1, 2)]


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_list_is_exactly_the_scope(client, cast, bearer, user_key):
    ids, counts = api_ids(client, "/api/v1/members", bearer(cast.user[user_key]))
    expected = {cast.member[k].pk for k in MEMBER_KEYS if sees_member(user_key, k)}
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert counts == {len(expected)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_org_filter_never_widens_the_scope(client, cast, bearer, user_key):
    """?org= an organisation outside the scope matches nothing (no count leaks)."""
    headers = bearer(cast.user[user_key])
    for org_key in ORG_KEYS:
        response = client.get("/api/v1/members", {"org": cast.org[org_key].pk}, **headers)
        assert response.status_code == 200
        in_subtree = [
            k
            for k in MEMBER_KEYS
            if org_key in ancestors_or_self(k.split("m")[0]) and sees_org(user_key, org_key)
        ]
        expected = {cast.member[k].pk for k in in_subtree if sees_member(user_key, k)}
        assert {i["id"] for i in response.json()["items"]} == expected
        assert response.json()["count"] == len(expected)


def test_outsider_and_handler_see_no_member(client, cast, bearer):
    assert not any(sees_members_of("handler", b) for b in BRANCHES)
    for user_key in ("outsider", "handler"):
        response = client.get("/api/v1/members", **bearer(cast.user[user_key]))
        assert response.json() == EMPTY


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_list_page_shows_exactly_the_visible_members(client, cast, user_key):
    login_verified(client, cast.user[user_key])
    ids, count = page_ids(client, reverse("members:list"), "member")
    want = {m.pk for k, m in cast.member.items() if sees_member(user_key, k)}
    assert ids == want
    assert count == len(want)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_list_page_org_filter_never_widens_scope(client, cast, user_key):
    login_verified(client, cast.user[user_key])
    for org_key in ORG_KEYS:
        org = cast.org[org_key]
        ids, count = page_ids(client, f"{reverse('members:list')}?org={org.pk}", "member")
        want = {
            m.pk
            for k, m in cast.member.items()
            if sees_member(user_key, k)
            and sees_org(user_key, org_key)
            and m.branch.path.startswith(org.path)
        }
        assert (ids, count) == (want, len(want)), org_key
