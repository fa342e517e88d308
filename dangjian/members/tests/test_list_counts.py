"""The member list's total: from the rollups when unfiltered (exact, marks pending
included), counted when filtered; the same on the page and in the API."""

import datetime as dt

import pytest

from dangjian.core import rollups
from dangjian.members import selectors, services
from tests.kit import new_id_number


def add(cast, branch="B1", status="probationary"):
    return services.member_create(
        acting_user=cast.user["root"],
        branch=cast.org[branch],
        name="新党员",
        id_number=new_id_number(dt.date(1985, 3, 1)),
        ethnicity="汉族",
        education="bachelor",
        joined_on=dt.date(2010, 7, 1),
        status=status,
    )


@pytest.mark.parametrize("built", [False, True])
@pytest.mark.parametrize(
    "user,expected",
    [("root", 9), ("county_admin", 5), ("branch_admin", 3), ("member", None), ("outsider", 0)],
)
def test_the_unfiltered_total_is_exact(cast, built, user, expected):
    if built:
        rollups.rebuild()
    add(cast)  # marked, not summed up: still counted
    user = cast.user[user]
    counted = selectors.member_queryset(user).count()  # the oracle: a direct count
    qs = selectors.with_scope_total(user, selectors.member_queryset(user), {"q": None})
    assert qs.count() == counted
    assert expected is None or counted == expected
    assert (qs._known_count is not None) is built


def test_a_filtered_list_counts_itself(cast):
    rollups.rebuild()
    user = cast.user["county_admin"]
    qs = selectors.member_queryset(user).filter(status="probationary")
    assert selectors.with_scope_total(user, qs, {"status": "probationary"}).count() == 0


def test_the_api_gives_the_total_from_the_rollups(cast, client, bearer):
    rollups.rebuild()
    add(cast, branch="B2")
    body = client.get("/api/v1/members?limit=1", **bearer(cast.user["county_admin"])).json()
    assert body["count"] == 5 and len(body["items"]) == 1
    body = client.get("/api/v1/members?status=full", **bearer(cast.user["county_admin"])).json()
    assert body["count"] == 4
