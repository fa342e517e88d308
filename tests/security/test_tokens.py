"""Bearer tokens: forged, tampered, expired, revoked, of deactivated users → 401, never
500, and the request does nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_issue
from dangjian.core.models import AuditEntry
from dangjian.members.models import Member

EMPTY = {"items": [], "count": 0, "count_capped": False, "next_cursor": None}

pytestmark = pytest.mark.django_db
UNAUTHENTICATED = {"detail": "未登录或令牌无效"}


def _get(client, token: str, path="/api/v1/members"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def _patch(client, token: str, member):
    return client.patch(
        f"/api/v1/members/{member.pk}",
        data={"occupation": "被篡改"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def token(cast):
    raw, _ = token_issue(user=cast.user["county_admin"])
    return raw


def _refused(client, token, cast):
    member = cast.member["B1m1"]
    before = (AuditEntry.objects.count(), Member.objects.get(pk=member.pk).updated_at)
    for response in (_get(client, token), _patch(client, token, member)):
        assert response.status_code == 401, response.content
        assert response.json() == UNAUTHENTICATED
    assert (AuditEntry.objects.count(), Member.objects.get(pk=member.pk).updated_at) == before


def test_the_real_token_works(client, cast, token):
    assert _get(client, token).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: "dj_" + "A" * 43,
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
        lambda t: t[:-4],  # truncated
        lambda t: t + "x",  # extended
        lambda t: t.upper(),
        lambda t: t.replace("dj_", "DJ_"),
        lambda t: "dj_" + "x" * 10_000,  # very long
        lambda t: t + "\u202e",  # RTL override
        lambda t: "dj_' OR '1'='1",
        lambda t: "eyJhbGciOiJub25lIn0.eyJ1c2VyIjoxfQ.",  # an unsigned JWT
    ],
)
def test_forged_and_tampered_tokens(client, cast, token, forge):
    _refused(client, forge(token), cast)


def test_expired_token(client, cast, token):
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _refused(client, token, cast)


def test_revoked_token(client, cast, token):
    response = client.post("/api/v1/auth/token/revoke", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 204
    _refused(client, token, cast)


def test_token_of_a_deactivated_user(client, cast, token):
    user = cast.user["county_admin"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    _refused(client, token, cast)


def test_token_of_a_user_who_lost_their_role_sees_nothing(client, cast, token):
    cast.user["county_admin"].role_assignments.all().delete()
    assert _get(client, token).json() == EMPTY
    assert _patch(client, token, cast.member["B1m1"]).status_code == 404


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer  ", "bearer dj_x", "Token dj_x", "Bearer dj_a dj_b", "Bearer \x00"],
)
def test_malformed_authorization_headers(client, cast, header):
    response = client.get("/api/v1/members", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
