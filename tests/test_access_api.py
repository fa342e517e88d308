"""The API's access matrix: every user × every organisation / member × every endpoint.

Expected answers come from the oracle in ``dangjian.core.testing`` (derived from the tree
description, not from ``core.scope``): not visible → 404, visible without the right →
403, allowed → the success status (or 422 where the tree rules refuse the change). A
refused request must leave every row and the audit log exactly as they were.
"""

import datetime as dt

import pytest

from dangjian.core.models import AuditEntry
from dangjian.core.testing import (
    BRANCHES,
    ORG_KEYS,
    TREE,
    USER_KEYS,
    ancestors_or_self,
    changes_org,
    new_id_number,
    sees_member,
    sees_members_of,
    sees_org,
)
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation

MEMBER_KEYS = [f"{b}m{i}" for b in BRANCHES for i in (1, 2)]
ORG_CASES = [(u, o) for u in USER_KEYS for o in ORG_KEYS]
MEMBER_CASES = [(u, m) for u in USER_KEYS for m in MEMBER_KEYS]
BRANCH_CASES = [(u, b) for u in USER_KEYS for b in BRANCHES]
TYPE_OF = {key: org_type for key, _, _, org_type, _ in TREE}
CHILD_TYPE = {
    "province": "city",
    "city": "county",
    "county": "committee",
    "committee": "branch",
    "branch": "group",
    "group": "group",  # nothing may sit under a 党小组: refused with 422
}


def _parent(key: str) -> str | None:
    chain = ancestors_or_self(key)
    return chain[1] if len(chain) > 1 else None


def _state():
    """Everything a write could touch, to prove a refused request touched nothing."""
    return (
        list(Organisation.objects.order_by("pk").values_list()),
        list(Member.objects.order_by("pk").values_list("pk", "updated_at", "branch_id")),
        AuditEntry.objects.count(),
    )


def _access(user_key, org_key, *, write: bool) -> int | None:
    """404 / 403 from the oracle, or None when the request is allowed."""
    if not sees_org(user_key, org_key):
        return 404
    if write and not changes_org(user_key, org_key):
        return 403
    return None


def _post(client, url, data, headers):
    return client.post(url, data=data, content_type="application/json", **headers)


def _patch(client, url, data, headers):
    return client.patch(url, data=data, content_type="application/json", **headers)


def _check_write(response, refused: int | None, allowed: int, before, *, audited: int = 1):
    if refused is not None:
        assert response.status_code == refused, response.content
        assert _state() == before, "a refused request changed something"
        return
    assert response.status_code == allowed, response.content
    after = _state()
    if allowed >= 400:
        assert after == before, "a rejected write left something behind"
    else:
        assert after[2] == before[2] + audited, "a write must be audited exactly once"


# --- Organisations


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_detail(client, cast, bearer, user_key, org_key):
    org = cast.org[org_key]
    response = client.get(f"/api/v1/orgs/{org.pk}", **bearer(cast.user[user_key]))
    refused = _access(user_key, org_key, write=False)
    if refused:
        assert response.status_code == refused
        return
    assert response.status_code == 200
    body = response.json()
    parent_key = _parent(org_key)
    visible_parent = parent_key is not None and sees_org(user_key, parent_key)
    assert body["parent_id"] == (cast.org[parent_key].pk if visible_parent else None)
    assert body["can_change"] is changes_org(user_key, org_key)


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_children(client, cast, bearer, user_key, org_key):
    org = cast.org[org_key]
    response = client.get(f"/api/v1/orgs/{org.pk}/children", **bearer(cast.user[user_key]))
    refused = _access(user_key, org_key, write=False)
    if refused:
        assert response.status_code == refused
        return
    assert response.status_code == 200
    expected = {cast.org[k].pk for k in ORG_KEYS if _parent(k) == org_key}
    assert {item["id"] for item in response.json()["items"]} == expected
    assert response.json()["count"] == len(expected)


