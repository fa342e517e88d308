"""Posts (职务): committee and branch officers, each with the date their term began."""

import datetime as dt
import random

from dangjian.demo import clock
from dangjian.demo.generator.shapes import (
    MemberRow,
    OrgRow,
    PositionRow,
    _date_between,
)
from dangjian.members.choices import Status
from dangjian.orgs.choices import OrgType, PositionTitle

T = PositionTitle
COMMITTEE_TITLES = (T.SECRETARY, T.DEPUTY_SECRETARY, T.ORGANISATION, T.PROPAGANDA, T.DISCIPLINE)
TOP_TITLES = (*COMMITTEE_TITLES[:2], T.DEPUTY_SECRETARY, *COMMITTEE_TITLES[2:], T.MEMBER, T.MEMBER)
TERMS = {  # when the current term began (换届), by organisation type
    OrgType.PROVINCIAL_COMMITTEE: (dt.date(2021, 11, 20), dt.date(2021, 11, 30)),
    OrgType.CITY_COMMITTEE: (dt.date(2021, 9, 1), dt.date(2021, 11, 15)),
    OrgType.COUNTY_COMMITTEE: (dt.date(2021, 8, 1), dt.date(2021, 10, 31)),
    OrgType.COMMITTEE: (dt.date(2021, 5, 1), dt.date(2021, 9, 30)),
    OrgType.WORKING_COMMITTEE: (dt.date(2019, 1, 1), dt.date(2024, 12, 31)),
    OrgType.GENERAL_BRANCH: (dt.date(2021, 1, 1), dt.date(2021, 5, 31)),
    OrgType.BRANCH: (dt.date(2019, 1, 1), dt.date(2025, 12, 31)),
    OrgType.GROUP: (dt.date(2020, 1, 1), dt.date(2025, 12, 31)),
}


def _branch_titles(size: int) -> tuple[str, ...]:
    """支部工作条例第九条: 7名以上正式党员的党支部设支部委员会 (3–5人); fewer: a 书记."""
    if size < 7:
        return (T.SECRETARY,)
    if size < 30:
        return (T.SECRETARY, T.ORGANISATION, T.PROPAGANDA)
    if size < 50:
        return (T.SECRETARY, T.ORGANISATION, T.PROPAGANDA, T.DISCIPLINE)
    return (T.SECRETARY, T.DEPUTY_SECRETARY, T.ORGANISATION, T.PROPAGANDA, T.DISCIPLINE)


def _positions(rng: random.Random, orgs: list[OrgRow], members: list[MemberRow]):
    children: dict[str, list[OrgRow]] = {}
    for row in orgs:
        children.setdefault(row.parent_code, []).append(row)
    by_branch: dict[str, list[MemberRow]] = {}
    by_group: dict[str, list[MemberRow]] = {}
    for m in members:
        by_branch.setdefault(m.branch_code, []).append(m)
        if m.group_code:
            by_group.setdefault(m.group_code, []).append(m)

    def eligible(pool: list[MemberRow]) -> list[MemberRow]:
        fit = [m for m in pool if m.status == Status.FULL and m.birth_date.year >= 1958]
        return fit or [m for m in pool if m.status == Status.FULL]

    def subtree(code: str, kinds=None) -> list[MemberRow]:
        found = []
        for child in children.get(code, []):
            if child.org_type == OrgType.BRANCH and (kinds is None or child.kind in kinds):
                found.extend(by_branch.get(child.code, []))
            found.extend(subtree(child.code, kinds))
        return found

    staff = {"organ", "provincial", "town_organ"}
    result = []
    for row in orgs:
        if row.dissolved_on:
            continue
        if row.org_type == OrgType.BRANCH:
            pool, titles = by_branch.get(row.code, []), _branch_titles(row.size)
        elif row.org_type == OrgType.GROUP:
            pool, titles = by_group.get(row.code, []), (T.GROUP_LEADER,)
        elif row.org_type == OrgType.GENERAL_BRANCH:
            pool, titles = subtree(row.code), COMMITTEE_TITLES
        elif row.org_type in (OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE):
            pool = subtree(row.code, staff) or subtree(row.code)
            titles = (*COMMITTEE_TITLES, T.MEMBER)
        else:  # province, city, county committees: drawn from their own organs' staff
            pool, titles = subtree(row.code, staff) or subtree(row.code), TOP_TITLES
        pool = eligible(pool)
        chosen = rng.sample(pool, min(len(titles), len(pool)))
        window = TERMS[row.org_type]
        for title, m in zip(titles, chosen, strict=False):
            started = max(
                _date_between(rng, *window), m.full_member_on or m.joined_on, row.founded_on
            )
            result.append(PositionRow(row.code, m.id_number, title, min(started, clock.today())))
    return result
