"""Transfers beyond the declared matrix (dangjian/transfers/tests/access.py): the list
(API and page) shows exactly the transfers the oracle says, counts included, and the
receiving side's view follows the tree."""

import pytest
from django.urls import reverse

from dangjian.transfers.tests.access import SPEC
from tests.access.lists import api_ids, page_ids
from tests.access.spec import Context, visible
from tests.kit import USER_KEYS, login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfers(cast) -> dict:
    return {obj.key: obj for obj in Context(cast, SPEC).objects("transfer")}


def _visible(user_key: str, transfers: dict) -> set[int]:
    kind = SPEC.kind("transfer")
    return {obj.pk for obj in transfers.values() if visible(kind, user_key, obj)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_transfer_list_is_exactly_the_scope(client, cast, bearer, transfers, user_key):
    ids, counts = api_ids(client, "/api/v1/transfers", bearer(cast.user[user_key]))
    expected = _visible(user_key, transfers)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert counts == {len(expected)}


@pytest.mark.parametrize("user_key", ["member", "sibling_county_admin", "county_leader"])
def test_transfer_list_page_is_exactly_the_scope(client, cast, transfers, user_key):
    login_verified(client, cast.user[user_key])
    ids, count = page_ids(client, reverse("transfers:list"), "transfer", "共 {count} 件")
    assert ids == _visible(user_key, transfers) and count == len(ids)


@pytest.mark.parametrize(("user_key", "filters"), [("member", False), ("county_leader", True)])
def test_only_who_oversees_a_subtree_gets_the_filters(client, cast, user_key, filters):
    login_verified(client, cast.user[user_key])
    page = client.get(reverse("transfers:list")).content.decode()
    assert ('aria-label="筛选"' in page) is filters
    assert ("组织关系转入（平台外转入）" in page) is filters
