"""The tree API (orgs.tree, accounts.selectors.role_holders): each function at its
boundaries on the cast's tree, approval chains against a parent-walking oracle over random
trees, and one query whatever the depth."""

import datetime as dt
import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.accounts import services as accounts
from dangjian.accounts.selectors import role_holders
from dangjian.core.scope import Role
from dangjian.orgs import services, tree
from dangjian.orgs.models import Organisation

_codes = itertools.count(1)


def _keys(orgs, cast) -> list[str]:
    by_pk = {org.pk: key for key, org in cast.org.items()}
    return [by_pk[org.pk] for org in orgs]


def _new_root(name="另一省委") -> Organisation:
    """A second tree (written directly: the services allow one root per deployment)."""
    return Organisation.objects.add_root(_fields(name, "province"))


def _fields(name: str, org_type: str) -> dict:
    return {
        "name": name,
        "org_type": org_type,
        "code": f"TREE{next(_codes):08d}",
        "founded_on": dt.date(2000, 1, 1),
    }


def _appoint(cast, org_key: str, member_key: str, title: str = "secretary", started_on=None):
    return services.position_assign(
        acting_user=cast.user["root"],
        org=cast.org[org_key],
        member=cast.member[member_key],
        title=title,
        started_on=started_on or dt.date(2020, 1, 1),
    )


# --- parent, ancestors


def test_parent(cast, django_assert_num_queries):
    assert tree.parent(cast.org["G1"]) == cast.org["B1"]
    assert tree.parent(cast.org["C2"]) == cast.org["P"]
    with django_assert_num_queries(0):
        assert tree.parent(cast.org["P"]) is None


def test_ancestors_are_root_first(cast):
    assert _keys(tree.ancestors(cast.org["G1"]), cast) == ["P", "C1", "K1", "T1", "B1"]
    assert _keys(tree.ancestors(cast.org["B4"], include_self=True), cast) == [
        "P",
        "C2",
        "K3",
        "B4",
    ]


def test_ancestors_of_a_root(cast, django_assert_num_queries):
    root = cast.org["P"]
    with django_assert_num_queries(0):
        assert tree.ancestors(root) == []
        assert tree.ancestors(root, include_self=True) == [root]


def test_ancestor_paths_are_prefixes():
    assert tree.ancestor_paths("000100020003") == ["0001", "00010002"]
    assert tree.ancestor_paths("000100020003", include_self=True)[-1] == "000100020003"
    assert tree.ancestor_paths("0001") == []


# --- nearest_ancestor


@pytest.mark.parametrize(
    ("org_key", "criteria", "expected"),
    [
        ("G1", {"level": "county"}, "K1"),
        ("G1", {"level": "grassroots"}, "T1"),
        ("G1", {"org_type": "branch"}, "B1"),
        ("B4", {"level": "grassroots"}, None),  # a 机关 branch directly under the county
        ("B4", {"level": "city"}, "C2"),
        ("K1", {"level": "county"}, "K1"),  # itself, by default
        ("K1", {"level": "county", "include_self": False}, None),
        ("B1", {"level": "branch", "include_self": False}, None),
        ("P", {"level": "province", "include_self": False}, None),
        ("T1", {"level": "grassroots", "org_type": "working"}, None),  # both must match
        ("B3", {"level": "grassroots", "org_type": "committee"}, "T2"),
    ],
)
def test_nearest_ancestor(cast, org_key, criteria, expected):
    found = tree.nearest_ancestor(cast.org[org_key], **criteria)
    assert found == (cast.org[expected] if expected else None)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({}, tree.MSG_NEAREST_NEEDS_CRITERION),
        ({"level": "town"}, tree.MSG_UNKNOWN_LEVEL.format(value="town")),
        ({"org_type": "village"}, tree.MSG_UNKNOWN_TYPE.format(value="village")),
    ],
)
def test_nearest_ancestor_refuses_unclear_questions(cast, criteria, message):
    with pytest.raises(ValueError, match=message):
        tree.nearest_ancestor(cast.org["B1"], **criteria)


# --- lowest_common_ancestor


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("B1", "B2", "T1"),
        ("B1", "B3", "C1"),
        ("G1", "B4", "P"),
        ("B1", "B1", "B1"),
        ("B1", "G1", "B1"),  # b under a
        ("G1", "K1", "K1"),  # a under b
        ("P", "B4", "P"),
    ],
)
def test_lowest_common_ancestor(cast, a, b, expected):
    assert tree.lowest_common_ancestor(cast.org[a], cast.org[b]) == cast.org[expected]
    assert tree.lowest_common_ancestor(cast.org[b], cast.org[a]) == cast.org[expected]


def test_lowest_common_ancestor_of_different_trees_is_none(cast, django_assert_num_queries):
    other = _new_root()
    with django_assert_num_queries(0):
        assert tree.lowest_common_ancestor(cast.org["B1"], other) is None


