"""The organisation structure: the province's and prefectures' bodies, each county's
committees, townships, villages, communities, units and branches."""

import datetime as dt
import random

from faker import Faker

from dangjian.demo import clock
from dangjian.demo import geography as geo
from dangjian.demo.generator.shapes import (
    CountyShape,
    OrgRow,
    Scale,
    _date_between,
    _ordinal,
)
from dangjian.orgs.choices import OrgType


class _Tree:
    """Collects a unit's organisations in creation order (parents before children)."""

    def __init__(self, rng: random.Random, shape_sizes: dict[str, tuple[int, int]]):
        self.rng = rng
        self.sizes = shape_sizes
        self.rows: list[OrgRow] = []
        self.by_code: dict[str, OrgRow] = {}

    def add(self, code, parent_code, name, org_type, founded_on, kind="", size=0) -> OrgRow:
        row = OrgRow(code, parent_code, name, org_type, founded_on, kind, size)
        self.rows.append(row)
        self.by_code[code] = row
        return row

    def founded_after(self, parent_code: str, earliest: int, latest: int) -> dt.date:
        """A founding date in [earliest, latest] years, never before the parent's."""
        start = dt.date(earliest, 1, 1)
        parent = self.by_code.get(parent_code)
        if parent is not None:
            start = max(start, parent.founded_on + dt.timedelta(days=30))
        end = max(start, dt.date(latest, 12, 31))
        return _date_between(self.rng, start, min(end, clock.today() - dt.timedelta(days=400)))

    def branch(self, code, parent_code, name, kind, *, years=(1980, 2015), size=None) -> OrgRow:
        lo, hi = self.sizes[kind]
        size = size if size is not None else self.rng.randint(lo, hi)
        founded = self.founded_after(parent_code, *years)
        return self.add(code, parent_code, name, OrgType.BRANCH, founded, kind, size)

    def groups(self, branch: OrgRow, threshold: int, per_group: int) -> None:
        """党小组 for a large branch (支部工作条例第八条: 党员人数较多的党支部可划分党小组)."""
        if branch.size < threshold:
            return
        count = max(2, min(5, branch.size // per_group))
        for i in range(1, count + 1):
            self.add(
                f"{branch.code}G{i}",
                branch.code,
                f"第{_ordinal(i)}党小组",
                OrgType.GROUP,
                self.founded_after(branch.code, 1990, 2020),
            )


def _village_name(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < 0.2:
            stem = rng.choice(geo.VILLAGE_WORDS)
        else:
            stem = rng.choice(geo.VILLAGE_PREFIXES) + rng.choice(geo.VILLAGE_SUFFIXES)
        if stem not in used:
            used.add(stem)
            return stem


def _grassroots(tree: _Tree, shape: CountyShape, parent_code, code, stem, kind) -> None:
    """A village or community: a 党支部, or a 党总支 with branches; 党小组 in large ones."""
    rng = tree.rng
    name = stem + ("村" if kind == "village" else "社区")
    if rng.random() < shape.general_branch_share:
        years = (1960, 2005) if kind == "village" else (1995, 2018)
        general = tree.add(
            code,
            parent_code,
            f"{name}党总支",
            OrgType.GENERAL_BRANCH,
            tree.founded_after(parent_code, *years),
        )
        total = rng.randint(*shape.sizes["general"])
        parts = rng.randint(*shape.sub_branches)
        for i in range(1, parts + 1):
            share = total // parts + (1 if i <= total % parts else 0)
            sub = tree.branch(
                f"{code}B{i:02d}",
                general.code,
                f"{name}第{_ordinal(i)}党支部",
                kind,
                years=(general.founded_on.year, 2018),
                size=share,
            )
            tree.groups(sub, shape.group_threshold, shape.members_per_group)
        return
    years = (1955, 2000) if kind == "village" else (1990, 2018)
    branch = tree.branch(code, parent_code, f"{name}党支部", kind, years=years)
    tree.groups(branch, shape.group_threshold, shape.members_per_group)


def _merged_away(tree: _Tree, parent_code: str, code: str, kind: str, into: str) -> None:
    """A branch dissolved when its village merged into another (撤并): no members left."""
    suffix = "村" if kind == "village" else "社区"
    row = tree.add(
        code,
        parent_code,
        f"原{_village_name(tree.rng, set())}{suffix}党支部",
        OrgType.BRANCH,
        tree.founded_after(parent_code, 1960, 1995),
        kind,
        0,
    )
    row.dissolved_on = _date_between(tree.rng, dt.date(2019, 3, 1), dt.date(2021, 10, 31))
    row.dissolve_reason = f"村（社区）规模调整，并入{into}，党员组织关系已全部转入{into}党组织"


def county_orgs(
    rng: random.Random,
    fake: Faker,
    pref: geo.Prefecture,
    county: geo.County,
    shape: CountyShape,
    *,
    dissolved: bool,
) -> list[OrgRow]:
    """The organisations of one county, in creation order (parents first)."""
    tree = _Tree(rng, shape.sizes)
    kcode = f"{county.code}000000"
    tree.add(
        kcode,
        f"{pref.code}00000000",
        county.committee_name,
        OrgType.COUNTY_COMMITTEE,
        _date_between(rng, dt.date(1950, 3, 1), dt.date(1956, 12, 31)),
    )
    prefix = county.prefix
    for i, organ in enumerate(geo.CORE_ORGANS[: shape.core_organs], 1):
        tree.branch(f"{kcode}J{i:02d}", kcode, f"{prefix}{organ}党支部", "organ")
    systems = [
        ("W01", f"{prefix}直属机关工委", OrgType.WORKING_COMMITTEE, "D", shape.departments),
        ("C01", f"{prefix}教育系统党委", OrgType.COMMITTEE, "S", shape.schools),
        ("C02", f"{prefix}卫生健康系统党委", OrgType.COMMITTEE, "H", shape.hospitals),
        (
            "W02",
            f"{prefix}非公经济和社会组织工委",
            OrgType.WORKING_COMMITTEE,
            "E",
            shape.enterprises,
        ),
    ]
    schools = ["第一中学", "第二中学", "民族中学", "职业高级中学", "第一小学", "第二小学"]
    for suffix, name, org_type, letter, count in systems:
        if not count:
            continue
        scode = f"{kcode}{suffix}"
        tree.add(scode, kcode, name, org_type, tree.founded_after(kcode, 1985, 2012))
        for i in range(1, count + 1):
            if letter == "D":
                unit, kind = prefix + geo.DEPARTMENTS[(i - 1) % len(geo.DEPARTMENTS)], "organ"
            elif letter == "S":
                kind = "school"
                unit = prefix + (schools[i - 1] if i <= len(schools) else f"第{i}中心学校")
            elif letter == "H":
                unit, kind = prefix + geo.HOSPITALS[(i - 1) % len(geo.HOSPITALS)], "hospital"
            else:
                unit, kind = fake.company(), "enterprise"
            branch = tree.branch(f"{scode}{letter}{i:02d}", scode, f"{unit}党支部", kind)
            tree.groups(branch, shape.group_threshold, shape.members_per_group)

    # Towns and streets, numbered like the statistical division codes:
    # 街道 001–099, 镇 101–199, 乡 201–299; 社区 001–199 and 村 201–399 within each.
    streets = towns = 0
    if county.kind == "district":
        streets = rng.randint(*shape.streets)
    elif county.kind == "city":
        streets = shape.streets[0] // 3
        towns = rng.randint(*shape.towns)
    else:
        towns = rng.randint(*shape.towns)
    places = [("street", n) for n in rng.sample(geo.STREET_STEMS, streets)]
    places += [("town", n) for n in rng.sample(geo.TOWN_STEMS, towns)]
    next_number = {"street": 1, "镇": 101, "乡": 201}
    used_village_names: set[str] = set()
    for index, (place, stem) in enumerate(places):
        if place == "street":
            level, org_type, name = "street", OrgType.WORKING_COMMITTEE, f"{stem}街道党工委"
        else:
            level = "乡" if index > streets and rng.random() < 0.3 else "镇"
            org_type, name = OrgType.COMMITTEE, f"{stem}{level}党委"
        tcode = f"{county.code}{next_number[level]:03d}000"
        next_number[level] += 1
        years = (1985, 2015) if place == "street" else (1956, 1988)
        tree.add(tcode, kcode, name, org_type, tree.founded_after(kcode, *years))
        place_name = name.removesuffix("党工委").removesuffix("党委")
        for i in range(1, rng.randint(*shape.town_organs) + 1):
            what = "机关" if i == 1 else ("站所" if i == 2 else f"机关第{_ordinal(i - 1)}")
            tree.branch(f"{tcode}J{i:02d}", tcode, f"{place_name}{what}党支部", "town_organ")
        count = rng.randint(*shape.villages)
        if place == "street":
            units = [("community", n) for n in range(1, count + 1)]
        else:  # the county seat has a community or two; elsewhere villages
            seat = rng.randint(1, 2) if index == streets else 0
            units = [("community", n) for n in range(1, seat + 1)]
            units += [("village", 200 + n) for n in range(1, count - seat + 1)]
        stems = rng.sample(geo.COMMUNITY_STEMS, sum(1 for kind, _ in units if kind == "community"))
        name_of = ""
        for kind, number in units:
            stem = stems.pop() if kind == "community" else _village_name(rng, used_village_names)
            code = f"{tcode[:9]}{number:03d}"
            _grassroots(tree, shape, tcode, code, stem, kind)
            name_of = stem + ("村" if kind == "village" else "社区")
        if dissolved and index == 0 and units:
            kind, number = units[-1]
            _merged_away(tree, tcode, f"{tcode[:9]}{number + 1:03d}", kind, name_of)
    return tree.rows


def province_orgs(rng: random.Random, scale: Scale) -> list[OrgRow]:
    tree = _Tree(rng, scale.shape.sizes)
    root = f"{geo.PROVINCE_CODE}000000"
    tree.add(root, None, geo.PROVINCE_COMMITTEE, OrgType.PROVINCIAL_COMMITTEE, dt.date(1950, 3, 1))
    wcode = f"{root}W01"
    tree.add(wcode, root, "省直机关工委", OrgType.WORKING_COMMITTEE, dt.date(1952, 6, 1))
    for i, organ in enumerate(geo.PROVINCIAL_ORGANS[: scale.provincial_branches], 1):
        branch = tree.branch(f"{wcode}D{i:02d}", wcode, f"{organ}机关党支部", "provincial")
        tree.groups(branch, scale.shape.group_threshold, scale.shape.members_per_group)
    return tree.rows


def city_orgs(rng: random.Random, scale: Scale, pref: geo.Prefecture) -> list[OrgRow]:
    tree = _Tree(rng, scale.shape.sizes)
    ccode = f"{pref.code}00000000"
    tree.add(
        ccode,
        f"{geo.PROVINCE_CODE}000000",
        pref.committee_name,
        OrgType.CITY_COMMITTEE,
        _date_between(rng, dt.date(1950, 3, 1), dt.date(1958, 12, 31)),
    )
    prefix = pref.committee_name[:-1]  # 昆明市, 楚雄州
    wcode = f"{ccode}W01"
    tree.add(
        wcode,
        ccode,
        f"{prefix}直机关工委",
        OrgType.WORKING_COMMITTEE,
        tree.founded_after(ccode, 1960, 1990),
    )
    organs = [*geo.CORE_ORGANS, *geo.DEPARTMENTS]
    for i in range(1, scale.city_branches + 1):
        organ = organs[(i - 1) % len(organs)]
        branch = tree.branch(f"{wcode}D{i:02d}", wcode, f"{prefix}{organ}党支部", "provincial")
        tree.groups(branch, scale.shape.group_threshold, scale.shape.members_per_group)
    return tree.rows