def _oracle_chain(a: str, b: str) -> list[str]:
    """Walk parents up from both ends until they meet (the cast has one root)."""
    up, down = ancestors_or_self(a), ancestors_or_self(b)
    meet = next(k for k in up if k in down)
    return up[: up.index(meet) + 1] + down[: down.index(meet)][::-1]


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_approval_chain(client, cast, bearer, user_key, org_key):
    """From ``org_key`` to every organisation: 404 unless the user sees both ends."""
    headers = bearer(cast.user[user_key])
    url = f"/api/v1/orgs/{cast.org[org_key].pk}/approval-chain"
    for target_key in ORG_KEYS:
        response = client.get(url, {"to": cast.org[target_key].pk}, **headers)
        if not (sees_org(user_key, org_key) and sees_org(user_key, target_key)):
            assert response.status_code == 404, (target_key, response.content)
            continue
        assert response.status_code == 200, (target_key, response.content)
        expected = [cast.org[k].pk for k in _oracle_chain(org_key, target_key)]
        assert response.json()["chain"] == expected
        assert all(item["visible"] for item in response.json()["orgs"])


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_update(client, cast, bearer, user_key, org_key):
    org = cast.org[org_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    response = _patch(client, f"/api/v1/orgs/{org.pk}", {"name": f"{org.name}（改）"}, headers)
    _check_write(response, _access(user_key, org_key, write=True), 200, before)
    if response.status_code == 200:
        assert Organisation.objects.get(pk=org.pk).name == f"{org.name}（改）"


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_move(client, cast, bearer, user_key, org_key):
    """Move under the current parent: allowed when the user may change both ends."""
    org = cast.org[org_key]
    parent_key = _parent(org_key)
    target = cast.org[parent_key or org_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    response = _post(client, f"/api/v1/orgs/{org.pk}/move", {"parent_id": target.pk}, headers)
    allowed = 200 if parent_key and changes_org(user_key, parent_key) else 422
    _check_write(response, _access(user_key, org_key, write=True), allowed, before)


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_dissolve(client, cast, bearer, user_key, org_key):
    """Only the 党小组 has neither active children nor members: the others answer 422."""
    org = cast.org[org_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    payload = {"dissolved_on": dt.date.today().isoformat(), "reason": "调整组织设置"}
    response = _post(client, f"/api/v1/orgs/{org.pk}/dissolve", payload, headers)
    allowed = 200 if org_key == "G1" else 422
    _check_write(response, _access(user_key, org_key, write=True), allowed, before)


@pytest.mark.parametrize(("user_key", "org_key"), ORG_CASES)
def test_org_create_child(client, cast, bearer, user_key, org_key):
    parent = cast.org[org_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    payload = {
        "parent_id": parent.pk,
        "name": "新建测试组织",
        "org_type": CHILD_TYPE[TYPE_OF[org_key]],
        "code": "TEST20260001",
        "founded_on": "2020-05-04",
    }
    response = _post(client, "/api/v1/orgs", payload, headers)
    allowed = 422 if org_key == "G1" else 201
    _check_write(response, _access(user_key, org_key, write=True), allowed, before)
    if response.status_code == 201:
        assert response.json()["parent_id"] == parent.pk


# --- Members


def _member_access(user_key, member_key, *, write: bool, reveal: bool = False) -> int | None:
    if not sees_member(user_key, member_key):
        return 404
    branch_key = member_key.split("m")[0]
    own = user_key == "member" and member_key == "B1m1"
    if reveal and not (own or changes_org(user_key, branch_key)):
        return 403
    if write and not changes_org(user_key, branch_key):
        return 403
    return None


@pytest.mark.parametrize(("user_key", "member_key"), MEMBER_CASES)
def test_member_detail(client, cast, bearer, user_key, member_key):
    member = cast.member[member_key]
    response = client.get(f"/api/v1/members/{member.pk}", **bearer(cast.user[user_key]))
    refused = _member_access(user_key, member_key, write=False)
    if refused:
        assert response.status_code == refused
        return
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == member.pk
    assert body["can_change"] is changes_org(user_key, member_key.split("m")[0])
    assert member.id_number not in response.content.decode()


@pytest.mark.parametrize(("user_key", "member_key"), MEMBER_CASES)
def test_member_update(client, cast, bearer, user_key, member_key):
    member = cast.member[member_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    response = _patch(client, f"/api/v1/members/{member.pk}", {"occupation": "社区网格员"}, headers)
    _check_write(response, _member_access(user_key, member_key, write=True), 200, before)
    if response.status_code == 200:
        assert Member.objects.get(pk=member.pk).occupation == "社区网格员"


@pytest.mark.parametrize(("user_key", "member_key"), MEMBER_CASES)
def test_member_reveal(client, cast, bearer, user_key, member_key):
    member = cast.member[member_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    response = client.post(f"/api/v1/members/{member.pk}/reveal", **headers)
    refused = _member_access(user_key, member_key, write=False, reveal=True)
    _check_write(response, refused, 200, before)
    if response.status_code == 200:
        assert response.json() == {
            "id_number": member.id_number,
            "phone": member.phone,
            "address": member.address,
        }
    else:
        assert member.id_number not in response.content.decode()


@pytest.mark.parametrize(("user_key", "branch_key"), BRANCH_CASES)
def test_member_create(client, cast, bearer, user_key, branch_key):
    branch = cast.org[branch_key]
    headers = bearer(cast.user[user_key])
    before = _state()
    payload = {
        "branch_id": branch.pk,
        "name": "新党员",
        "id_number": new_id_number(dt.date(1992, 2, 2)),
        "phone": "13700001111",
        "ethnicity": "汉族",
        "education": "bachelor",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "status": "full",
    }
    response = _post(client, "/api/v1/members", payload, headers)
    _check_write(response, _access(user_key, branch_key, write=True), 201, before)
    if response.status_code == 201:
        assert response.json()["branch_id"] == branch.pk


# --- Lists: exactly the oracle's rows, and a count that says no more


def _page_through(client, url, headers, limit=3):
    ids, offset, counts = [], 0, set()
    while True:
        response = client.get(url, {"limit": limit, "offset": offset}, **headers)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "count"}
        counts.add(body["count"])
        ids += [item["id"] for item in body["items"]]
        offset += limit
        if offset >= body["count"]:
            return ids, counts


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_org_list_is_exactly_the_scope(client, cast, bearer, user_key):
    ids, counts = _page_through(client, "/api/v1/orgs", bearer(cast.user[user_key]))
    expected = {cast.org[k].pk for k in ORG_KEYS if sees_org(user_key, k)}
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert counts == {len(expected)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_member_list_is_exactly_the_scope(client, cast, bearer, user_key):
    ids, counts = _page_through(client, "/api/v1/members", bearer(cast.user[user_key]))
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


def test_outsider_sees_nothing(client, cast, bearer):
    headers = bearer(cast.user["outsider"])
    assert client.get("/api/v1/orgs", **headers).json() == {"items": [], "count": 0}
    assert client.get("/api/v1/members", **headers).json() == {"items": [], "count": 0}
    assert client.get(f"/api/v1/orgs/{cast.org['P'].pk}", **headers).status_code == 404


def test_handler_sees_no_member_anywhere(client, cast, bearer):
    assert not any(sees_members_of("handler", b) for b in BRANCHES)
    response = client.get("/api/v1/members", **bearer(cast.user["handler"]))
    assert response.json() == {"items": [], "count": 0}


# --- Unauthenticated: 401 everywhere, before anything else is looked at

ENDPOINTS = [
    ("get", "/api/v1/auth/me"),
    ("post", "/api/v1/auth/token/revoke"),
    ("get", "/api/v1/orgs"),
    ("post", "/api/v1/orgs"),
    ("get", "/api/v1/orgs/{org}"),
    ("patch", "/api/v1/orgs/{org}"),
    ("get", "/api/v1/orgs/{org}/children"),
    ("get", "/api/v1/orgs/{org}/approval-chain?to={org}"),
    ("post", "/api/v1/orgs/{org}/move"),
    ("post", "/api/v1/orgs/{org}/dissolve"),
    ("get", "/api/v1/members"),
    ("post", "/api/v1/members"),
    ("get", "/api/v1/members/{member}"),
    ("patch", "/api/v1/members/{member}"),
    ("post", "/api/v1/members/{member}/reveal"),
    ("get", "/api/v1/members/export"),
    ("get", "/api/v1/members/{member}/photo"),
    ("post", "/api/v1/members/{member}/photo"),
    ("get", "/api/v1/inbox"),
    ("get", "/api/v1/inbox/unread"),
    ("post", "/api/v1/inbox/read"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("auth", [None, "Bearer dj_not-a-token", "Bearer ", "Basic cm9vdDpyb290"])
def test_unauthenticated_is_401(client, cast, method, url, auth):
    url = url.format(org=cast.org["B1"].pk, member=cast.member["B1m1"].pk)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    before = _state()
    response = getattr(client, method)(url, data={}, content_type="application/json", **headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或令牌无效"}
    assert _state() == before