# --- approval_chain


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("B1", "B2", ["B1", "T1", "B2"]),  # inside one county: never the county, nor the city
        ("B1", "B3", ["B1", "T1", "K1", "C1", "K2", "T2", "B3"]),
        ("G1", "B4", ["G1", "B1", "T1", "K1", "C1", "P", "C2", "K3", "B4"]),
        ("K1", "G1", ["K1", "T1", "B1", "G1"]),  # b under a: down only
        ("G1", "K1", ["G1", "B1", "T1", "K1"]),  # a under b: up only
        ("B1", "T1", ["B1", "T1"]),
        ("P", "P", ["P"]),
    ],
)
def test_approval_chain(cast, a, b, expected):
    assert _keys(tree.approval_chain(cast.org[a], cast.org[b]), cast) == expected
    assert _keys(tree.approval_chain(cast.org[b], cast.org[a]), cast) == expected[::-1]


def test_approval_chain_to_itself_is_itself(cast, django_assert_num_queries):
    org = cast.org["B2"]
    with django_assert_num_queries(0):
        chain = tree.approval_chain(org, org)
    assert chain == [org] and chain[0] is org


def test_approval_chain_returns_the_instances_passed_in(cast):
    a, b = cast.org["B1"], cast.org["B2"]
    chain = tree.approval_chain(a, b)
    assert chain[0] is a and chain[-1] is b


def test_approval_chain_across_trees_is_refused(cast):
    other = _new_root()
    with pytest.raises(tree.DifferentTreesError) as caught:
        tree.approval_chain(cast.org["B1"], other)
    assert isinstance(caught.value, ValueError)
    assert (
        str(caught.value)
        == tree.MSG_DIFFERENT_TREES
        == "两个组织不在同一棵组织树中，无法确定审批链"
    )


# --- post_holder


def test_post_holder_at_the_organisation_itself(cast):
    _appoint(cast, "B1", "B1m1")
    assert tree.post_holder(cast.org["B1"], "secretary") == (cast.member["B1m1"], cast.org["B1"])


def test_post_holder_falls_back_to_the_nearest_holder_above(cast):
    _appoint(cast, "B1", "B1m1")
    _appoint(cast, "T1", "B2m1")
    _appoint(cast, "K1", "B2m2")
    assert tree.post_holder(cast.org["G1"], "secretary") == (cast.member["B1m1"], cast.org["B1"])
    assert tree.post_holder(cast.org["B2"], "secretary") == (cast.member["B2m1"], cast.org["T1"])
    assert tree.post_holder(cast.org["G1"], "secretary", fallback=False) is None
    assert tree.post_holder(cast.org["B3"], "secretary") is None  # K2's line has no secretary


def test_post_holder_skips_ended_posts(cast):
    position = _appoint(cast, "B1", "B1m1")
    _appoint(cast, "T1", "B2m1")
    services.position_end(
        acting_user=cast.user["root"], position=position, ended_on=dt.date(2024, 1, 1)
    )
    assert tree.post_holder(cast.org["B1"], "secretary").org == cast.org["T1"]


def test_post_holder_skips_dissolved_organisations(cast):
    _appoint(cast, "T1", "B2m1")
    _appoint(cast, "K1", "B2m2")
    Organisation.objects.filter(pk=cast.org["T1"].pk).update(dissolved_on=dt.date(2025, 1, 1))
    assert tree.post_holder(cast.org["B2"], "secretary").org == cast.org["K1"]


def test_post_holder_skips_members_no_longer_current(cast):
    _appoint(cast, "B1", "B1m1")
    _appoint(cast, "T1", "B2m1")
    cast.member["B1m1"].__class__.objects.filter(pk=cast.member["B1m1"].pk).update(
        status="deceased"
    )
    assert tree.post_holder(cast.org["B1"], "secretary").org == cast.org["T1"]


def test_post_holder_of_a_shared_post_is_the_longest_serving(cast):
    _appoint(cast, "B1", "B1m2", "member", dt.date(2022, 5, 1))
    _appoint(cast, "B1", "B1m1", "member", dt.date(2019, 5, 1))
    assert tree.post_holder(cast.org["B1"], "member").member == cast.member["B1m1"]
    assert tree.post_holder(cast.org["B1"], "organisation") is None


# --- role_holders


def test_role_holders_at_the_organisation_and_above(cast):
    assert role_holders(cast.org["G1"], Role.ADMIN) == ([cast.user["branch_admin"]], cast.org["B1"])
    assert role_holders(cast.org["B2"], Role.ADMIN) == (
        [cast.user["committee_admin"]],
        cast.org["T1"],
    )
    assert role_holders(cast.org["B1"], Role.LEADER).org == cast.org["K1"]
    assert role_holders(cast.org["B4"], Role.LEADER) is None  # county_leader is K1's
    assert role_holders(cast.org["G1"], Role.ADMIN, fallback=False) is None


