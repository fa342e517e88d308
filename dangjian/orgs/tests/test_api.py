"""Organisation endpoints: list shape, filters, detail fields, writes, query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Organisation

DETAIL_FIELDS = {
    "id",
    "name",
    "org_type",
    "org_type_label",
    "level",
    "level_label",
    "code",
    "founded_on",
    "dissolved_on",
    "dissolve_reason",
    "address",
    "contact_phone",
    "depth",
    "parent_id",
    "child_count",
    "member_count",
    "secretary",
    "can_change",
}


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _json(client, method, url, data, headers):
    return getattr(client, method)(url, data=data, content_type="application/json", **headers)


def test_list_is_paged(client, cast, bearer):
    headers = bearer(cast.user["root"])
    body = client.get("/api/v1/orgs", {"limit": 4, "offset": 2}, **headers).json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 13
    assert [i["name"] for i in body["items"]] == [
        "五华区委",
        "华山街道党委",
        "华山社区第一党支部",
        "第一党小组",
    ]
    assert len(client.get("/api/v1/orgs", **headers).json()["items"]) == 13  # default 20


def test_list_items(client, cast, bearer):
    body = client.get("/api/v1/orgs", {"limit": 1}, **bearer(cast.user["county_admin"])).json()
    assert body["items"] == [
        {
            "id": cast.org["K1"].pk,
            "name": "五华区委",
            "org_type": "county",
            "org_type_label": "县（市、区）委",
            "level": "county",
            "level_label": "县级",
            "code": "530102000000",
            "founded_on": "1990-01-01",
            "dissolved_on": None,
            "depth": 3,
            "parent_id": None,  # 昆明市委 is above the county admin
            "child_count": 1,
            "member_count": 4,
        }
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "华山"}, ["T1", "B1", "B2"]),
        ({"q": "530102100002"}, ["B2"]),
        ({"q": "  "}, ["K1", "T1", "B1", "G1", "B2"]),
        ({"org_type": "branch"}, ["B1", "B2"]),
        ({"org_type": "city"}, []),
        ({"q": "第一", "org_type": "group"}, ["G1"]),
        ({"active": "true"}, ["K1", "T1", "B1", "B2"]),
        ({"active": "false"}, ["G1"]),
    ],
)
def test_filters_narrow(client, cast, bearer, params, expected):
    admin = cast.user["county_admin"]
    services.org_dissolve(
        acting_user=admin, org=cast.org["G1"], dissolved_on=dt.date(2024, 1, 1), reason="合并"
    )
    response = client.get("/api/v1/orgs", params, **bearer(admin))
    assert _ids(response) == [cast.org[k].pk for k in expected]
    assert response.json()["count"] == len(expected)


def test_detail(client, cast, bearer):
    from dangjian.orgs.services import position_assign

    position_assign(
        acting_user=cast.user["root"],
        org=cast.org["B1"],
        member=cast.member["B1m2"],
        title="secretary",
        started_on=dt.date(2020, 1, 1),
    )
    body = client.get(
        f"/api/v1/orgs/{cast.org['B1'].pk}", **bearer(cast.user["county_admin"])
    ).json()
    assert set(body) == DETAIL_FIELDS
    assert body["parent_id"] == cast.org["T1"].pk
    assert body["child_count"] == 1
    assert body["member_count"] == 2
    assert body["secretary"] == {
        "member_id": cast.member["B1m2"].pk,
        "name": cast.member["B1m2"].name,
    }
    assert body["can_change"] is True
    assert (body["level"], body["level_label"]) == ("branch", "党支部")


def test_member_count_counts_current_statuses_of_the_subtree(client, cast, bearer):
    from dangjian.members.services import member_update

    member_update(acting_user=cast.user["root"], member=cast.member["B2m1"], status="deceased")
    body = client.get(f"/api/v1/orgs/{cast.org['T1'].pk}", **bearer(cast.user["root"])).json()
    assert body["member_count"] == 3


def test_parent_id_is_null_above_scope(client, cast, bearer):
    headers = bearer(cast.user["committee_admin"])
    assert client.get(f"/api/v1/orgs/{cast.org['T1'].pk}", **headers).json()["parent_id"] is None
    assert client.get(f"/api/v1/orgs/{cast.org['B1'].pk}", **headers).json()["parent_id"] == (
        cast.org["T1"].pk
    )
    root = client.get(f"/api/v1/orgs/{cast.org['P'].pk}", **bearer(cast.user["root"])).json()
    assert root["parent_id"] is None


def test_can_change_false_for_leader(client, cast, bearer):
    body = client.get(f"/api/v1/orgs/{cast.org['K1'].pk}", **bearer(cast.user["county_leader"]))
    assert body.json()["can_change"] is False


def test_children(client, cast, bearer):
    response = client.get(
        f"/api/v1/orgs/{cast.org['T1'].pk}/children", **bearer(cast.user["county_admin"])
    )
    assert _ids(response) == [cast.org["B1"].pk, cast.org["B2"].pk]
    assert response.json()["count"] == 2
    paged = client.get(
        f"/api/v1/orgs/{cast.org['T1'].pk}/children",
        {"limit": 1, "offset": 1},
        **bearer(cast.user["county_admin"]),
    )
    assert _ids(paged) == [cast.org["B2"].pk]


def test_create(client, cast, bearer):
    payload = {
        "parent_id": cast.org["T1"].pk,
        "name": "华山社区第三党支部",
        "org_type": "branch",
        "code": "530102100003",
        "founded_on": "2021-07-01",
        "address": "华山西路1号",
    }
    response = _json(client, "post", "/api/v1/orgs", payload, bearer(cast.user["county_admin"]))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert (body["parent_id"], body["name"], body["address"]) == (
        cast.org["T1"].pk,
        "华山社区第三党支部",
        "华山西路1号",
    )
    assert (body["member_count"], body["child_count"], body["depth"]) == (0, 0, 5)
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.ip) == ("org.create", str(body["id"]), "127.0.0.1")
    assert Organisation.objects.get(pk=body["id"]).path.startswith(cast.org["T1"].path)


def test_patch_changes_only_sent_fields(client, cast, bearer):
    org = cast.org["B2"]
    response = _json(
        client,
        "patch",
        f"/api/v1/orgs/{org.pk}",
        {"name": "华山社区第二党支部（新）", "contact_phone": "0871-1234567"},
        bearer(cast.user["committee_admin"]),
    )
    assert response.status_code == 200
    org.refresh_from_db()
    assert (org.name, org.contact_phone, org.code, org.org_type) == (
        "华山社区第二党支部（新）",
        "0871-1234567",
        "530102100002",
        "branch",
    )
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "org.update"
    assert entry.before["name"] == "华山社区第二党支部"


def test_move(client, cast, bearer):
    headers = bearer(cast.user["city_admin"])
    response = _json(
        client,
        "post",
        f"/api/v1/orgs/{cast.org['B2'].pk}/move",
        {"parent_id": cast.org["T2"].pk},
        headers,
    )
    assert response.status_code == 200
    assert response.json()["parent_id"] == cast.org["T2"].pk
    assert AuditEntry.objects.latest("id").action == "org.move"
    children = client.get(f"/api/v1/orgs/{cast.org['T2'].pk}/children", **headers)
    assert _ids(children) == [cast.org["B3"].pk, cast.org["B2"].pk]


def test_dissolve(client, cast, bearer):
    response = _json(
        client,
        "post",
        f"/api/v1/orgs/{cast.org['G1'].pk}/dissolve",
        {"dissolved_on": "2024-06-30", "reason": "党员人数调整，小组合并"},
        bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["dissolved_on"], body["dissolve_reason"]) == (
        "2024-06-30",
        "党员人数调整，小组合并",
    )
    assert AuditEntry.objects.latest("id").action == "org.dissolve"


def _queries(client, url, headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/api/v1/orgs", "/api/v1/orgs/{K1}/children"])
def test_list_query_count_independent_of_page_size(
    client, cast, bearer, django_assert_max_num_queries, url
):
    url = url.format(K1=cast.org["K1"].pk)
    headers = bearer(cast.user["county_admin"])
    _queries(client, url, headers)  # warm up (last_used_at of the token)
    one = _queries(client, f"{url}?limit=1", headers)
    many = _queries(client, f"{url}?limit=100", headers)
    assert one == many
    # token, roles, (parent org), count, page, rollups built?, member counts
    with django_assert_max_num_queries(7):
        client.get(f"{url}?limit=100", **headers)
