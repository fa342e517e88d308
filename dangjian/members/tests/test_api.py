"""Member endpoints: masking, filters, reveal (audited), writes, query counts."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member
from tests.kit import new_id_number

ITEM_FIELDS = {
    "id",
    "name",
    "gender",
    "gender_label",
    "ethnicity",
    "birth_date",
    "age",
    "id_number_masked",
    "phone_masked",
    "education",
    "education_label",
    "occupation",
    "joined_on",
    "full_member_on",
    "status",
    "status_label",
    "transferred_out_on",
    "transferred_out_to",
    "branch_id",
    "branch_name",
    "group_id",
    "group_name",
    "posts",
    "details_shown",
    "address_masked",
}
DETAIL_FIELDS = ITEM_FIELDS | {"can_change", "can_reveal"}


def _json(client, method, url, data, headers):
    return getattr(client, method)(url, data=data, content_type="application/json", **headers)


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


def test_list_is_paged_and_masked(client, cast, bearer):
    headers = bearer(cast.user["province_admin"])
    body = client.get("/api/v1/members", {"limit": 3}, **headers).json()
    assert set(body) == {"items", "count", "count_capped", "next_cursor"}
    assert body["count"] == 8 and body["count_capped"] is False
    assert len(body["items"]) == 3
    for item in body["items"]:
        assert set(item) == ITEM_FIELDS
        assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", item["id_number_masked"])
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", item["phone_masked"])
    raw = client.get("/api/v1/members", {"limit": 100}, **headers).content.decode()
    for member in cast.member.values():
        assert member.id_number not in raw
        assert member.phone not in raw


def test_item_values(client, cast, bearer):
    m = cast.member["B1m1"]
    body = client.get(f"/api/v1/members/{m.pk}", **bearer(cast.user["branch_admin"])).json()
    assert set(body) == DETAIL_FIELDS
    assert body["id_number_masked"] == m.id_number[:6] + "********" + m.id_number[-4:]
    assert body["phone_masked"] == m.phone[:3] + "****" + m.phone[-4:]
    assert (body["gender"], body["gender_label"]) == ("M", "男")
    assert (body["status"], body["status_label"]) == ("full", "正式党员")
    assert (body["education"], body["education_label"]) == ("bachelor", "大学本科")
    assert body["birth_date"] == "1980-06-01"
    assert body["age"] == m.age()
    assert (body["branch_id"], body["branch_name"]) == (cast.org["B1"].pk, "华山社区第一党支部")
    assert (body["group_id"], body["group_name"]) == (cast.org["G1"].pk, "第一党小组")
    assert (body["can_change"], body["can_reveal"]) == (True, True)


def test_a_member_transferred_out_says_when_and_where_and_cannot_be_patched_back(
    client, cast, bearer
):
    m = cast.member["B1m2"]
    admin = cast.user["branch_admin"]
    services.member_transfer_out(
        acting_user=admin, member=m, on=dt.date(2026, 1, 5), destination="贵州省某党支部", reason=""
    )
    body = client.get(f"/api/v1/members/{m.pk}", **bearer(admin)).json()
    assert (body["status"], body["status_label"]) == ("transferred_out", "已转出")
    assert (body["transferred_out_on"], body["transferred_out_to"]) == (
        "2026-01-05",
        "贵州省某党支部",
    )
    response = _json(client, "patch", f"/api/v1/members/{m.pk}", {"status": "full"}, bearer(admin))
    assert response.status_code == 422
    assert "status" in response.content.decode()
    assert Member.objects.get(pk=m.pk).status == "transferred_out"


def test_leader_sees_but_cannot_change_or_reveal(client, cast, bearer):
    m = cast.member["B1m1"]
    body = client.get(f"/api/v1/members/{m.pk}", **bearer(cast.user["county_leader"])).json()
    assert (body["can_change"], body["can_reveal"]) == (False, False)


def test_member_may_reveal_own_record_only(client, cast, bearer):
    headers = bearer(cast.user["member"])
    own = client.get(f"/api/v1/members/{cast.member['B1m1'].pk}", **headers).json()
    other = client.get(f"/api/v1/members/{cast.member['B1m2'].pk}", **headers).json()
    assert (own["can_change"], own["can_reveal"]) == (False, True)
    assert (other["can_change"], other["can_reveal"]) == (False, False)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "党员1"}, {"B1m1", "B2m1", "B3m1"}),
        ({"status": "full"}, {"B1m1", "B1m2", "B2m1", "B2m2", "B3m1", "B3m2"}),
        ({"status": "probationary"}, set()),
        ({"education": "high_school"}, {"B1m2", "B2m2", "B3m2"}),
        ({"gender": "F"}, {"B1m2", "B2m2", "B3m2"}),
        ({"ethnicity": "彝族"}, {"B1m2", "B2m2", "B3m2"}),
        ({"age_band": "36-45"}, {"B1m2", "B2m2", "B3m2"}),
        ({"age_band": "-35"}, set()),
        ({"org": "{T1}"}, {"B1m1", "B1m2", "B2m1", "B2m2"}),
        ({"org": "{B3}", "gender": "M"}, {"B3m1"}),
        ({"org": "{B4}"}, set()),  # outside the city admin's scope: nothing, not an error
    ],
)
def test_filters_narrow(client, cast, bearer, params, expected):
    params = {k: v.format(**{k2: o.pk for k2, o in cast.org.items()}) for k, v in params.items()}
    if "age_band" in params:  # the cast's ages move with the calendar: derive expectations
        band = params["age_band"]
        expected = {
            k
            for k, m in cast.member.items()
            if k[:2] in {"B1", "B2", "B3"} and _in_band(m.age(), band)
        }
    response = client.get("/api/v1/members", params, **bearer(cast.user["city_admin"]))
    assert _names(response) == {cast.member[k].name for k in expected}
    assert response.json()["count"] == len(expected)


def _in_band(age: int, band: str) -> bool:
    low, _, high = band.partition("-")
    return (not low or age >= int(low)) and (not high or age <= int(high))


def test_reveal_returns_real_values_and_is_audited(client, cast, bearer):
    m = cast.member["B2m2"]
    headers = bearer(cast.user["committee_admin"])
    before = AuditEntry.objects.count()
    response = client.post(f"/api/v1/members/{m.pk}/reveal", **headers)
    assert response.status_code == 200
    assert response.json() == {"id_number": m.id_number, "phone": m.phone, "address": ""}
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.actor) == (
        "member.reveal",
        str(m.pk),
        cast.user["committee_admin"],
    )
    assert entry.ip == "127.0.0.1"


def test_reveal_refused_is_not_audited(client, cast, bearer):
    headers = bearer(cast.user["county_leader"])
    before = AuditEntry.objects.count()
    response = client.post(f"/api/v1/members/{cast.member['B1m1'].pk}/reveal", **headers)
    assert response.status_code == 403
    assert AuditEntry.objects.count() == before


def _create_payload(cast, **overrides):
    payload = {
        "branch_id": cast.org["B1"].pk,
        "name": "王芳",
        "id_number": new_id_number(dt.date(1995, 8, 8), male=False),
        "phone": "+86 137-0000-2222",
        "ethnicity": "白族",
        "education": "college",
        "occupation": "教师",
        "joined_on": "2020-07-01",
        "status": "probationary",
        "group_id": cast.org["G1"].pk,
    }
    payload.update(overrides)
    return payload


def test_create_derives_sex_and_birth_from_id(client, cast, bearer):
    payload = _create_payload(cast)
    response = _json(client, "post", "/api/v1/members", payload, bearer(cast.user["branch_admin"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert (body["gender"], body["birth_date"]) == ("F", "1995-08-08")
    assert body["phone_masked"] == "137****2222"
    assert body["group_id"] == cast.org["G1"].pk
    member = Member.objects.get(pk=body["id"])
    assert (member.id_number, member.phone) == (payload["id_number"], "13700002222")
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id) == ("member.create", str(member.pk))
    assert payload["id_number"] not in str(entry.after)


def test_create_with_group_out_of_scope_is_field_error(client, cast, bearer):
    headers = bearer(cast.user["sibling_county_admin"])
    before = (Member.objects.count(), AuditEntry.objects.count())
    payload = _create_payload(cast, branch_id=cast.org["B3"].pk, group_id=cast.org["G1"].pk)
    response = _json(client, "post", "/api/v1/members", payload, headers)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "group_id"], "msg": "不存在或不在您的权限范围内", "type": "not_found"}
    ]
    assert (Member.objects.count(), AuditEntry.objects.count()) == before


def test_create_into_a_non_branch_is_field_error(client, cast, bearer):
    payload = _create_payload(cast, branch_id=cast.org["T1"].pk, group_id=None)
    response = _json(client, "post", "/api/v1/members", payload, bearer(cast.user["county_admin"]))
    assert response.status_code == 422
    assert {"loc": ["body", "branch_id"], "msg": "党员只能编入党支部", "type": "rule"} in (
        response.json()["detail"]
    )


def test_patch_changes_only_sent_fields(client, cast, bearer):
    m = cast.member["B1m1"]
    response = _json(
        client,
        "patch",
        f"/api/v1/members/{m.pk}",
        {"occupation": "社区工作者", "group_id": None},
        bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 200, response.content
    m2 = Member.objects.get(pk=m.pk)
    assert (m2.occupation, m2.group_id) == ("社区工作者", None)
    assert (m2.name, m2.phone, m2.id_number, m2.status) == (m.name, m.phone, m.id_number, m.status)
    assert AuditEntry.objects.latest("id").action == "member.update"


def test_patch_moves_to_another_branch(client, cast, bearer):
    m = cast.member["B1m1"]
    response = _json(
        client,
        "patch",
        f"/api/v1/members/{m.pk}",
        {"branch_id": cast.org["B2"].pk},
        bearer(cast.user["committee_admin"]),
    )
    assert response.status_code == 200, response.content
    assert (response.json()["branch_id"], response.json()["group_id"]) == (cast.org["B2"].pk, None)


def test_patch_branch_out_of_scope_is_field_error(client, cast, bearer):
    m = cast.member["B1m1"]
    headers = bearer(cast.user["county_admin"])
    before = (list(Member.objects.values_list("updated_at")), AuditEntry.objects.count())
    response = _json(
        client, "patch", f"/api/v1/members/{m.pk}", {"branch_id": cast.org["B3"].pk}, headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "branch_id"]
    assert (list(Member.objects.values_list("updated_at")), AuditEntry.objects.count()) == before


def _queries(client, url, headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("query", ["", "&org={T1}&gender=M", "&q=党员&status=full"])
def test_list_query_count_independent_of_page_size(
    client, cast, bearer, django_assert_max_num_queries, query
):
    query = query.format(T1=cast.org["T1"].pk)
    headers = bearer(cast.user["county_admin"])
    _queries(client, "/api/v1/members", headers)  # warm up (last_used_at of the token)
    one = _queries(client, f"/api/v1/members?limit=1{query}", headers)
    many = _queries(client, f"/api/v1/members?limit=100{query}", headers)
    assert one == many
    with django_assert_max_num_queries(
        7
    ):  # token, roles ×2 (member, org perms), (org), count, page, the page's posts
        client.get(f"/api/v1/members?limit=100{query}", **headers)


def test_fellow_members_see_names_groups_and_posts_only(client, cast, bearer):
    """Privacy between members: the member user (B1m1) sees B1m2's name, branch, group
    and posts, nothing else, in the list and the detail; their own record in full; and a
    filter on a detail finds only their own record."""
    from dangjian.orgs import services as orgs

    fellow = cast.member["B1m2"]
    orgs.position_assign(
        acting_user=cast.user["root"], org=cast.org["B1"], member=fellow, title="propaganda",
        started_on=dt.date(2024, 1, 1),
    )  # fmt: skip
    headers = bearer(cast.user["member"])
    items = client.get("/api/v1/members", {"limit": 100}, **headers).json()["items"]
    by_id = {item["id"]: item for item in items}
    other = by_id[fellow.pk]
    assert other["name"] == fellow.name and other["details_shown"] is False
    assert other["posts"] == ["华山社区第一党支部宣传委员"]
    assert all(other[f] is None for f in ("birth_date", "ethnicity", "id_number_masked", "status"))
    own = by_id[cast.member["B1m1"].pk]
    assert own["details_shown"] is True and own["birth_date"] == "1980-06-01"
    body = client.get(f"/api/v1/members/{fellow.pk}", **headers).json()
    assert body["details_shown"] is False and body["phone_masked"] is None
    gender = fellow.gender
    found = client.get("/api/v1/members", {"gender": gender}, **headers).json()["items"]
    assert fellow.pk not in {item["id"] for item in found}
