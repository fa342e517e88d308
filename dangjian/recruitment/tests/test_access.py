"""发展党员 beyond the declared matrix (dangjian/recruitment/tests/access.py): the
applicant list shows exactly the applicants the oracle says, an organisation filter
never widens it."""

import pytest

from dangjian.recruitment.tests.access import SPEC
from tests.access.lists import api_ids
from tests.access.spec import Context, visible
from tests.kit import ORG_KEYS, USER_KEYS, sees_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicants(cast) -> dict:
    return {obj.key: obj for obj in Context(cast, SPEC).objects("applicant")}


def _visible(user_key: str, applicants: dict) -> set[int]:
    kind = SPEC.kind("applicant")
    return {obj.pk for obj in applicants.values() if visible(kind, user_key, obj)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_applicant_list_is_exactly_the_scope(client, cast, bearer, applicants, user_key):
    ids, counts = api_ids(client, "/api/v1/recruitment/applicants", bearer(cast.user[user_key]))
    expected = _visible(user_key, applicants)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert counts == {len(expected)}


@pytest.mark.parametrize("user_key", ["county_admin", "county_leader", "branch_admin", "outsider"])
def test_org_filter_never_widens_the_scope(client, cast, bearer, applicants, user_key):
    headers = bearer(cast.user[user_key])
    seen = _visible(user_key, applicants)
    for org_key in ORG_KEYS:
        if not sees_org(user_key, org_key):
            continue
        org = cast.org[org_key]
        ids, _ = api_ids(client, "/api/v1/recruitment/applicants", headers, {"org": org.pk})
        inside = {o.pk for o in applicants.values() if cast.org[o.key].path.startswith(org.path)}
        assert set(ids) == inside & seen, org_key
