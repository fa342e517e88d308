"""The plan alone (no database): sizes, determinism, validity of every generated record."""

import re
from collections import Counter

import pytest

from dangjian.core import idcard
from dangjian.core.phone import normalize_phone
from dangjian.demo import geography as geo
from dangjian.demo.generator import REFERENCE_DATE, SCALES, plan, plan_counts
from dangjian.demo.tests import fingerprints
from dangjian.members import rules
from dangjian.members.choices import ETHNICITIES, Education, Status
from dangjian.orgs.choices import OrgType, PositionTitle
from dangjian.orgs.rules import parent_error


@pytest.fixture(scope="module")
def small():
    units = list(plan(SCALES["small"], 2026))
    for unit in units:
        unit.populate()
    return units


def test_geography_is_the_real_one():
    assert len(geo.PREFECTURES) == 16
    assert sum(len(p.counties) for p in geo.PREFECTURES) == 129
    codes = [c.code for p in geo.PREFECTURES for c in p.counties]
    assert len(set(codes)) == 129
    assert all(c.code.startswith(p.code) for p in geo.PREFECTURES for c in p.counties)
    assert {p.code for p in geo.PREFECTURES} >= {"5301", "5303", "5323", "5334"}
    for pref in geo.PREFECTURES:
        assert {e for e, _ in pref.ethnicities} <= set(ETHNICITIES)


def test_small_scale_sizes(small):
    counts = plan_counts(small)
    assert 250 <= counts["orgs"] <= 380
    assert 4000 <= counts["members"] <= 6000
    assert sum(len(u.members) for u in small) == counts["members"]
    types = Counter(r.org_type for u in small for r in u.orgs)
    assert types[OrgType.PROVINCIAL_COMMITTEE] == 1
    assert types[OrgType.CITY_COMMITTEE] == 16
    assert types[OrgType.GENERAL_BRANCH] and types[OrgType.GROUP] and types[OrgType.COMMITTEE]
    dissolved = [r for u in small for r in u.orgs if r.dissolved_on]
    assert len(dissolved) == 1 and dissolved[0].size == 0


@pytest.mark.parametrize(
    ("scale", "orgs", "members"),
    [("county", (1200, 1800), (20_000, 30_000)), ("province", (135_000, 165_000), (2.3e6, 2.8e6))],
)
def test_larger_scales_plan_the_right_amounts(scale, orgs, members):
    counts = plan_counts(plan(SCALES[scale], 2026))
    assert orgs[0] <= counts["orgs"] <= orgs[1]
    assert members[0] <= counts["members"] <= members[1]


def test_same_seed_same_data_other_seed_other_data(small):
    again = list(plan(SCALES["small"], 2026))
    assert fingerprints.of_plan(again) == fingerprints.of_plan(small)
    other = fingerprints.of_plan(plan(SCALES["small"], 7))
    assert other[0] != fingerprints.of_plan(small)[0]
    assert other[1] != fingerprints.of_plan(small)[1]


def test_a_unit_does_not_depend_on_the_others():
    """Populating in another order (or skipping units, as --resume does) changes nothing."""
    first = list(plan(SCALES["small"], 2026))
    second = list(plan(SCALES["small"], 2026))
    for unit in reversed(second[-3:]):
        unit.populate()
    assert fingerprints.of_plan(first[-3:]) == fingerprints.of_plan(second[-3:])


def test_organisations_fit_the_tree_rules(small):
    code_re = re.compile(r"^[0-9A-Z]{6,24}$")
    seen: dict[str, str] = {}
    for unit in small:
        for row in unit.orgs:
            assert code_re.match(row.code), row.code
            assert row.code not in seen, row.code
            parent_type = seen.get(row.parent_code) if row.parent_code else None
            if row.parent_code:
                assert row.parent_code in seen, "parents come first"
            assert parent_error(row.org_type, parent_type) is None, row
            assert row.founded_on <= REFERENCE_DATE
            seen[row.code] = row.org_type


def test_every_member_passes_the_member_rules(small):
    ids = set()
    for unit in small:
        for m in unit.members:
            parsed = idcard.parse(m.id_number, today=REFERENCE_DATE)
            assert not rules.record_errors(
                id_number=parsed,
                birth_date=m.birth_date,
                gender=m.gender,
                joined_on=m.joined_on,
                full_member_on=m.full_member_on,
                status=m.status,
                today=REFERENCE_DATE,
            ), m
            if m.phone:
                assert normalize_phone(m.phone) == m.phone
            assert m.ethnicity in ETHNICITIES and m.education in Education.values
            if unit.level == "county":
                assert m.id_number.startswith(unit.code[:6])
            ids.add(m.id_number)
    assert len(ids) == sum(len(u.members) for u in small)


def test_distributions_look_like_yunnan(small):
    members = [m for u in small for m in u.members]
    status = Counter(m.status for m in members)
    ethnicity = Counter(m.ethnicity for m in members)
    assert status[Status.FULL] / len(members) > 0.85
    for rare in (Status.PROBATIONARY, Status.MOBILE, Status.LOST_CONTACT, Status.DECEASED):
        assert 0 < status[rare] / len(members) < 0.06
    assert ethnicity.most_common(1)[0][0] == "汉族"
    assert {"彝族", "白族", "哈尼族", "傣族", "傈僳族", "藏族"} <= set(ethnicity)
    probationary = [m for m in members if m.status == Status.PROBATIONARY]
    assert all(
        m.full_member_on is None and (REFERENCE_DATE - m.joined_on).days < 365 for m in probationary
    )


def test_every_branch_and_committee_has_a_secretary_from_its_subtree(small):
    for unit in small:
        secretaries = Counter(
            p.org_code for p in unit.positions if p.title == PositionTitle.SECRETARY
        )
        for row in unit.orgs:
            if row.org_type != OrgType.GROUP and not row.dissolved_on:
                assert secretaries[row.code] == 1, row
        leaders = {p.org_code for p in unit.positions if p.title == PositionTitle.GROUP_LEADER}
        assert leaders == {r.code for r in unit.orgs if r.org_type == OrgType.GROUP}
