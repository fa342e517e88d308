"""SQL injection and XSS payloads in every text input: never a 500, never a stray change.

API inputs come from the OpenAPI schema (every query parameter of every operation and
every string property of every JSON body), so a new field is attacked too. Pages: the
member and organisation searches and filters, and the create/edit forms. JSON answers
carry a payload back as data; HTML pages show it escaped.
"""

import datetime as dt
import itertools

import pytest
from django.apps import apps
from django.db.models import Q
from django.urls import reverse
from django.utils.html import escape

from dangjian.core import idcard
from dangjian.core.models import AuditEntry
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation
from tests.security.apischema import call, is_string, minimal_body, operations

SQLI = [
    "' OR '1'='1",
    "'; DROP TABLE members_member; --",
    "1 UNION SELECT password, username FROM accounts_user --",
    "%' AND 1=CAST((SELECT username FROM accounts_user LIMIT 1) AS INT) --",
    "\\'; SELECT pg_sleep(5); --",
]
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(document.cookie)>',
    "javascript:alert(1)//</title><svg onload=alert(1)>",
]
PAYLOADS = SQLI + XSS
_ids = itertools.count()


def new_id_number() -> str:
    """A fresh valid ID number (this module sends many: the cast's own sequence is short)."""
    n = next(_ids)
    return idcard.build("530102", dt.date(1979, 1, 1) + dt.timedelta(days=n // 800), 100 + n % 800)


def _schema():
    import django

    django.setup()
    from dangjian.api import api

    return api.get_openapi_schema()


SCHEMA = _schema()
OPS = operations(SCHEMA)
QUERY_CASES = [(op, p["name"]) for op in OPS for p in op.query_params]
BODY_CASES = [
    (op, name)
    for op in OPS
    if op.body_content_type == "application/json"
    for name, prop in op.body_schema.get("properties", {}).items()
    if is_string(SCHEMA, prop)
]


# The records the API's create endpoints make (model labels). A 201 must add exactly one
# row, of one of these, the one its answer names; any other answer adds none (a bot
# hand-off excepted: its work order, named in the answer). A new kind of record created
# through the API belongs here.
CREATED = (
    "orgs.organisation",
    "members.member",
    "orglife.meeting",
    "orglife.resolution",
    "orglife.comment",
    "knowledge.entry",
    "knowledge.policyarticle",
    "knowledge.dailyschedule",
    "desk.office",
    "desk.platformfeedback",
    "desk.workorder",
    "mobility.lostcontact",
    "mobility.workassignment",
    "transfers.incomingtransfer",
)
# Reads that leave an audit entry by design (who exported what).
EXPORTS = Q(action__startswith="member.export") | Q(action="kb.entry.export")


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in CREATED}


def _added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        label: after[label] - before[label] for label in CREATED if after[label] != before[label]
    }


def _check_rows(response, before: dict[str, int]) -> None:
    """Rows added by one request: exactly the ones its answer names."""
    added = _added(before, _counts())
    data = (
        response.json() if response.get("Content-Type", "").startswith("application/json") else {}
    )
    if response.status_code == 201:
        assert len(added) == 1 and set(added.values()) == {1}, (response.status_code, added)
        (label,) = added
        assert apps.get_model(label).objects.filter(pk=data["id"]).exists(), label
    elif isinstance(data, dict) and data.get("work_order_id"):
        assert added == {"desk.workorder": 1}, added
        assert apps.get_model("desk.workorder").objects.filter(pk=data["work_order_id"]).exists()
    else:
        assert added == {}, (response.status_code, added)


def _url(op, cast):
    url = op.path
    for name in op.path_params:
        obj = cast.org["B1"] if name == "org_id" else cast.member["B1m1"]
        url = url.replace("{" + name + "}", str(obj.pk))
    return url


def _valid_ids(cast) -> dict:
    return {
        "parent_id": cast.org["T1"].pk,
        "branch_id": cast.org["B1"].pk,
        "group_id": cast.org["G1"].pk,
        "id_number": new_id_number(),
        "code": "INJ2026000001",
        "username": "county_admin",
    }


def test_every_query_param_and_text_field_is_attacked():
    assert len(QUERY_CASES) >= 20 and len(BODY_CASES) >= 15


