import itertools

import pytest

from dangjian.orgs import rules
from dangjian.orgs.choices import OrgType

PAIRS = list(itertools.product(OrgType.values, [None, *OrgType.values]))


@pytest.mark.parametrize(("child", "parent"), PAIRS)
def test_every_parent_child_pair_follows_the_table(child, parent):
    allowed = parent in rules.ALLOWED_PARENTS[child] or (
        parent is None and not rules.ALLOWED_PARENTS[child]
    )
    assert (rules.parent_error(child, parent) is None) == allowed


def test_groups_only_inside_branches_and_branches_hold_members():
    assert rules.ALLOWED_PARENTS[OrgType.GROUP] == {OrgType.BRANCH}
    assert rules.can_hold_members(OrgType.BRANCH)
    assert not any(rules.can_hold_members(t) for t in OrgType.values if t != OrgType.BRANCH)


def test_messages_name_both_types():
    assert rules.parent_error(OrgType.GROUP, OrgType.COMMITTEE) == "党小组不能设在党委之下"
    assert rules.parent_error(OrgType.PROVINCIAL_COMMITTEE, OrgType.CITY_COMMITTEE) == (
        rules.MSG_ROOT_ONLY
    )
