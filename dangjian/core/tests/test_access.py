"""Warnings (预警) beyond the declared matrix (dangjian/core/tests/access.py): the lists
(API and page) show exactly the oracle's warnings (``tests.kit.sees_warnings``:
leaders and admins over the organisation), filters never widen them; field-level 422s;
resolving and assigning through the pages; the list's query count.
"""

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry, Warning
from dangjian.core.tests.access import KIND, warnings
from tests.kit import (
    ORG_KEYS,
    USER_KEYS,
    ancestors_or_self,
    login_verified,
    sees_warnings,
)


@pytest.fixture
def made(cast) -> dict[str, int]:
    """The matrix's warnings: one open warning per organisation."""
    return {obj.key: obj.pk for obj in warnings(SimpleNamespace(cast=cast))}


def _state():
    rows = Warning.objects.order_by("pk").values_list(
        "pk", "assignee_id", "resolved_at", "updated_at"
    )
    audited = AuditEntry.objects.filter(action__startswith="warning.").count()
    return list(rows), AuditEntry.objects.count(), audited


# --- API --------------------------------------------------------------------------------


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_list_is_exactly_the_scope(client, cast, bearer, made, user_key):
    response = client.get("/api/v1/warnings?limit=100", **bearer(cast.user[user_key]))
    assert response.status_code == 200
    want = {pk for key, pk in made.items() if sees_warnings(user_key, key)}
    assert {item["id"] for item in response.json()["items"]} == want
    assert response.json()["count"] == len(want)


@pytest.mark.parametrize("user_key", ["root", "county_admin", "county_leader", "member"])
def test_list_org_filter_never_widens(client, cast, bearer, made, user_key):
    headers = bearer(cast.user[user_key])
    for org_key in ORG_KEYS:
        url = f"/api/v1/warnings?limit=100&org={cast.org[org_key].pk}"
        got = {item["id"] for item in client.get(url, **headers).json()["items"]}
        want = {
            pk
            for key, pk in made.items()
            if sees_warnings(user_key, org_key) and org_key in ancestors_or_self(key)
        }
        assert got == want, org_key


def _detail_of(response) -> list[tuple[list, str]]:
    return [(e["loc"], e["msg"]) for e in response.json()["detail"]]


def test_write_errors_are_field_level_422s(client, cast, bearer, made):
    from dangjian.core import warnings

    headers = bearer(cast.user["committee_admin"])
    url = f"/api/v1/warnings/{made['B1']}"

    def post(action, body):
        return client.post(f"{url}/{action}", body, content_type="application/json", **headers)

    before = _state()
    cases = [
        ("resolve", {"resolution": "handled", "note": "  "}, ["body", "note"], warnings.MSG_NOTE),
        ("resolve", {"resolution": "auto", "note": "说明"}, ["body", "resolution"], None),
        ("resolve", {"resolution": "handled"}, ["body", "note"], "必填项"),
        ("assign", {"assignee_id": cast.user["member"].pk}, ["body", "assignee_id"], None),
        ("assign", {"assignee_id": cast.user["province_admin"].pk}, ["body", "assignee_id"], None),
        ("assign", {"assignee_id": 2**62}, ["body", "assignee_id"], warnings.MSG_ASSIGNEE),
    ]
    for action, body, loc, msg in cases:
        response = post(action, body)
        assert response.status_code == 422, (body, response.content)
        assert [d[0] for d in _detail_of(response)] == [loc], body
        if msg:
            assert _detail_of(response)[0][1] == msg
    assert _state() == before
    ok = post("resolve", {"resolution": "handled", "note": "已处理"})
    assert ok.status_code == 200 and ok.json()["resolution_label"] == "已处理"
    again = post("resolve", {"resolution": "handled", "note": "再次"})
    assert again.status_code == 422
    assert _detail_of(again) == [(["body"], warnings.MSG_RESOLVED)]


def test_list_filters(client, cast, bearer, made):
    from dangjian.core import warnings

    admin = cast.user["committee_admin"]
    headers = bearer(admin)
    warnings.warning_assign(
        acting_user=admin, warning=Warning.objects.get(pk=made["B1"]), assignee=admin
    )
    warnings.warning_resolve(
        acting_user=admin, warning=Warning.objects.get(pk=made["B2"]), resolution="dismissed",
        note="已合并",
    )  # fmt: skip

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/warnings?{query}", **headers)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    subtree = {made[k] for k in ("T1", "B1", "B2", "G1")}
    assert ids("") == subtree - {made["B2"]}  # open ones by default
    assert ids("state=resolved") == {made["B2"]}
    assert ids("state=all") == subtree
    assert ids("mine=true") == {made["B1"]}
    assert ids(f"kind={KIND}&state=all") == subtree
    today = timezone.localdate().isoformat()
    assert ids(f"raised_from={today}&raised_to={today}&state=all") == subtree
    assert ids("raised_to=2000-01-01") == set()
    for query, loc in [
        ("kind=nosuch.kind", ["query", "kind"]),
        ("state=half", ["query", "state"]),
        ("raised_from=2026-12-01&raised_to=2026-11-01", ["query", "raised_to"]),
        ("raised_from=yesterday", ["query", "raised_from"]),
    ]:
        response = client.get(f"/api/v1/warnings?{query}", **headers)
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == loc


