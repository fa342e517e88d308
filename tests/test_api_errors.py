"""The API's error format: field-level 422 in Chinese, never a 500, nothing half-written.

Decision on paging: ``limit`` above NINJA_PAGINATION_MAX_LIMIT (100) is refused with a
422 on ``["query", "limit"]`` (not silently capped), and so is a negative ``offset``.
"""

import datetime as dt

import pytest

from dangjian.core import idcard
from dangjian.core.models import AuditEntry
from dangjian.core.phone import MSG_PHONE
from dangjian.members import rules as member_rules
from dangjian.members.models import Member
from dangjian.orgs import rules as org_rules
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organisation
from tests.kit import new_id_number


@pytest.fixture
def admin(client, cast, bearer):
    """A county admin's headers; the state snapshot is taken after the token is issued."""
    return bearer(cast.user["county_admin"])


def _state():
    return (
        Organisation.objects.count(),
        Member.objects.count(),
        AuditEntry.objects.count(),
        list(Organisation.objects.order_by("pk").values_list("updated_at", flat=True)),
        list(Member.objects.order_by("pk").values_list("updated_at", flat=True)),
    )


def _errors(response) -> dict[tuple, str]:
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for error in detail:
        assert set(error) == {"loc", "msg", "type"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["msg"]), error  # Chinese
    return {tuple(e["loc"]): e["msg"] for e in detail}


def _post(client, url, data, headers):
    return client.post(url, data=data, content_type="application/json", **headers)


def _org_payload(cast, **overrides):
    payload = {
        "parent_id": cast.org["T1"].pk,
        "name": "华山社区第三党支部",
        "org_type": "branch",
        "code": "530102100003",
        "founded_on": "2021-07-01",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _member_payload(cast, **overrides):
    payload = {
        "branch_id": cast.org["B1"].pk,
        "name": "李明",
        "id_number": new_id_number(dt.date(1990, 1, 15)),
        "phone": "13800001234",
        "ethnicity": "汉族",
        "education": "bachelor",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "status": "full",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


# --- Refused input: each case is a field-level 422 and nothing changes


def test_missing_fields(client, cast, admin):
    before = _state()
    errors = _errors(_post(client, "/api/v1/orgs", {}, admin))
    for field in ("parent_id", "name", "org_type", "code", "founded_on"):
        assert errors[("body", field)] == "必填项"
    errors = _errors(_post(client, "/api/v1/members", {}, admin))
    for field in ("branch_id", "name", "id_number", "ethnicity", "education", "joined_on"):
        assert errors[("body", field)] == "必填项"
    assert _state() == before


def test_empty_body_is_missing_fields(client, cast, admin):
    response = client.post("/api/v1/orgs", content_type="application/json", **admin)
    assert _errors(response)[("body", "name")] == "必填项"


def test_wrong_types(client, cast, admin):
    before = _state()
    payload = _org_payload(cast, parent_id="abc", name=123, founded_on=20200101)
    errors = _errors(_post(client, "/api/v1/orgs", payload, admin))
    assert errors[("body", "parent_id")] == "应为整数"
    assert errors[("body", "name")] == "应为文本"
    assert ("body", "founded_on") in errors
    assert _state() == before


def test_bad_choice(client, cast, admin):
    errors = _errors(_post(client, "/api/v1/orgs", _org_payload(cast, org_type="club"), admin))
    assert errors[("body", "org_type")].startswith("取值无效，可选：province、city")


@pytest.mark.parametrize(
    "bad", ["2021/07/01", "01-07-2021", "2021-02-30", "昨天", "2021-07-01T10:00"]
)
def test_bad_date_format(client, cast, admin, bad):
    before = _state()
    errors = _errors(_post(client, "/api/v1/orgs", _org_payload(cast, founded_on=bad), admin))
    assert errors[("body", "founded_on")] == "日期格式应为 YYYY-MM-DD"
    assert _state() == before


@pytest.mark.parametrize("body", ["{bad json", '{"name": ', "\xff\xfe", "null\x00"])
def test_malformed_json(client, cast, admin, body):
    before = _state()
    response = client.post("/api/v1/orgs", data=body, content_type="application/json", **admin)
    assert _errors(response) == {("body",): "请求体不是有效的 JSON"}
    assert _state() == before


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3"])
def test_body_not_an_object(client, cast, admin, body):
    response = client.post("/api/v1/orgs", data=body, content_type="application/json", **admin)
    assert _errors(response) == {("body",): "请求体应为 JSON 对象"}


def test_nul_character_refused(client, cast, admin):
    before = _state()
    response = _post(client, "/api/v1/orgs", _org_payload(cast, name="党支部\x00"), admin)
    assert _errors(response) == {("body",): "文本中不能包含空字符（NUL）"}
    assert _state() == before


def test_nul_character_in_query_refused(client, cast, admin):
    response = client.get("/api/v1/members", {"q": "党员\x00"}, **admin)
    assert _errors(response) == {("query", "q"): "文本中不能包含空字符（NUL）"}


def test_unknown_field_refused(client, cast, admin):
    """A misspelt PATCH field must not silently change nothing."""
    response = client.patch(
        f"/api/v1/orgs/{cast.org['B1'].pk}",
        data={"nmae": "新名称"},
        content_type="application/json",
        **admin,
    )
    assert _errors(response) == {("body", "nmae"): "不允许的字段"}


def test_patch_null_refused_for_required_field(client, cast, admin):
    before = _state()
    response = client.patch(
        f"/api/v1/orgs/{cast.org['B1'].pk}",
        data={"name": None},
        content_type="application/json",
        **admin,
    )
    assert _errors(response) == {("body", "name"): "应为文本"}
    assert _state() == before


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("530102850314123", idcard.MSG_LEGACY),
        ("530102198503141230", idcard.MSG_CHECK),  # check digit should not be 0
        ("53010219850314", idcard.MSG_LENGTH),
        ("530102199002301231", idcard.MSG_DATE),
    ],
)
def test_bad_id_number(client, cast, admin, id_number, message):
    if message == idcard.MSG_CHECK:
        good = idcard.build("530102", dt.date(1985, 3, 14), 123)
        id_number = good[:17] + ("0" if good[17] != "0" else "1")
    before = _state()
    response = _post(client, "/api/v1/members", _member_payload(cast, id_number=id_number), admin)
    assert _errors(response)[("body", "id_number")] == message
    assert _state() == before


