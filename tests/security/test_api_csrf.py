"""CSRF on the API: a session-authenticated write without the CSRF token is refused with
403 and changes nothing; a bearer token (never sent by a browser on its own) needs none.

(The page side — every page form — is tests/security/test_csrf.py.)
"""

import pytest
from django.test import Client

from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation
from tests.kit import login_verified
from tests.security.apischema import WRITE_METHODS, call, minimal_body, operations

pytestmark = pytest.mark.django_db


def _schema():
    import django

    django.setup()
    from dangjian.api import api

    return api.get_openapi_schema()


SCHEMA = _schema()
# Session-authenticated writes (the token endpoint takes no session: it is a login form).
WRITES = [op for op in operations(SCHEMA) if op.method in WRITE_METHODS and op.secured]


def _takes_session(op) -> bool:
    return any("Session" in name or "Cookie" in name for sec in op.spec["security"] for name in sec)


def _refused_status(op) -> int:
    """403 (CSRF) where a session is accepted; 401 on bearer-only endpoints."""
    return 403 if _takes_session(op) else 401


def _state():
    return (
        list(Organisation.objects.order_by("pk").values_list("pk", "updated_at")),
        list(Member.objects.order_by("pk").values_list("pk", "updated_at")),
        AuditEntry.objects.count(),
        StoredFile.objects.count(),
    )


def _url(op, cast):
    url = op.path
    for name in op.path_params:
        obj = cast.org["G1"] if name == "org_id" else cast.member["B1m1"]
        url = url.replace("{" + name + "}", str(obj.pk))
    return url


def _body(op, cast):
    return minimal_body(
        SCHEMA, op, {"parent_id": cast.org["T1"].pk, "branch_id": cast.org["B1"].pk}
    )


def test_writes_are_found():
    assert len(WRITES) >= 8
    assert sum(map(_takes_session, WRITES)) >= 7


@pytest.mark.parametrize("op", WRITES, ids=lambda op: op.id)
def test_session_write_without_csrf_token_is_403(cast, op):
    client = Client(enforce_csrf_checks=True)
    login_verified(client, cast.user["root"])
    before = _state()
    response = call(client, op, _url(op, cast), body=_body(op, cast))
    assert response.status_code == _refused_status(op), (op.id, response.content[:300])
    if _takes_session(op):
        assert "CSRF" in response.json()["detail"]
    assert _state() == before


@pytest.mark.parametrize("op", WRITES, ids=lambda op: op.id)
def test_session_write_with_a_forged_token_is_403(cast, op):
    client = Client(enforce_csrf_checks=True)
    login_verified(client, cast.user["root"])
    client.cookies["csrftoken"] = "a" * 32
    before = _state()
    response = call(
        client, op, _url(op, cast), body=_body(op, cast), headers={"HTTP_X_CSRFTOKEN": "b" * 32}
    )
    assert response.status_code == _refused_status(op)
    assert _state() == before


def test_bearer_write_needs_no_csrf_token(cast, bearer):
    client = Client(enforce_csrf_checks=True)
    member = cast.member["B1m1"]
    response = client.patch(
        f"/api/v1/members/{member.pk}",
        data={"occupation": "网格员"},
        content_type="application/json",
        **bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 200
