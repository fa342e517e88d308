"""Rules of the organisation tree.

Source: 《中国共产党章程》第五章 and 《中国共产党支部工作条例（试行）》(2018) 第五条:
党支部 sit under a 基层党委, 党总支 or 党工委 (or directly under a county-level committee
for 机关 branches); 党小组 are formed inside a 党支部 only; 党总支 group several
branches under a 党委. The provincial committee is the single root of a deployment.
"""

from dangjian.orgs.choices import Level, OrgType

ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    OrgType.PROVINCIAL_COMMITTEE: frozenset(),
    OrgType.CITY_COMMITTEE: frozenset({OrgType.PROVINCIAL_COMMITTEE}),
    OrgType.COUNTY_COMMITTEE: frozenset({OrgType.CITY_COMMITTEE}),
    OrgType.COMMITTEE: frozenset(
        {
            OrgType.PROVINCIAL_COMMITTEE,
            OrgType.CITY_COMMITTEE,
            OrgType.COUNTY_COMMITTEE,
            OrgType.COMMITTEE,
            OrgType.WORKING_COMMITTEE,
        }
    ),
    OrgType.WORKING_COMMITTEE: frozenset(
        {OrgType.PROVINCIAL_COMMITTEE, OrgType.CITY_COMMITTEE, OrgType.COUNTY_COMMITTEE}
    ),
    OrgType.GENERAL_BRANCH: frozenset(
        {OrgType.COUNTY_COMMITTEE, OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE}
    ),
    OrgType.BRANCH: frozenset(
        {
            OrgType.COUNTY_COMMITTEE,
            OrgType.COMMITTEE,
            OrgType.WORKING_COMMITTEE,
            OrgType.GENERAL_BRANCH,
        }
    ),
    OrgType.GROUP: frozenset({OrgType.BRANCH}),
}

LEVEL_OF_TYPE: dict[str, str] = {
    OrgType.PROVINCIAL_COMMITTEE: Level.PROVINCE,
    OrgType.CITY_COMMITTEE: Level.CITY,
    OrgType.COUNTY_COMMITTEE: Level.COUNTY,
    OrgType.COMMITTEE: Level.GRASSROOTS_COMMITTEE,
    OrgType.WORKING_COMMITTEE: Level.GRASSROOTS_COMMITTEE,
    OrgType.GENERAL_BRANCH: Level.GENERAL_BRANCH,
    OrgType.BRANCH: Level.BRANCH,
    OrgType.GROUP: Level.GROUP,
}

# Members belong to a 党支部 (条例第二条：党员必须编入党的一个支部).
MEMBER_HOLDING_TYPES = frozenset({OrgType.BRANCH})

MSG_ROOT_ONLY = "省委只能作为根组织"
MSG_BAD_PARENT = "{child}不能设在{parent}之下"


def parent_error(child_type: str, parent_type: str | None) -> str | None:
    """Why ``child_type`` cannot sit under ``parent_type`` (None = a root), or None if it can."""
    allowed = ALLOWED_PARENTS[child_type]
    if parent_type is None:
        return (
            None
            if not allowed
            else MSG_BAD_PARENT.format(child=OrgType(child_type).label, parent="根节点")
        )
    if not allowed:
        return MSG_ROOT_ONLY
    if parent_type not in allowed:
        return MSG_BAD_PARENT.format(
            child=OrgType(child_type).label, parent=OrgType(parent_type).label
        )
    return None


def can_hold_members(org_type: str) -> bool:
    return org_type in MEMBER_HOLDING_TYPES


def can_hold_post(
    *, org_type: str, org_path: str, org_pk: int, branch_path: str | None, group_id: int | None
) -> bool:
    """Whether a member placed at (branch, group) may hold a post in the organisation.

    A post is held by a member of the organisation's own subtree (党章第三十条: 支部委员会
    由支部党员大会选举产生); a 党小组长 is one of the group's own members.
    """
    if org_type == OrgType.GROUP:
        return group_id == org_pk
    return branch_path is not None and branch_path.startswith(org_path)
