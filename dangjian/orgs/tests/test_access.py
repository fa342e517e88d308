"""Organisations beyond the declared matrix (dangjian/orgs/tests/access.py): lists,
searches and the tree show exactly the oracle's organisations, with counts that say no
more; the approval chain between every pair answers 404 unless both ends are visible."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.access.lists import api_ids, page_ids
from tests.kit import ORG_KEYS, USER_KEYS, ancestors_or_self, login_verified, sees_org

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_org_list_is_exactly_the_scope(client, cast, bearer, user_key):
    ids, counts = api_ids(client, "/api/v1/orgs", bearer(cast.user[user_key]))
    expected = {cast.org[k].pk for k in ORG_KEYS if sees_org(user_key, k)}
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert counts == {len(expected)}


def _oracle_chain(a: str, b: str) -> list[str]:
    """Walk parents up from both ends until they meet (the cast has one root)."""
    up, down = ancestors_or_self(a), ancestors_or_self(b)
    meet = next(k for k in up if k in down)
    return up[: up.index(meet) + 1] + down[: down.index(meet)][::-1]


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_approval_chain_between_every_pair(client, cast, bearer, user_key):
    headers = bearer(cast.user[user_key])
    wrong = []
    for org_key in ORG_KEYS:
        url = f"/api/v1/orgs/{cast.org[org_key].pk}/approval-chain"
        for target_key in ORG_KEYS:
            response = client.get(url, {"to": cast.org[target_key].pk}, **headers)
            if not (sees_org(user_key, org_key) and sees_org(user_key, target_key)):
                if response.status_code != 404:
                    wrong.append(f"{org_key}→{target_key}: {response.status_code} != 404")
                continue
            expected = [cast.org[k].pk for k in _oracle_chain(org_key, target_key)]
            body = response.json()
            if response.status_code != 200 or body["chain"] != expected:
                wrong.append(f"{org_key}→{target_key}: {response.status_code} {body}")
            elif not all(item["visible"] for item in body["orgs"]):
                wrong.append(f"{org_key}→{target_key}: an invisible organisation on the way")
    assert not wrong, "\n".join(wrong)


def test_outsider_sees_nothing(client, cast, bearer):
    headers = bearer(cast.user["outsider"])
    assert client.get("/api/v1/orgs", **headers).json() == {"items": [], "count": 0}
    assert client.get(f"/api/v1/orgs/{cast.org['P'].pk}", **headers).status_code == 404


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_org_search_shows_exactly_the_visible_orgs(client, cast, user_key):
    login_verified(client, cast.user[user_key])
    ids, count = page_ids(client, f"{reverse('orgs:search')}?q=", "org")
    want = {o.pk for k, o in cast.org.items() if sees_org(user_key, k)}
    assert ids == want
    assert count == len(want)
    # Searching for a name outside scope finds nothing (not even a count).
    ids, count = page_ids(client, f"{reverse('orgs:search')}?q=曲靖", "org")
    assert ids == {o.pk for k, o in cast.org.items() if k == "C2" and sees_org(user_key, k)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_tree_shows_only_visible_orgs(client, cast, user_key):
    """The tree page and every expandable node show visible organisations only."""
    login_verified(client, cast.user[user_key])
    html = client.get(reverse("orgs:tree")).content.decode()
    shown = {int(x) for x in re.findall(r'data-org="(\d+)"', html)}
    frontier = list(shown)
    while frontier:
        pk = frontier.pop()
        response = client.get(reverse("orgs:children", args=[pk]), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        found = {int(x) for x in re.findall(r'data-org="(\d+)"', response.content.decode())}
        frontier += found - shown
        shown |= found
    assert shown == {o.pk for k, o in cast.org.items() if sees_org(user_key, k)}


def test_a_post_is_ended_only_through_its_own_organisation(client, cast, login):
    """A position id under another organisation's URL is not found, even for its admin."""
    from dangjian.orgs import services

    position = services.position_assign(
        acting_user=cast.user["root"],
        org=cast.org["B1"],
        member=cast.member["B1m1"],
        title="secretary",
        started_on=dt.date(2020, 1, 1),
    )
    login(cast.user["committee_admin"])
    wrong = reverse("orgs:position_end", args=[cast.org["B2"].pk, position.pk])
    assert client.post(wrong, {"ended_on": "2021-01-01"}).status_code == 404
    position.refresh_from_db()
    assert position.ended_on is None
