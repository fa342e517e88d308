"""IDOR across the whole API, generated from the OpenAPI schema itself.

For every operation with an ``{id}``-like path parameter, users at several levels call
it with the id of every object of that kind outside their scope (the access matrix's
objects and oracle, tests/access/spec.py, not ``core.scope``, say which): the answer is
404 — exactly as if the object did not exist — and nothing changes. Unauthenticated calls answer 401
(except the few operations open to visitors by design, listed in PUBLIC_OPERATIONS).
A new endpoint is covered automatically; a path parameter not in PATH_PARAM_KINDS
fails the suite until someone says what it names.
"""

import pytest

from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation
from tests.access.harness import kind_home
from tests.access.spec import Context, visible
from tests.kit import ORG_KEYS, sees_org
from tests.security.apischema import (
    PATH_PARAM_KINDS,
    call,
    minimal_body,
    minimal_query,
    operations,
)

# Users at every level, and beside them (the outsider holds no role at all).
ATTACKERS = [
    "city_admin",
    "county_admin",
    "sibling_county_admin",
    "committee_admin",
    "branch_admin",
    "county_leader",
    "member",
    "agent",
    "handler",
    "examiner",
    "outsider",
]


def _schema():
    import django

    django.setup()
    from dangjian.api import api

    return api.get_openapi_schema()


SCHEMA = _schema()
OPS = [op for op in operations(SCHEMA) if op.path_params]


def _state():
    return (
        list(Organisation.objects.order_by("pk").values_list("pk", "updated_at", "path")),
        list(Member.objects.order_by("pk").values_list("pk", "updated_at", "photo_id")),
        AuditEntry.objects.count(),
        StoredFile.objects.count(),
    )


def _objects(kind: str, cast):
    """The access matrix's objects of ``kind`` (the module that owns the kind makes them,
    one per organisation, county, asker … across the tree) and its visibility rule."""
    spec, rule = kind_home(kind)
    return rule, Context(cast, spec).objects(kind)


def _inside_ids(user_key: str, cast) -> dict:
    """Ids of objects the attacker may see, for body fields and required query parameters
    (so the request is valid and the only thing wrong with it is the path's object)."""
    orgs = [cast.org[k].pk for k in ORG_KEYS if sees_org(user_key, k)] or [cast.org["B1"].pk]
    return {"parent_id": orgs[0], "branch_id": orgs[0], "group_id": orgs[0], "to": orgs[0]}


def test_every_path_parameter_is_classified():
    unknown = {(op.id, p) for op in OPS for p in op.path_params if p not in PATH_PARAM_KINDS}
    assert not unknown, f"classify these path parameters in PATH_PARAM_KINDS: {unknown}"
    assert len(OPS) >= 10


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.id)
def test_out_of_scope_ids_are_404(client, cast, bearer, op):
    headers = {u: bearer(cast.user[u]) for u in ATTACKERS}
    kinds = [PATH_PARAM_KINDS[p] for p in op.path_params]
    assert len(set(kinds)) == 1, "one kind of object per path"
    rule, objects = _objects(kinds[0], cast)
    before = _state()
    checked = 0
    for user_key in ATTACKERS:
        ids = _inside_ids(user_key, cast)
        body, query = minimal_body(SCHEMA, op, ids), minimal_query(SCHEMA, op, ids)
        for pk in [obj.pk for obj in objects if not visible(rule, user_key, obj)]:
            url = op.path
            for name in op.path_params:
                url = url.replace("{" + name + "}", str(pk))
            response = call(client, op, url, body=body, query=query, headers=headers[user_key])
            assert response.status_code == 404, (user_key, url, response.content[:300])
            assert response.json() == {"detail": "未找到"}
            checked += 1
    assert checked > 20
    assert _state() == before, "an out-of-scope request changed something"


# Open to visitors by design; anything else answers 401 without credentials. A new public
# operation must be added here deliberately.
PUBLIC_OPERATIONS = {
    "POST /api/v1/auth/token",
    "POST /api/v1/consult/ask",  # the bot on the public site (rate-limited per IP)
    "GET /api/v1/consult/public-questions",  # the public 咨询列表 (askers anonymised)
    "POST /api/v1/consult/public/lookup",  # 咨询查询: number + look-up code (rate-limited)
    "GET /api/v1/dues/amount",  # the 党费 rule, for other systems and whoever checks it
    "POST /api/v1/dues/notify/sandbox",  # a provider's signed notification (verified)
}


def test_public_operations_are_exactly_the_expected_ones():
    assert {op.id for op in operations(SCHEMA) if op.public} == PUBLIC_OPERATIONS


@pytest.mark.parametrize(
    "op", [o for o in operations(SCHEMA) if o.public and o.secured], ids=lambda o: o.id
)
def test_optional_auth_still_refuses_forged_credentials(client, cast, op):
    """ "Authentication optional" means no credentials at all: a forged token is not
    quietly treated as a visitor."""
    before = _state()
    for auth in ("Bearer dj_forged", "Basic cm9vdDpyb290"):
        body = minimal_body(SCHEMA, op, {})
        response = call(client, op, op.path, body=body, headers={"HTTP_AUTHORIZATION": auth})
        assert response.status_code == 401, (op.id, auth, response.content[:200])
    assert _state() == before


@pytest.mark.parametrize("op", [o for o in operations(SCHEMA) if not o.public], ids=lambda o: o.id)
def test_unauthenticated_is_401(client, cast, op):
    url = op.path
    for name in op.path_params:
        kind = PATH_PARAM_KINDS.get(name)
        url = url.replace(
            "{" + name + "}", str((cast.org["P"] if kind == "org" else cast.member["B4m1"]).pk)
        )
    before = _state()
    for auth in (None, "Bearer dj_forged", "Bearer ", "Basic cm9vdDpyb290"):
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        response = call(client, op, url, body=minimal_body(SCHEMA, op, {}), headers=headers)
        assert response.status_code == 401, (op.id, auth, response.content[:200])
        assert response.json() == {"detail": "未登录或令牌无效"}
    assert _state() == before
