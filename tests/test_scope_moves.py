"""Scope follows the tree as it is now: after an organisation moves (or a member changes
branch), every scoped model answers exactly what the access oracle says for the tree as
it then is. Copied organisation paths once leaked a moved county's rows to its old city.

The rows are checked through each model's declared scope (``core.scope.REGISTRY``), so a
new scoped model is covered here without being listed.
"""

import datetime as dt

import pytest

from dangjian.core import scope
from dangjian.core.scope import REGISTRY, Perm
from dangjian.members import services as members
from dangjian.orglife import services as orglife
from dangjian.orgs import services as orgs
from dangjian.orgs.models import Organisation
from tests.kit import TREE, USER_KEYS, granted_orgs

# One move of every kind of organisation that can move, each to a parent of a type its
# rules allow, outside its own subtree. A city needs a second province to move to.
MOVES = [
    ("C2", "P2"),  # a city to another province
    ("K1", "C2"),  # a county to another city (the defect's own example)
    ("T2", "K1"),  # a committee to another county
    ("B2", "T2"),  # a branch to another committee
    ("B4", "T1"),  # a branch directly under a county, to a committee in another city
]


@pytest.fixture
def tree(cast):
    """The cast plus a second province and one meeting per branch (rows to look at)."""
    root = cast.user["root"]
    cast.org["P2"] = orgs.org_create_root(
        acting_user=root,
        name="贵州省委",
        org_type="province",
        code="520000000000",
        founded_on=dt.date(1990, 1, 1),
    )
    start = dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)
    for key in ("B1", "B2", "B3", "B4"):
        orglife.meeting_create(
            acting_user=root,
            org=cast.org[key],
            kind="member_assembly",
            topic=f"{key} 支部党员大会",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
        )
    cast.parent = {key: parent for key, parent, *_ in TREE} | {"P2": None}
    return cast


def _org_key(cast, org) -> str:
    return next(key for key, each in cast.org.items() if each.pk == org.pk)


def _assert_oracle_holds(cast) -> None:
    """For every user, permission and scoped model: visible_to == the oracle's rows."""
    for model in REGISTRY:
        rule = model._scope
        rows = list(model.objects.select_related(*[rule.org] if rule.org else []))
        for user_key in USER_KEYS:
            user = cast.user[user_key]
            scope.forget(user)
            for perm in Perm:
                allowed = granted_orgs(user_key, perm, cast.parent)
                also = rule.also(user, perm) if rule.also else None
                extra = (
                    set(model.objects.filter(also).values_list("pk", flat=True)) if also else set()
                )
                expected = {
                    row.pk
                    for row in rows
                    if user_key == "root"  # a superuser sees every row, with or without org
                    or ((org := rule.org_of(row)) is not None and _org_key(cast, org) in allowed)
                } | extra
                actual = set(model.objects.visible_to(user, perm).values_list("pk", flat=True))
                assert actual == expected, (model.__name__, user_key, perm.value)


def _move(cast, key: str, new_parent: str) -> None:
    orgs.org_move(acting_user=cast.user["root"], org=cast.org[key], new_parent=cast.org[new_parent])
    cast.org = {k: Organisation.objects.get(pk=o.pk) for k, o in cast.org.items()}
    cast.parent[key] = new_parent


def test_oracle_holds_before_any_move(tree):
    _assert_oracle_holds(tree)


@pytest.mark.parametrize(("key", "new_parent"), MOVES)
def test_oracle_holds_after_each_kind_of_move(tree, key, new_parent):
    _move(tree, key, new_parent)
    _assert_oracle_holds(tree)


def test_oracle_holds_after_all_moves_in_turn(tree):
    for key, new_parent in MOVES:
        _move(tree, key, new_parent)
    _assert_oracle_holds(tree)


def test_a_member_moved_between_branches_is_seen_by_the_new_branch_only(tree):
    """A member changing branch (the daily case of transfers) leaves the old subtree."""
    member = tree.member["B3m1"]
    members.member_update(acting_user=tree.user["root"], member=member, branch=tree.org["B1"])
    b1_admin, sibling = tree.user["branch_admin"], tree.user["sibling_county_admin"]
    for user in (b1_admin, sibling):
        scope.forget(user)
    from dangjian.members.models import Member

    assert Member.objects.visible_to(b1_admin, Perm.VIEW_MEMBER).filter(pk=member.pk).exists()
    assert not Member.objects.visible_to(sibling, Perm.VIEW_MEMBER).filter(pk=member.pk).exists()


def test_a_superuser_linked_to_a_member_still_sees_everything(tree):
    """``path_q(ALL)`` was ``Q()``, which vanished when or-ed with the own-record rule."""
    from dangjian.accounts.models import User
    from dangjian.members.models import Member
    from dangjian.orglife.models import Meeting

    root = User.objects.get(pk=tree.user["root"].pk)
    root.member = tree.member["B2m1"]
    root.save(update_fields=["member"])
    assert Member.objects.visible_to(root, Perm.VIEW_MEMBER).count() == Member.objects.count()
    assert Meeting.objects.visible_to(root, Perm.VIEW_ORGLIFE).count() == Meeting.objects.count()
