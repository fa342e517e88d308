"""The access matrix of the pages: every user × every organisation / member × every page.

Expected results come from the oracle in dangjian.core.testing (derived from the tree
description by walking parents, not from core.scope): not visible → 404; visible but
no right to change → 403; allowed → 200. Lists and searches must show exactly the
oracle's set, and their counts must never include a row outside scope.
"""

import re

import pytest
from django.urls import reverse

from dangjian.core.testing import (
    ORG_KEYS,
    USER_KEYS,
    changes_org,
    login_verified,
    sees_member,
    sees_org,
)

pytestmark = pytest.mark.django_db

ORG_PAGES = {
    # page → (url name, needs the change right)
    "detail": ("orgs:detail", False),
    "children": ("orgs:children", False),
    "edit": ("orgs:edit", True),
    "create": ("orgs:create", True),
    "move": ("orgs:move", True),
    "dissolve": ("orgs:dissolve", True),
}


def expected(visible: bool, allowed: bool) -> int:
    if not visible:
        return 404
    return 200 if allowed else 403


def _run(client, cast, cases):
    """``cases``: (user key, label, method, url, expected status). Reports every mismatch."""
    wrong = []
    current = None
    for user_key, label, method, url, want in cases:
        if user_key != current:
            login_verified(client, cast.user[user_key])
            current = user_key
        response = getattr(client, method)(url)
        if response.status_code != want:
            wrong.append(f"{user_key} {label}: {response.status_code} != {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("page", list(ORG_PAGES))
def test_org_pages_matrix(client, cast, page):
    name, needs_change = ORG_PAGES[page]
    cases = []
    for user_key in USER_KEYS:
        for org_key in ORG_KEYS:
            allowed = changes_org(user_key, org_key) if needs_change else True
            want = expected(sees_org(user_key, org_key), allowed)
            url = reverse(name, args=[cast.org[org_key].pk])
            cases.append((user_key, f"{page} {org_key}", "get", url, want))
    _run(client, cast, cases)


def _member_branch(member_key: str) -> str:
    return member_key.split("m")[0]


MEMBER_PAGES = {
    "detail": ("members:detail", "get"),
    "edit": ("members:edit", "get"),
    "reveal": ("members:reveal", "post"),
}


def _may(page: str, user_key: str, member_key: str) -> bool:
    if page == "detail":
        return True
    if page == "reveal" and user_key == "member" and member_key == "B1m1":
        return True  # a member may see their own full ID number and phone
    return changes_org(user_key, _member_branch(member_key))


@pytest.mark.parametrize("page", list(MEMBER_PAGES))
def test_member_pages_matrix(client, cast, page):
    name, method = MEMBER_PAGES[page]
    cases = []
    for user_key in USER_KEYS:
        for member_key, member in cast.member.items():
            want = expected(sees_member(user_key, member_key), _may(page, user_key, member_key))
            url = reverse(name, args=[member.pk])
            cases.append((user_key, f"{page} {member_key}", method, url, want))
    _run(client, cast, cases)


def test_member_create_matrix(client, cast):
    """New member in a branch: org not visible → 404; visible, not admin → 403."""
    cases = []
    for user_key in USER_KEYS:
        for branch in ("B1", "B2", "B3", "B4"):
            want = expected(sees_org(user_key, branch), changes_org(user_key, branch))
            url = reverse("members:create", args=[cast.org[branch].pk])
            cases.append((user_key, f"create in {branch}", "get", url, want))
    _run(client, cast, cases)


def _listed(client, url, attr: str) -> tuple[set[int], int]:
    """Every row id shown over all pages (``data-<attr>="id"``), and the count shown."""
    ids: set[int] = set()
    page, count = 1, None
    while True:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}page={page}")
        assert response.status_code == 200
        html = response.content.decode()
        ids |= {int(x) for x in re.findall(rf'data-{attr}="(\d+)"', html)}
        page_obj = response.context["page_obj"]
        count = page_obj.paginator.count
        assert f"{count} " in html  # the count is on the page
        if not page_obj.has_next():
            return ids, count
        page += 1


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_list_shows_exactly_the_visible_members(client, cast, user_key):
    login_verified(client, cast.user[user_key])
    ids, count = _listed(client, reverse("members:list"), "member")
    want = {m.pk for k, m in cast.member.items() if sees_member(user_key, k)}
    assert ids == want
    assert count == len(want)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_list_org_filter_never_widens_scope(client, cast, user_key):
    login_verified(client, cast.user[user_key])
    for org_key in ORG_KEYS:
        org = cast.org[org_key]
        ids, count = _listed(client, f"{reverse('members:list')}?org={org.pk}", "member")
        want = {
            m.pk
            for k, m in cast.member.items()
            if sees_member(user_key, k)
            and sees_org(user_key, org_key)
            and m.branch.path.startswith(org.path)
        }
        assert (ids, count) == (want, len(want)), org_key


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_org_search_shows_exactly_the_visible_orgs(client, cast, user_key):
    login_verified(client, cast.user[user_key])
    ids, count = _listed(client, f"{reverse('orgs:search')}?q=", "org")
    want = {o.pk for k, o in cast.org.items() if sees_org(user_key, k)}
    assert ids == want
    assert count == len(want)
    # Searching for a name outside scope finds nothing (not even a count).
    ids, count = _listed(client, f"{reverse('orgs:search')}?q=曲靖", "org")
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