def test_kinds_are_listed(client, cast, bearer):
    response = client.get("/api/v1/warnings/kinds", **bearer(cast.user["member"]))
    assert response.status_code == 200
    kinds = {k["name"]: k["label"] for k in response.json()}
    assert kinds[KIND] == "主题党日未按时开展"


# --- Pages ------------------------------------------------------------------------------


def _listed(client, url) -> tuple[set[int], int]:
    ids: set[int] = set()
    page = 1
    while True:
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}page={page}")
        assert response.status_code == 200
        html = response.content.decode()
        ids |= {int(x) for x in re.findall(r'<li data-warning="(\d+)"', html)}
        page_obj = response.context["page_obj"]
        assert f"共 {page_obj.paginator.count} 条预警" in html
        if not page_obj.has_next():
            return ids, page_obj.paginator.count
        page += 1


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_list_page_shows_exactly_the_visible(client, cast, made, user_key):
    login_verified(client, cast.user[user_key])
    want = {pk for key, pk in made.items() if sees_warnings(user_key, key)}
    if not want:  # members and the like: told that warnings are for leaders and admins
        html = client.get(reverse("warnings")).content.decode()
        assert "data-warning" not in html and "仅向所辖组织的负责人和管理员显示" in html
        return
    assert _listed(client, reverse("warnings")) == (want, len(want))


def test_resolve_and_assign_through_the_pages(client, cast, made):
    admin = cast.user["committee_admin"]
    login_verified(client, admin)
    url = reverse("warning_detail", args=[made["B1"]])
    html = client.get(url).content.decode()
    assert "处理预警" in html and "指派责任人" in html
    response = client.post(
        reverse("warning_assign", args=[made["B1"]]), {"assignee": cast.user["branch_admin"].pk}
    )
    assert response.status_code == 302 and response.url == url
    response = client.post(reverse("warning_resolve", args=[made["B1"]]), {"resolution": "handled"})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    response = client.post(
        reverse("warning_resolve", args=[made["B1"]]),
        {"resolution": "handled", "note": "已督促支部于25日开展"},
        follow=True,
    )
    html = response.content.decode()
    assert "预警已处理" in html  # the success message
    assert 'data-state="resolved"' in html and "已督促支部于25日开展" in html
    assert "提交处理结果" not in html  # closed: no more forms
    warning = Warning.objects.get(pk=made["B1"])
    assert (warning.resolution, warning.assignee, warning.resolved_by) == (
        "handled",
        cast.user["branch_admin"],
        admin,
    )


def test_leader_sees_the_page_without_the_forms(client, cast, made):
    login_verified(client, cast.user["county_leader"])
    html = client.get(reverse("warning_detail", args=[made["B1"]])).content.decode()
    assert 'data-state="open"' in html and "提交处理结果" not in html


def test_pages_keep_elder_mode(client, cast, made):
    login_verified(client, cast.user["committee_admin"])
    client.cookies["elder"] = "1"
    for url in (reverse("warnings"), reverse("warning_detail", args=[made["B1"]])):
        html = client.get(url).content.decode()
        assert '<html lang="zh-Hans" class="elder">' in html
        assert "标准模式" in html


def _queries(client, url, **headers) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_the_rows(client, cast, bearer, made):
    from dangjian.core import warnings

    admin = cast.user["province_admin"]
    headers = bearer(admin)
    for pk in made.values():  # every row with an assignee to show
        warnings.warning_assign(
            acting_user=admin, warning=Warning.objects.get(pk=pk), assignee=admin
        )
    _queries(client, "/api/v1/warnings", **headers)  # warm up (the token's last use)
    assert _queries(client, "/api/v1/warnings?limit=1", **headers) == _queries(
        client, "/api/v1/warnings?limit=100", **headers
    )
    login_verified(client, admin)
    _queries(client, reverse("warnings"))  # warm up (the session's first use)
    one = _queries(client, f"{reverse('warnings')}?org={cast.org['B4'].pk}")  # 1 row
    assert _queries(client, f"{reverse('warnings')}?org={cast.org['P'].pk}") == one  # 13
