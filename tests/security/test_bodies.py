"""Hostile request bodies: oversized, wrong content types, deeply nested JSON, huge
integers, unicode oddities. Each is a clean 4xx (never a 500) and changes nothing.

(tests/test_api_errors.py covers malformed JSON, NUL characters and junk values field by
field; this file adds what is about the body as a whole.)
"""

import json
import unicodedata

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(cast, bearer):
    return bearer(cast.user["county_admin"])


def _state():
    return (
        list(Organisation.objects.order_by("pk").values_list("pk", "updated_at")),
        list(Member.objects.order_by("pk").values_list("pk", "updated_at")),
        AuditEntry.objects.count(),
    )


def _org_body(cast, **overrides):
    body = {
        "parent_id": cast.org["T1"].pk,
        "name": "第三党支部",
        "org_type": "branch",
        "code": "530102100009",
        "founded_on": "2021-07-01",
    }
    body.update(overrides)
    return body


def _post(client, url, raw, headers, content_type="application/json"):
    return client.post(url, data=raw, content_type=content_type, **headers)


def test_body_over_the_data_limit_is_413(client, cast, admin, settings):
    """Above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), below the hard cap: 413 from the API."""
    before = _state()
    raw = json.dumps(_org_body(cast, name="长" * 1_000_000))  # ≈ 3 MB of UTF-8
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(raw.encode()) < settings.MAX_REQUEST_BYTES
    response = _post(client, "/api/v1/orgs", raw, admin)
    assert response.status_code == 413
    assert response.json() == {"detail": "请求体过大"}
    assert _state() == before


def test_body_over_the_hard_cap_is_413_before_reading(client, cast, admin, settings):
    settings.MAX_REQUEST_BYTES = 100_000
    before = _state()
    response = _post(client, "/api/v1/orgs", json.dumps({"x": "y" * 200_000}), admin)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("请求过大")
    assert _state() == before


def test_page_post_over_the_limit_is_refused(client, cast, login):
    login(cast.user["county_admin"])
    before = _state()
    response = client.post(
        reverse("orgs:edit", args=[cast.org["B1"].pk]), {"name": "长" * 1_000_000}
    )
    assert response.status_code in (400, 413)
    assert _state() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "",
    ],
)
def test_wrong_content_types(client, cast, admin, content_type):
    before = _state()
    raw = json.dumps(_org_body(cast))
    if "xml" in content_type:
        raw = "<org><name>x</name></org>"
    response = _post(client, "/api/v1/orgs", raw, admin, content_type=content_type)
    # ninja reads JSON whatever the header says: a JSON body may succeed; anything else is 4xx.
    assert response.status_code in (201, 400, 415, 422), response.content
    if response.status_code != 201:
        assert _state() == before


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_deeply_nested_json(client, cast, admin, depth):
    before = _state()
    raw = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = _post(client, "/api/v1/orgs", raw, admin)
    assert response.status_code == 422, response.content[:200]
    raw = "[" * depth + "]" * depth
    response = _post(client, f"/api/v1/members/{cast.member['B1m1'].pk}", raw, admin)
    assert response.status_code in (405, 422)
    response = client.patch(
        f"/api/v1/members/{cast.member['B1m1'].pk}",
        data="{" * depth,
        content_type="application/json",
        **admin,
    )
    assert response.status_code == 422
    assert _state() == before


@pytest.mark.parametrize(
    "value",
    ["1" + "0" * 5000, "1e999999", "-" + "9" * 100, "1.5", "NaN", "Infinity", "2e63"],
)
def test_huge_and_odd_numbers(client, cast, admin, value):
    before = _state()
    raw = json.dumps(_org_body(cast)).replace(str(cast.org["T1"].pk), value, 1)
    response = _post(client, "/api/v1/orgs", raw, admin)
    assert response.status_code == 422, response.content[:300]
    assert _state() == before


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("\\ud800", True),  # lone surrogate: not storable as UTF-8
        ("\\udfff\\ud800", True),
        ("a\\u0000b", True),  # NUL
        ("\\u202egnp.exe", False),  # RTL override: a name refuses it (core.text), 422
        ("\\ufeff\\u200b", False),  # BOM, zero-width space: a blank name, 422
        ("\\ud83d\\ude00", False),  # a valid surrogate pair (emoji)
        ("e\\u0301", False),  # combining accent
    ],
)
def test_unicode_oddities(client, cast, admin, value, refused):
    before = _state()
    raw = json.dumps(_org_body(cast, name="PLACEHOLDER")).replace("PLACEHOLDER", value)
    response = _post(client, "/api/v1/orgs", raw, admin)
    if refused:
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"] == ["body"]
        assert _state() == before
    else:
        assert response.status_code in (201, 422), response.content
        if response.status_code == 201:
            stored = unicodedata.normalize("NFC", json.loads(f'"{value}"').strip())
            assert response.json()["name"] == stored  # names are NFC (core.text)


def test_invalid_utf8_in_query_and_body(client, cast, admin):
    response = client.get("/api/v1/members?q=%ED%A0%80%FF", **admin)
    assert response.status_code in (200, 422)
    before = _state()
    response = _post(client, "/api/v1/orgs", b'{"name": "\xed\xa0\x80"}', admin)
    assert response.status_code == 422
    assert _state() == before


def test_duplicate_keys_and_extra_fields(client, cast, admin):
    before = _state()
    raw = '{"name": "a", "name": "b", "__proto__": {"admin": true}}'
    response = client.patch(
        f"/api/v1/orgs/{cast.org['B1'].pk}", data=raw, content_type="application/json", **admin
    )
    assert response.status_code == 422  # __proto__ is an unknown field
    assert _state() == before
