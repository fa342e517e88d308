"""The plan: the province as a sequence of units, each drawn from its own seed."""

import random
from collections.abc import Iterator

from faker import Faker

from dangjian.demo import geography as geo
from dangjian.demo.generator.organisations import city_orgs, county_orgs, province_orgs
from dangjian.demo.generator.people import People, _members
from dangjian.demo.generator.posts import _positions
from dangjian.demo.generator.shapes import OrgRow, Scale, Unit, selected_counties
from dangjian.orgs.choices import OrgType


def plan(scale: Scale, seed: int) -> Iterator[Unit]:
    """Yield the units of the demo province in writing order (parents before children).

    Units come with their organisations; call ``unit.populate()`` for the members and
    posts. Each unit's data depends only on ``seed`` and the unit, never on which other
    units were generated or populated before it.
    """
    fake = Faker("zh_CN")
    selection = selected_counties(scale)
    all_regions = [c.code for pref, _ in selection for c in pref.counties]

    def with_people(unit: Unit, ethnicities, regions, sequences) -> Unit:
        def populate() -> None:
            if unit.members:
                return
            fake.seed_instance(f"{seed}/{unit.code}/names")
            rng = random.Random(f"{seed}/{unit.code}/members")
            people = People(rng, fake, ethnicities, regions, sequences)
            unit.members = _members(people, unit.orgs)
            unit.positions = _positions(rng, unit.orgs, unit.members)

        unit.populate = populate
        return unit

    root = f"{geo.PROVINCE_CODE}000000"
    orgs = province_orgs(random.Random(f"{seed}/{root}/orgs"), scale)
    unit = Unit(root, geo.PROVINCE_COMMITTEE, "province", orgs, anchors={"province": root})
    yield with_people(unit, geo.PROVINCE_ETHNICITIES, all_regions, (950, 999))

    county_index = 0
    for p_index, (pref, counties) in enumerate(selection):
        ccode = f"{pref.code}00000000"
        orgs = city_orgs(random.Random(f"{seed}/{ccode}/orgs"), scale, pref)
        anchors = {0: {"city": ccode}, 1: {"city_sibling": ccode}}.get(p_index, {})
        unit = Unit(ccode, pref.committee_name, "city", orgs, anchors=anchors)
        regions = [c.code for c in pref.counties]
        yield with_people(unit, pref.ethnicities, regions, (900, 949))

        for k_index, county in enumerate(counties):
            kcode = f"{county.code}000000"
            fake.seed_instance(f"{seed}/{kcode}/companies")
            dissolved = scale.shape.dissolved and (
                scale.dissolved_counties is None or county_index < scale.dissolved_counties
            )
            orgs = county_orgs(
                random.Random(f"{seed}/{kcode}/orgs"),
                fake,
                pref,
                county,
                scale.shape,
                dissolved=dissolved,
            )
            county_index += 1
            unit = Unit(kcode, county.committee_name, "county", orgs)
            if p_index == 0 and k_index == 0:
                unit.anchors = _account_anchors(orgs)
            elif p_index == 0 and k_index == 1:
                unit.anchors = {"county_sibling": kcode}
            yield with_people(unit, pref.ethnicities, [county.code], (0, 899))


def _account_anchors(orgs: list[OrgRow]) -> dict[str, str]:
    """Where a county's demo accounts sit: the county, its first town, that town's largest branch."""
    county = orgs[0]
    town = next(
        r
        for r in orgs
        if r.parent_code == county.code
        and r.org_type in (OrgType.COMMITTEE, OrgType.WORKING_COMMITTEE)
        and r.code[6:9] != "000"
    )
    inside = {town.code}
    branches = []
    for r in orgs:
        if r.parent_code in inside:
            inside.add(r.code)
            if r.org_type == OrgType.BRANCH and not r.dissolved_on:
                branches.append(r)
    branch = max(branches, key=lambda r: r.size)
    return {"county": county.code, "committee": town.code, "branch": branch.code}


def plan_counts(units) -> dict[str, int]:
    """Counts of a plan (for dry runs and tests)."""
    counts = {"orgs": 0, "branches": 0, "members": 0}
    for unit in units:
        counts["orgs"] += len(unit.orgs)
        counts["branches"] += sum(1 for r in unit.orgs if r.org_type == OrgType.BRANCH)
        counts["members"] += sum(r.size for r in unit.orgs)
    return counts