@pytest.mark.parametrize("phone", ["12345", "23800001234", "138000012345", "电话"])
def test_bad_phone(client, cast, admin, phone):
    before = _state()
    response = _post(client, "/api/v1/members", _member_payload(cast, phone=phone), admin)
    assert _errors(response) == {("body", "phone"): MSG_PHONE}
    assert _state() == before


def test_several_rule_errors_at_once(client, cast, admin):
    payload = _member_payload(cast, phone="123", status="probationary")
    errors = _errors(_post(client, "/api/v1/members", payload, admin))
    assert errors[("body", "phone")] == MSG_PHONE
    assert errors[("body", "full_member_on")] == member_rules.MSG_PROBATION_HAS_FULL


def test_duplicate_id_number(client, cast, admin):
    taken = cast.member["B2m1"].id_number
    before = _state()
    response = _post(client, "/api/v1/members", _member_payload(cast, id_number=taken), admin)
    assert _errors(response)[("body", "id_number")] == "该公民身份号码已登记，同一人不能重复登记"
    assert _state() == before


def test_duplicate_org_code(client, cast, admin):
    before = _state()
    payload = _org_payload(cast, code=cast.org["B1"].code)
    response = _post(client, "/api/v1/orgs", payload, admin)
    assert _errors(response) == {("body", "code"): org_services.MSG_CODE_TAKEN}
    assert _state() == before
    patch = client.patch(
        f"/api/v1/orgs/{cast.org['B2'].pk}",
        data={"code": cast.org["B1"].code},
        content_type="application/json",
        **admin,
    )
    assert _errors(patch) == {("body", "code"): org_services.MSG_CODE_TAKEN}
    assert _state() == before