@pytest.mark.parametrize(("op", "param"), QUERY_CASES, ids=lambda x: getattr(x, "id", x))
def test_query_params(client, cast, bearer, op, param):
    headers = bearer(cast.user["county_admin"])
    url = _url(op, cast)
    before = (_counts(), AuditEntry.objects.count())
    for payload in PAYLOADS:
        response = call(
            client,
            op,
            url,
            body=minimal_body(SCHEMA, op, _valid_ids(cast)),
            query={param: payload},
            headers=headers,
        )
        assert response.status_code < 500, (op.id, param, payload, response.content[:300])
        if response.status_code == 422:
            assert response.json()["detail"], response.content
    if op.method == "get":
        exports = AuditEntry.objects.filter(EXPORTS).count()
        assert (_counts(), AuditEntry.objects.count() - exports) == before


@pytest.mark.parametrize(("op", "name"), BODY_CASES, ids=lambda x: getattr(x, "id", x))
def test_body_text_fields(client, cast, bearer, op, name):
    headers = bearer(cast.user["county_admin"])
    url = _url(op, cast)
    for payload in PAYLOADS:
        before = _counts()
        body = minimal_body(SCHEMA, op, {**_valid_ids(cast), "id_number": new_id_number()})
        body[name] = payload
        response = call(client, op, url, body=body, headers=headers)
        assert response.status_code < 500, (op.id, name, payload, response.content[:300])
        _check_rows(response, before)
        if response.status_code == 201 and name in response.json():
            assert response.json()[name] == payload.strip(), "JSON carries the payload back as data"
    assert Member.objects.filter(name__contains="DROP TABLE").count() <= len(PAYLOADS)
    assert Member.objects.exists(), "the members table is still there"


# --- Pages


def _escaped_in(response, payload):
    text = response.content.decode()
    if "<" in payload or '"' in payload:
        assert payload not in text, f"raw payload in the page: {payload}"
    return text


@pytest.mark.parametrize(
    ("url_name", "param"),
    [
        ("members:list", "q"),
        ("members:list", "status"),
        ("members:list", "ethnicity"),
        ("members:list", "age_band"),
        ("members:list", "org"),
        ("members:list", "page"),
        ("orgs:search", "q"),
    ],
)
def test_page_search_and_filters(client, cast, login, url_name, param):
    login(cast.user["county_admin"])
    for payload in PAYLOADS:
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(reverse(url_name), {param: payload}, **extra)
            assert response.status_code == 200, (param, payload)
            _escaped_in(response, payload)


def _member_form(cast, **overrides):
    data = {
        "name": "王芳",
        "id_number": new_id_number(),
        "gender": "",
        "ethnicity": "汉族",
        "phone": "13900001111",
        "education": "bachelor",
        "occupation": "教师",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "status": "full",
        "group": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("field", ["name", "occupation", "address"])
def test_member_create_form(client, cast, login, field):
    login(cast.user["branch_admin"])
    url = reverse("members:create", args=[cast.org["B1"].pk])
    for payload in XSS + SQLI[:2]:
        before = _counts()
        response = client.post(url, _member_form(cast, **{field: payload}), follow=True)
        assert response.status_code == 200
        text = _escaped_in(response, payload)
        if _counts() != before:  # created: the detail page shows it escaped
            assert _added(before, _counts()) == {"members.member": 1}
            if field in ("name", "occupation"):
                assert escape(payload) in text


@pytest.mark.parametrize("field", ["name", "address"])
def test_org_edit_form(client, cast, login, field):
    login(cast.user["county_admin"])
    org = cast.org["B2"]
    url = reverse("orgs:edit", args=[org.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "name": org.name,
        "org_type": org.org_type,
        "code": org.code,
        "founded_on": org.founded_on.isoformat(),
        "address": "",
        "contact_phone": "",
    }
    for payload in XSS:
        response = client.post(url, {**data, field: payload}, follow=True)
        assert response.status_code == 200
        _escaped_in(response, payload)
        detail = client.get(reverse("orgs:detail", args=[org.pk]))
        _escaped_in(detail, payload)
    assert Organisation.objects.count() == len(Organisation.objects.all())
