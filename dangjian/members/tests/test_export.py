"""The member roster export (党员名册): masked, watermarked, limited, audited, scoped."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.core.exports import MSG_TOO_MANY
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Role
from dangjian.members import services
from tests.kit import BRANCHES, USER_KEYS, USERS, sees_members_of

pytestmark = pytest.mark.django_db
MEMBER_KEYS = [f"{b}m{i}" for b in BRANCHES for i in (1, 2)]
EXPORT_ROLES = {Role.ADMIN, Role.LEADER}


def may_export(user_key: str) -> bool:
    return user_key == "root" or (user_key in USERS and USERS[user_key][0] in EXPORT_ROLES)


def expected_keys(user_key: str) -> set[str]:
    """The oracle: rows of the branches the user's (export-capable) role sees."""
    return {k for k in MEMBER_KEYS if sees_members_of(user_key, k.split("m")[0])}


def read_xlsx(response):
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    return sheet, rows, content


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return text, list(csv.reader(io.StringIO(text)))


def names_of(cast, keys):
    return sorted(cast.member[k].name for k in keys)


def test_xlsx_is_masked_and_watermarked(client, cast, login):
    login(cast.user["county_admin"])
    response = client.get(reverse("members:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    sheet, rows, content = read_xlsx(response)
    banner = rows[0][0]
    assert banner.startswith("导出人：county_admin · 导出时间：")
    assert banner.endswith(" · 仅限工作使用")
    assert "A1" in str(sheet.merged_cells)
    assert sheet.oddHeader.center.text == banner
    assert sheet.oddFooter.center.text.startswith(banner)
    header = rows[1]
    assert header[0] == "姓名" and "公民身份号码（脱敏）" in header
    body = rows[2:]
    assert sorted(r[0] for r in body) == names_of(cast, expected_keys("county_admin"))
    id_col, phone_col = header.index("公民身份号码（脱敏）"), header.index("手机号（脱敏）")
    members = [cast.member[k] for k in expected_keys("county_admin")]
    assert sorted(r[id_col] for r in body) == sorted(m.id_number_masked for m in members)
    assert sorted(r[phone_col] for r in body) == sorted(m.phone_masked for m in members)
    for member in members:
        assert member.id_number.encode() not in content
        assert member.phone.encode() not in content


def test_csv_has_a_watermark_line_and_masked_values(client, cast, login):
    login(cast.user["county_leader"])
    response = client.get(reverse("members:export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text, rows = read_csv(response)
    assert rows[0][0].startswith("# 导出人：county_leader · 导出时间：")
    assert "仅限工作使用" in rows[0][-1]
    assert rows[1][0] == "姓名"
    assert sorted(r[0] for r in rows[2:]) == names_of(cast, expected_keys("county_leader"))
    for key in expected_keys("county_leader"):
        assert cast.member[key].id_number not in text
        assert cast.member[key].phone not in text


def test_address_stays_masked(client, cast, login):
    member = cast.member["B1m1"]
    services.member_update(
        acting_user=cast.user["root"], member=member, address="云南省昆明市五华区华山南路100号"
    )
    login(cast.user["branch_admin"])
    text, _ = read_csv(client.get(reverse("members:export"), {"format": "csv"}))
    assert "华山南路100号" not in text
    assert "云南省昆明市" in text


def test_filters_apply(client, cast, login):
    login(cast.user["province_admin"])
    _, rows = read_csv(
        client.get(reverse("members:export"), {"format": "csv", "ethnicity": "彝族"})
    )
    expected = [k for k in MEMBER_KEYS if k.endswith("m2")]
    assert sorted(r[0] for r in rows[2:]) == names_of(cast, expected)
    _, rows = read_csv(
        client.get(reverse("members:export"), {"format": "csv", "org": cast.org["B3"].pk})
    )
    assert sorted(r[0] for r in rows[2:]) == names_of(cast, ["B3m1", "B3m2"])


def test_formula_injection_is_neutralised(client, cast, login):
    services.member_update(
        acting_user=cast.user["root"], member=cast.member["B1m1"], occupation="=HYPERLINK(1)"
    )
    login(cast.user["branch_admin"])
    _, rows, _ = read_xlsx(client.get(reverse("members:export")))
    column = rows[1].index("职业/岗位")
    assert "'=HYPERLINK(1)" in [r[column] for r in rows[2:]]
    _, rows = read_csv(client.get(reverse("members:export"), {"format": "csv"}))
    assert "'=HYPERLINK(1)" in [r[column] for r in rows[2:]]


def test_export_is_audited(client, cast, login):
    login(cast.user["county_admin"])
    before = AuditEntry.objects.count()
    client.get(reverse("members:export"), {"format": "csv", "status": "full"})
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "member.export"
    assert entry.actor == cast.user["county_admin"]
    assert entry.org_path == cast.org["K1"].path
    assert entry.after["rows"] == 4
    assert entry.after["format"] == "csv"
    assert entry.after["filters"] == {"status": "full"}
    assert entry.after["watermark"].startswith("导出人：county_admin")


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_page_export_is_exactly_the_scope(client, cast, login, user_key):
    login(cast.user[user_key])
    before = AuditEntry.objects.count()
    response = client.get(reverse("members:export"), {"format": "csv"})
    if not may_export(user_key):
        assert response.status_code == 403
        assert AuditEntry.objects.count() == before
        return
    assert response.status_code == 200
    _, rows = read_csv(response)
    assert sorted(r[0] for r in rows[2:]) == names_of(cast, expected_keys(user_key))


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_api_export_is_exactly_the_scope(client, cast, bearer, user_key):
    response = client.get(
        "/api/v1/members/export", {"format": "csv"}, **bearer(cast.user[user_key])
    )
    if not may_export(user_key):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    _, rows = read_csv(response)
    assert sorted(r[0] for r in rows[2:]) == names_of(cast, expected_keys(user_key))
    # ?org= outside the scope: 404 (as if it did not exist), never an empty file.
    outside = [k for k in ("P", "C1", "K2", "C2") if not sees_members_of(user_key, k)]
    for org_key in outside:
        response = client.get(
            "/api/v1/members/export", {"org": cast.org[org_key].pk}, **bearer(cast.user[user_key])
        )
        assert response.status_code == 404, (user_key, org_key)


def test_member_user_cannot_export_even_their_own_record(client, cast, login):
    login(cast.user["member"])
    assert client.get(reverse("members:export")).status_code == 403


@pytest.mark.parametrize(("limit", "refused"), [(4, False), (3, True)])
def test_limit_boundary(client, cast, login, bearer, settings, limit, refused):
    """county_admin sees 4 members: a limit of 4 exports, 3 refuses (and audits it)."""
    settings.EXPORT_MAX_ROWS = {**settings.EXPORT_MAX_ROWS, "county": limit}
    user = cast.user["county_admin"]
    login(user)
    before = AuditEntry.objects.count()
    page = client.get(reverse("members:export"), {"format": "csv", "q": ""}, follow=True)
    api = client.get("/api/v1/members/export", **bearer(user))
    message = MSG_TOO_MANY.format(count=4, limit=limit)
    if not refused:
        assert page.status_code == 200 and page["Content-Type"].startswith("text/csv")
        assert api.status_code == 200
        assert AuditEntry.objects.filter(action="member.export").count() >= 2
        return
    assert page.redirect_chain[-1][0].startswith(reverse("members:list"))
    assert message in page.content.decode()
    assert api.status_code == 422
    assert api.json() == {
        "detail": [{"loc": ["query"], "msg": message, "type": "export_too_large"}]
    }
    refusals = AuditEntry.objects.filter(action="member.export_refused")
    assert refusals.count() == 2
    assert refusals.latest("id").after["rows"] == 4
    assert not AuditEntry.objects.filter(action="member.export").exists()
    # the token issue for ``api`` is audited too
    assert AuditEntry.objects.count() == before + 3


def test_superuser_is_unlimited(client, cast, login, settings):
    settings.EXPORT_MAX_ROWS = dict.fromkeys(settings.EXPORT_MAX_ROWS, 0)
    login(cast.user["root"])
    response = client.get(reverse("members:export"), {"format": "csv"})
    assert response.status_code == 200


def _export_queries(client, user, login) -> int:
    login(user)
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("members:export"))
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(context)


def test_query_count_does_not_grow_with_rows(client, cast, login):
    """2 rows or 8 rows: the same handful of queries (rows are read in one chunked query)."""
    few = _export_queries(client, cast.user["branch_admin"], login)
    many = _export_queries(client, cast.user["province_admin"], login)
    assert many == few <= 20


def test_list_page_links_to_the_export_for_those_allowed(client, cast, login):
    login(cast.user["county_admin"])
    html = client.get(reverse("members:list"), {"status": "full"}).content.decode()
    assert f"{reverse('members:export')}?status=full" in html
    login(cast.user["member"])
    assert reverse("members:export") not in client.get(reverse("members:list")).content.decode()