def test_wrong_parent_type(client, cast, admin):
    before = _state()
    payload = _org_payload(cast, parent_id=cast.org["B1"].pk, org_type="branch")
    response = _post(client, "/api/v1/orgs", payload, admin)
    expected = org_rules.MSG_BAD_PARENT.format(child="党支部", parent="党支部")
    assert _errors(response) == {("body", "org_type"): expected}
    assert _state() == before


def test_move_under_a_group_names_parent_id(client, cast, admin):
    before = _state()
    response = _post(
        client, f"/api/v1/orgs/{cast.org['B2'].pk}/move", {"parent_id": cast.org["G1"].pk}, admin
    )
    assert ("body", "parent_id") in _errors(response)
    assert _state() == before


def test_move_under_out_of_scope_parent_is_a_field_error(client, cast, admin):
    """The target lies outside the caller's scope: 422 on parent_id, nothing said about it."""
    before = _state()
    response = _post(
        client, f"/api/v1/orgs/{cast.org['B2'].pk}/move", {"parent_id": cast.org["T2"].pk}, admin
    )
    assert _errors(response) == {("body", "parent_id"): "不存在或不在您的权限范围内"}
    assert _state() == before


def test_dissolve_rules(client, cast, admin):
    before = _state()
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = _post(
        client,
        f"/api/v1/orgs/{cast.org['G1'].pk}/dissolve",
        {"dissolved_on": future, "reason": " "},
        admin,
    )
    errors = _errors(response)
    assert errors[("body", "dissolved_on")] == org_services.MSG_DISSOLVE_FUTURE
    assert errors[("body", "reason")] == org_services.MSG_REASON_REQUIRED
    response = _post(
        client,
        f"/api/v1/orgs/{cast.org['B1'].pk}/dissolve",
        {"dissolved_on": "2024-01-01", "reason": "合并"},
        admin,
    )
    assert _errors(response) == {("body",): org_services.MSG_DISSOLVE_CHILDREN.format(n=1)}
    assert _state() == before


def test_group_outside_branch(client, cast, admin):
    before = _state()
    payload = _member_payload(cast, branch_id=cast.org["B2"].pk, group_id=cast.org["G1"].pk)
    response = _post(client, "/api/v1/members", payload, admin)
    assert _errors(response) == {("body", "group_id"): "党小组应属于所选党支部"}
    assert _state() == before


# --- Paging parameters


def test_limit_above_max_is_422(client, cast, admin):
    errors = _errors(client.get("/api/v1/orgs", {"limit": 101}, **admin))
    assert errors == {("query", "limit"): "不能大于100"}
    assert client.get("/api/v1/orgs", {"limit": 100}, **admin).status_code == 200


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"offset": -1}, ("query", "offset")),
        ({"limit": 0}, ("query", "limit")),
        ({"limit": "abc"}, ("query", "limit")),
        ({"active": "maybe"}, ("query", "active")),
        ({"org_type": "club"}, ("query", "org_type")),
    ],
)
def test_bad_paging_or_filter(client, cast, admin, params, loc):
    assert loc in _errors(client.get("/api/v1/orgs", params, **admin))


def test_offset_past_the_end_is_empty(client, cast, admin):
    body = client.get("/api/v1/orgs", {"offset": 1000}, **admin).json()
    assert body == {"items": [], "count": 5}  # K1, T1, B1, G1, B2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"education": "phd"}, "education"),
        ({"gender": "X"}, "gender"),
        ({"ethnicity": "火星族"}, "ethnicity"),
        ({"age_band": "18-20"}, "age_band"),
        ({"org": "abc"}, "org"),
        ({"org": "99999999999999999999999"}, "org"),
    ],
)
def test_bad_member_filter_is_422(client, cast, admin, params, field):
    assert ("query", field) in _errors(client.get("/api/v1/members", params, **admin))