def test_role_holders_are_everyone_at_the_nearest_organisation(cast):
    second = accounts.user_create(
        acting_user=cast.user["root"],
        username="a_second_admin",
        password="x",
        validate_password=False,
    )
    accounts.role_grant(
        acting_user=cast.user["root"], user=second, org=cast.org["B1"], role=Role.ADMIN
    )
    assert role_holders(cast.org["B1"], Role.ADMIN).users == [second, cast.user["branch_admin"]]


def test_role_holders_skip_inactive_users_and_dissolved_organisations(cast):
    cast.user["branch_admin"].__class__.objects.filter(pk=cast.user["branch_admin"].pk).update(
        is_active=False
    )
    assert role_holders(cast.org["B1"], Role.ADMIN).org == cast.org["T1"]
    Organisation.objects.filter(pk=cast.org["T1"].pk).update(dissolved_on=dt.date(2025, 1, 1))
    assert role_holders(cast.org["B1"], Role.ADMIN).org == cast.org["K1"]


# --- One query, whatever the depth


def _line(depth: int) -> list[Organisation]:
    """A new tree that is one line ``depth`` organisations deep, plus a side branch at the
    top, so a chain from the bottom to the side runs the whole height."""
    nodes = [_new_root("深层测试省委")]
    for i in range(depth - 1):
        nodes.append(Organisation.objects.add_child(nodes[-1], _fields(f"第{i}层", "committee")))
    nodes.append(Organisation.objects.add_child(nodes[0], _fields("旁支", "branch")))
    return nodes


@pytest.mark.parametrize("depth", [3, 8, 20])
def test_reads_take_one_query_whatever_the_depth(cast, django_assert_num_queries, depth):
    *line, side = _line(depth)
    bottom = Organisation.objects.get(pk=line[-1].pk)
    with django_assert_num_queries(1):
        chain = tree.approval_chain(bottom, side)
    assert [o.pk for o in chain] == [o.pk for o in reversed(line)] + [side.pk]
    with django_assert_num_queries(1):
        assert len(tree.ancestors(bottom)) == depth - 1
    with django_assert_num_queries(1):
        assert tree.nearest_ancestor(bottom, level="province") == line[0]
    with django_assert_num_queries(1):
        assert tree.lowest_common_ancestor(line[-2], side) == line[0]
    with django_assert_num_queries(1):
        assert tree.post_holder(bottom, "secretary") is None
    with django_assert_num_queries(1):
        assert role_holders(bottom, Role.ADMIN) is None


# --- Property: the same answers as walking parent links


@st.composite
def forests(draw):
    """Parent indexes of a random forest (None: a root), and two of its nodes."""
    size = draw(st.integers(min_value=1, max_value=12))
    parents = [None] + [
        draw(st.one_of(st.none(), st.integers(min_value=0, max_value=i - 1)))
        for i in range(1, size)
    ]
    a, b = (draw(st.integers(min_value=0, max_value=size - 1)) for _ in range(2))
    return parents, a, b


def _naive_line(parents, node) -> list[int]:
    line = []
    while node is not None:
        line.append(node)
        node = parents[node]
    return line


def _naive_meet(parents, a, b) -> int | None:
    down = _naive_line(parents, b)
    return next((n for n in _naive_line(parents, a) if n in down), None)


def _naive_chain(parents, a, b) -> list[int]:
    up, down = _naive_line(parents, a), _naive_line(parents, b)
    meet = _naive_meet(parents, a, b)
    return up[: up.index(meet) + 1] + down[: down.index(meet)][::-1]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=forests())
def test_chain_and_common_ancestor_match_walking_parents(cast, case):
    parents, a, b = case
    with transaction.atomic():
        nodes: list[Organisation] = []
        for i, parent in enumerate(parents):
            fields = _fields(f"随机组织{i}", "committee")
            nodes.append(
                Organisation.objects.add_root(fields)
                if parent is None
                else Organisation.objects.add_child(nodes[parent], fields)
            )
        org_a, org_b = (Organisation.objects.get(pk=nodes[i].pk) for i in (a, b))
        meet = _naive_meet(parents, a, b)
        lca = tree.lowest_common_ancestor(org_a, org_b)
        if meet is None:
            assert lca is None
            with pytest.raises(tree.DifferentTreesError):
                tree.approval_chain(org_a, org_b)
        else:
            assert lca.pk == nodes[meet].pk
            assert [o.pk for o in tree.approval_chain(org_a, org_b)] == [
                nodes[i].pk for i in _naive_chain(parents, a, b)
            ]
            assert [o.pk for o in tree.ancestors(org_a)] == [
                nodes[i].pk for i in _naive_line(parents, a)[:0:-1]
            ]
        transaction.set_rollback(True)
