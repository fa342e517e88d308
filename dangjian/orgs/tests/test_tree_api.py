"""GET /api/v1/orgs/{id}/approval-chain?to={id}: the chain, its scope and its input errors."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts import services as accounts
from dangjian.core.scope import Role
from dangjian.orgs import tree
from dangjian.orgs.models import Organisation

URL = "/api/v1/orgs/{}/approval-chain"


def _chain(client, headers, a, b):
    return client.get(URL.format(a.pk), {"to": b.pk}, **headers)


def _ids(cast, *keys) -> list[int]:
    return [cast.org[k].pk for k in keys]


def test_chain_within_a_county_goes_through_the_committee_only(client, cast, bearer):
    response = _chain(client, bearer(cast.user["county_admin"]), cast.org["B1"], cast.org["B2"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["chain"] == _ids(cast, "B1", "T1", "B2")
    assert body["common_ancestor_id"] == cast.org["T1"].pk
    assert body["orgs"] == [
        {"id": cast.org[k].pk, "name": cast.org[k].name, "org_type": t, "visible": True}
        for k, t in (("B1", "branch"), ("T1", "committee"), ("B2", "branch"))
    ]


def test_chain_across_cities_goes_through_the_province(client, cast, bearer):
    response = _chain(client, bearer(cast.user["province_admin"]), cast.org["B1"], cast.org["B4"])
    body = response.json()
    assert body["chain"] == _ids(cast, "B1", "T1", "K1", "C1", "P", "C2", "K3", "B4")
    assert body["common_ancestor_id"] == cast.org["P"].pk


def test_chain_to_itself(client, cast, bearer):
    response = _chain(client, bearer(cast.user["branch_admin"]), cast.org["B1"], cast.org["B1"])
    assert response.json()["chain"] == _ids(cast, "B1")
    assert response.json()["common_ancestor_id"] == cast.org["B1"].pk


@pytest.mark.parametrize(("a", "b"), [("B1", "B3"), ("B3", "B1"), ("B3", "B3")])
def test_an_end_outside_the_scope_is_404(client, cast, bearer, a, b):
    response = _chain(client, bearer(cast.user["county_admin"]), cast.org[a], cast.org[b])
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到"}


def test_an_organisation_that_does_not_exist_is_404(client, cast, bearer):
    headers = bearer(cast.user["root"])
    missing = Organisation.objects.order_by("-pk").first().pk + 1000
    response = client.get(URL.format(cast.org["B1"].pk), {"to": missing}, **headers)
    assert response.status_code == 404


@pytest.mark.parametrize("to", [None, "", "abc", "0", "-3", "1.5", str(2**63)])
def test_a_missing_or_invalid_to_is_a_field_error(client, cast, bearer, to):
    query = {} if to is None else {"to": to}
    headers = bearer(cast.user["county_admin"])
    response = client.get(URL.format(cast.org["B1"].pk), query, **headers)
    assert response.status_code == 422, response.content
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "to"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["msg"])


def test_organisations_in_different_trees_are_a_field_error(client, cast, bearer):
    other = Organisation.objects.add_root(
        {
            "name": "另一省委",
            "org_type": "province",
            "code": "OTHER0000001",
            "founded_on": "2000-01-01",
        }
    )
    response = _chain(client, bearer(cast.user["root"]), cast.org["B1"], other)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["query", "to"], "msg": tree.MSG_DIFFERENT_TREES, "type": "different_trees"}
    ]


def test_organisations_above_a_split_scope_are_listed_without_their_name(client, cast, bearer):
    """A user holding roles in two counties of two cities sees both ends; the chain between
    them climbs to the province, whose names are not theirs to read."""
    root = cast.user["root"]
    user = accounts.user_create(
        acting_user=root, username="two_counties", password="x", validate_password=False
    )
    for key in ("K1", "K3"):
        accounts.role_grant(acting_user=root, user=user, org=cast.org[key], role=Role.LEADER)
    response = _chain(client, bearer(user), cast.org["T1"], cast.org["B4"])
    assert response.status_code == 200, response.content
    orgs = response.json()["orgs"]
    hidden = {o["id"] for o in orgs if not o["visible"]}
    assert hidden == set(_ids(cast, "C1", "P", "C2"))
    assert all(o["name"] is None for o in orgs if o["id"] in hidden)
    assert [o["name"] for o in orgs if o["visible"]] == [
        cast.org[k].name for k in ("T1", "K1", "K3", "B4")
    ]
    text = response.content.decode()
    assert not any(cast.org[k].name in text for k in ("C1", "P", "C2"))


def test_a_dissolved_end_still_has_a_chain(client, cast, bearer):
    """The chain is structural: history (a transfer out of a since-dissolved group) needs it."""
    Organisation.objects.filter(pk=cast.org["G1"].pk).update(dissolved_on=dt.date(2025, 1, 1))
    response = _chain(client, bearer(cast.user["county_admin"]), cast.org["G1"], cast.org["B2"])
    assert response.json()["chain"] == _ids(cast, "G1", "B1", "T1", "B2")


def test_queries_do_not_grow_with_the_chain(client, cast, bearer):
    """Token, scope, the two ends, the chain: the same for 3 organisations as for 9."""
    headers = bearer(cast.user["province_admin"])
    _chain(client, headers, cast.org["P"], cast.org["P"])  # the token's last-use stamp
    counts = []
    for a, b in (("B1", "B2"), ("G1", "B4")):
        with CaptureQueriesContext(connection) as queries:
            assert _chain(client, headers, cast.org[a], cast.org[b]).status_code == 200
        counts.append(len(queries))
    assert counts == [5, 5]