# --- Never a 500


JUNK_URLS = [
    "/api/v1/orgs/abc",
    "/api/v1/orgs/0",
    "/api/v1/orgs/-1",
    "/api/v1/orgs/1.5",
    "/api/v1/orgs/99999999999999999999999999",
    "/api/v1/orgs/9223372036854775807",
    "/api/v1/orgs/abc/children",
    "/api/v1/members/abc",
    "/api/v1/members/99999999999999999999999999",
    "/api/v1/members/9223372036854775807",
    "/api/v1/orgs?q=%00",
    "/api/v1/orgs?q=" + "长" * 5000,
    "/api/v1/members?q=%25_%5C",
    "/api/v1/members?org=9223372036854775807",
    "/api/v1/orgs?limit=99999999999999999999999",
    "/api/v1/orgs?offset=99999999999999999999999",
    "/api/v1/orgs?offset=9223372036854775807",
    "/api/v1/orgs?offset=2147483647&limit=100",
]


@pytest.mark.parametrize("url", JUNK_URLS)
def test_junk_urls_never_500(client, cast, admin, url):
    response = client.get(url, **admin)
    assert response.status_code in {200, 404, 422}, response.content
    assert "detail" in response.json() or "items" in response.json()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/orgs", {"parent_id": 10**30}),
        (
            "post",
            "/api/v1/orgs",
            {
                "parent_id": 2**63 - 1,
                "name": "x",
                "org_type": "branch",
                "code": "ABCDEF",
                "founded_on": "2020-01-01",
            },
        ),
        ("post", "/api/v1/members", {"branch_id": -5}),
        ("post", "/api/v1/orgs/{B1}/move", {"parent_id": "x"}),
        ("post", "/api/v1/orgs/{B1}/move", {"parent_id": 2**63 - 1}),
        ("post", "/api/v1/orgs/{B1}/dissolve", {"dissolved_on": "0000-00-00", "reason": 1}),
        ("patch", "/api/v1/orgs/{B1}", {"founded_on": "9999-12-31"}),
        ("patch", "/api/v1/orgs/{B1}", {"code": "x" * 500}),
        ("patch", "/api/v1/members/{m}", {"group_id": 2**63 - 1}),
        ("patch", "/api/v1/members/{m}", {"branch_id": 2**63 - 1}),
        ("patch", "/api/v1/members/{m}", {"id_number": None}),
        ("patch", "/api/v1/members/{m}", {"name": "张" * 500}),
        ("patch", "/api/v1/members/{m}", {"joined_on": "1900-01-01"}),
        ("patch", "/api/v1/members/{m}", []),
        ("patch", "/api/v1/members/{m}", "string"),
    ],
)
def test_junk_bodies_never_500(client, cast, admin, method, url, body):
    url = url.format(B1=cast.org["B1"].pk, m=cast.member["B1m1"].pk)
    before = _state()
    response = getattr(client, method)(url, data=body, content_type="application/json", **admin)
    assert response.status_code in {404, 422}, response.content
    assert _state() == before


def test_success_is_audited_once_and_failure_not_at_all(client, cast, admin):
    before = AuditEntry.objects.count()
    assert _post(client, "/api/v1/orgs", _org_payload(cast), admin).status_code == 201
    assert AuditEntry.objects.count() == before + 1
    assert _post(client, "/api/v1/orgs", _org_payload(cast), admin).status_code == 422
    assert AuditEntry.objects.count() == before + 1


@pytest.mark.parametrize("host", ["", "evil.example"])
def test_a_request_for_another_host_is_refused_with_400_in_json(client, cast, admin, host):
    """A Host header outside ALLOWED_HOSTS is refused before any operation runs, on every
    operation alike (what the fuzzer met when it sent a Host header of its own)."""
    response = client.get("/api/v1/consult/kb/export", HTTP_HOST=host, **admin)
    assert response.status_code == 400
    assert response.json() == {"detail": "请求无效，无法解析"}
