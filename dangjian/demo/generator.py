"""The demo province as plain data: organisations, members and posts, deterministically.

Nothing here touches the database: :func:`plan` yields :class:`Unit` objects (the
province's own bodies, then each prefecture, then each of its counties) that
:mod:`dangjian.demo.seeding` writes through the bulk services, one transaction each.

Determinism: every unit draws from its own ``random.Random`` and its own seeded Faker,
keyed by the seed and the unit's code, so a unit is the same whatever is generated
before it, on any machine (same Python and Faker versions). Dates never come from the
clock: they are drawn at or before :data:`REFERENCE_DATE`, the fixed "today" of the demo
data — re-running tomorrow gives byte-identical rows.

ID numbers: a county's members get the county's region code and a sequence in
000–899; the provincial and prefectural bodies' staff use a county of their area with
sequences 950–999 (province) and 900–949 (prefecture), so numbers are unique without
any global bookkeeping.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from faker import Faker

from dangjian.core import idcard
from dangjian.demo import geography as geo
from dangjian.members.choices import Education, Status
from dangjian.members.rules import add_years
from dangjian.orgs.choices import OrgType, PositionTitle

# The demo's "today": every generated date is on or before it (see module docstring).
REFERENCE_DATE = dt.date(2026, 11, 1)

CHINESE_ORDINALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class CountyShape:
    """How much of a county to generate (ranges are inclusive)."""

    core_organs: int  # 机关党支部 directly under the county committee
    departments: int  # branches under the county's 直属机关工委 (0: no 工委)
    schools: int  # branches under its 教育系统党委
    hospitals: int  # branches under its 卫生健康系统党委
    enterprises: int  # branches under its 非公有制经济组织和社会组织工委
    streets: tuple[int, int]  # 街道 in a district (区); a county-level city has a third
    towns: tuple[int, int]  # 乡镇 in a county (县) or county-level city
    town_organs: tuple[int, int]  # 机关/站所 branches per town
    villages: tuple[int, int]  # 村 (or 社区 in a 街道) per town
    general_branch_share: float  # share of villages organised as a 党总支
    sub_branches: tuple[int, int]  # branches under a 党总支
    group_threshold: int  # branches with at least this many members have 党小组
    members_per_group: int
    sizes: dict[str, tuple[int, int]]  # members per branch, by kind
    dissolved: bool  # one 村 merged away: a dissolved branch with no members


@dataclass(frozen=True)
class Scale:
    name: str
    label: str
    counties: dict[str, int] | tuple[str, ...] | None  # per prefecture; codes; None = all
    default_counties: int  # per prefecture when ``counties`` is a dict without it
    provincial_branches: int
    city_branches: int
    shape: CountyShape
    dissolved_counties: int | None  # how many counties get the dissolved branch (None: all)


SMALL_SIZES = {
    "village": (22, 50),
    "community": (22, 50),
    "general": (50, 80),
    "organ": (15, 30),
    "town_organ": (15, 25),
    "school": (10, 24),
    "hospital": (15, 35),
    "enterprise": (3, 9),
    "provincial": (18, 30),
}
FULL_SIZES = {
    "village": (40, 140),
    "community": (35, 120),
    "general": (120, 300),
    "organ": (15, 50),
    "town_organ": (18, 45),
    "school": (10, 45),
    "hospital": (20, 90),
    "enterprise": (3, 15),
    "provincial": (20, 70),
}

SMALL_SHAPE = CountyShape(
    core_organs=1,
    departments=0,
    schools=0,
    hospitals=0,
    enterprises=0,
    streets=(1, 1),
    towns=(1, 1),
    town_organs=(0, 0),
    villages=(2, 3),
    general_branch_share=0.2,
    sub_branches=(2, 2),
    group_threshold=45,
    members_per_group=15,
    sizes=SMALL_SIZES,
    dissolved=True,
)
FULL_SHAPE = CountyShape(
    core_organs=len(geo.CORE_ORGANS),
    departments=30,
    schools=22,
    hospitals=7,
    enterprises=55,
    streets=(8, 12),
    towns=(10, 16),
    town_organs=(2, 3),
    villages=(8, 13),
    general_branch_share=0.3,
    sub_branches=(2, 4),
    group_threshold=30,
    members_per_group=22,
    sizes=FULL_SIZES,
    dissolved=True,
)

SCALES = {
    "small": Scale(
        name="small",
        label="小规模（全省16个市州、33个县区，约300个组织、5000名党员）",
        counties={"5301": 3},
        default_counties=2,
        provincial_branches=3,
        city_branches=1,
        shape=SMALL_SHAPE,
        dissolved_counties=1,
    ),
    "county": Scale(
        name="county",
        label="一个完整的县（禄劝县），约1300个组织、2万名党员",
        counties=("530128",),
        default_counties=0,
        provincial_branches=8,
        city_branches=2,
        shape=FULL_SHAPE,
        dissolved_counties=None,
    ),
    "province": Scale(
        name="province",
        label="全省（129个县区），约15万个组织、250万名党员",
        counties=None,
        default_counties=0,
        provincial_branches=len(geo.PROVINCIAL_ORGANS),
        city_branches=len(geo.DEPARTMENTS),
        shape=FULL_SHAPE,
        dissolved_counties=None,
    ),
}


@dataclass(slots=True)
class OrgRow:
    code: str
    parent_code: str | None
    name: str
    org_type: str
    founded_on: dt.date
    kind: str = ""  # what its members are like (village, organ, ...); "" for committees
    size: int = 0  # members to generate (branches only)
    dissolved_on: dt.date | None = None
    dissolve_reason: str = ""


@dataclass(slots=True)
class MemberRow:
    branch_code: str
    group_code: str | None
    name: str
    gender: str
    ethnicity: str
    birth_date: dt.date
    id_number: str
    phone: str
    education: str
    occupation: str
    joined_on: dt.date
    full_member_on: dt.date | None
    status: str


@dataclass(slots=True)
class PositionRow:
    org_code: str
    id_number: str  # the member's
    title: str
    started_on: dt.date


@dataclass
class Unit:
    """One transaction's worth: a body and everything generated under it."""

    code: str  # the head organisation's code
    label: str
    level: str  # province, city or county
    orgs: list[OrgRow]
    members: list[MemberRow] = field(default_factory=list)
    positions: list[PositionRow] = field(default_factory=list)
    # Organisations chosen to hold demo accounts: level → code.
    anchors: dict[str, str] = field(default_factory=dict)
    # Fills ``members`` and ``positions`` (deferred: dry runs and resumed runs skip it).
    populate: Callable[[], None] = field(default=lambda: None, repr=False)


# --- Small helpers ---------------------------------------------------------------------


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _weighted(rng: random.Random, table) -> str:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def _ordinal(n: int) -> str:
    return CHINESE_ORDINALS[n - 1] if n <= 10 else str(n)


def selected_counties(scale: Scale) -> list[tuple[geo.Prefecture, list[geo.County]]]:
    """The prefectures (all 16, always) with the counties this scale generates."""
    result = []
    for pref in geo.PREFECTURES:
        if scale.counties is None:
            counties = list(pref.counties)
        elif isinstance(scale.counties, tuple):
            counties = [c for c in pref.counties if c.code in scale.counties]
        else:
            counties = list(pref.counties[: scale.counties.get(pref.code, scale.default_counties)])
        result.append((pref, counties))
    return result


# --- Organisation structure ----------------------------------------------------------


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
        return _date_between(self.rng, start, min(end, REFERENCE_DATE - dt.timedelta(days=400)))

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


# --- Members ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What the members of one kind of branch are like."""

    male: float
    ages: tuple[tuple[tuple[int, int], int], ...]
    education_young: tuple[tuple[str, int], ...]
    education_old: tuple[tuple[str, int], ...]
    occupations: tuple[tuple[str, int], ...]
    statuses: tuple[tuple[str, int], ...]


E = Education
_VILLAGE_STATUSES = (
    (Status.FULL, 845),
    (Status.PROBATIONARY, 25),
    (Status.MOBILE, 80),
    (Status.LOST_CONTACT, 15),
    (Status.DECEASED, 25),
    (Status.SUSPENDED, 8),
    (Status.EXPELLED, 2),
)
_STAFF_STATUSES = (
    (Status.FULL, 965),
    (Status.PROBATIONARY, 30),
    (Status.SUSPENDED, 3),
    (Status.DECEASED, 2),
)
_STAFF_AGES = (((23, 35), 30), ((36, 45), 30), ((46, 59), 40))
_GRADUATES = ((E.COLLEGE, 15), (E.BACHELOR, 65), (E.POSTGRADUATE, 20))
_CADRES_OLD = (
    (E.HIGH_SCHOOL, 3),
    (E.SECONDARY_VOCATIONAL, 5),
    (E.COLLEGE, 27),
    (E.BACHELOR, 55),
    (E.POSTGRADUATE, 10),
)
_CADRE_JOBS = (("党政机关工作人员", 80), ("事业单位管理人员", 15), ("工勤技能人员", 5))

PROFILES = {
    "village": Profile(
        male=0.8,
        ages=(((20, 35), 12), ((36, 45), 16), ((46, 60), 32), ((61, 75), 27), ((76, 92), 13)),
        education_young=(
            (E.JUNIOR_OR_BELOW, 35),
            (E.HIGH_SCHOOL, 20),
            (E.SECONDARY_VOCATIONAL, 18),
            (E.COLLEGE, 17),
            (E.BACHELOR, 10),
        ),
        education_old=(
            (E.JUNIOR_OR_BELOW, 70),
            (E.HIGH_SCHOOL, 18),
            (E.SECONDARY_VOCATIONAL, 8),
            (E.COLLEGE, 3),
            (E.BACHELOR, 1),
        ),
        occupations=(
            ("农牧渔民", 72),
            ("村干部", 8),
            ("个体工商户", 6),
            ("外出务工人员", 8),
            ("乡村教师", 2),
            ("乡村医生", 2),
            ("其他", 2),
        ),
        statuses=_VILLAGE_STATUSES,
    ),
    "community": Profile(
        male=0.55,
        ages=(((20, 35), 10), ((36, 45), 12), ((46, 60), 23), ((61, 75), 35), ((76, 92), 20)),
        education_young=(
            (E.JUNIOR_OR_BELOW, 8),
            (E.HIGH_SCHOOL, 15),
            (E.SECONDARY_VOCATIONAL, 12),
            (E.COLLEGE, 30),
            (E.BACHELOR, 32),
            (E.POSTGRADUATE, 3),
        ),
        education_old=(
            (E.JUNIOR_OR_BELOW, 30),
            (E.HIGH_SCHOOL, 30),
            (E.SECONDARY_VOCATIONAL, 15),
            (E.COLLEGE, 15),
            (E.BACHELOR, 10),
        ),
        occupations=(
            ("社区工作者", 15),
            ("个体工商户", 15),
            ("企业职工", 35),
            ("自由职业者", 15),
            ("无固定职业", 12),
            ("学生", 8),
        ),
        statuses=(
            (Status.FULL, 900),
            (Status.PROBATIONARY, 25),
            (Status.MOBILE, 30),
            (Status.LOST_CONTACT, 15),
            (Status.DECEASED, 25),
            (Status.SUSPENDED, 5),
        ),
    ),
    "organ": Profile(0.62, _STAFF_AGES, _GRADUATES, _CADRES_OLD, _CADRE_JOBS, _STAFF_STATUSES),
    "town_organ": Profile(
        0.68,
        _STAFF_AGES,
        ((E.COLLEGE, 30), (E.BACHELOR, 65), (E.POSTGRADUATE, 5)),
        ((E.SECONDARY_VOCATIONAL, 10), (E.COLLEGE, 40), (E.BACHELOR, 50)),
        (("乡镇机关干部", 75), ("事业单位管理人员", 20), ("工勤技能人员", 5)),
        _STAFF_STATUSES,
    ),
    "provincial": Profile(
        0.6,
        _STAFF_AGES,
        ((E.BACHELOR, 45), (E.POSTGRADUATE, 55)),
        ((E.COLLEGE, 5), (E.BACHELOR, 55), (E.POSTGRADUATE, 40)),
        _CADRE_JOBS,
        _STAFF_STATUSES,
    ),
    "school": Profile(
        0.42,
        (((23, 35), 35), ((36, 45), 35), ((46, 59), 30)),
        ((E.COLLEGE, 10), (E.BACHELOR, 78), (E.POSTGRADUATE, 12)),
        ((E.COLLEGE, 30), (E.BACHELOR, 65), (E.POSTGRADUATE, 5)),
        (("教师", 85), ("学校管理人员", 15)),
        _STAFF_STATUSES,
    ),
    "hospital": Profile(
        0.38,
        (((23, 35), 35), ((36, 45), 35), ((46, 59), 30)),
        ((E.SECONDARY_VOCATIONAL, 8), (E.COLLEGE, 30), (E.BACHELOR, 52), (E.POSTGRADUATE, 10)),
        ((E.SECONDARY_VOCATIONAL, 15), (E.COLLEGE, 35), (E.BACHELOR, 45), (E.POSTGRADUATE, 5)),
        (("医生", 45), ("护士", 30), ("医技人员", 10), ("事业单位管理人员", 15)),
        _STAFF_STATUSES,
    ),
    "enterprise": Profile(
        0.62,
        (((22, 35), 45), ((36, 45), 35), ((46, 59), 20)),
        ((E.HIGH_SCHOOL, 10), (E.SECONDARY_VOCATIONAL, 15), (E.COLLEGE, 35), (E.BACHELOR, 40)),
        ((E.HIGH_SCHOOL, 25), (E.SECONDARY_VOCATIONAL, 20), (E.COLLEGE, 35), (E.BACHELOR, 20)),
        (("企业管理人员", 30), ("专业技术人员", 30), ("工人", 40)),
        (
            (Status.FULL, 900),
            (Status.PROBATIONARY, 60),
            (Status.MOBILE, 30),
            (Status.LOST_CONTACT, 10),
        ),
    ),
}


class People:
    """Makes believable members for one unit (one RNG stream, one seeded Faker)."""

    def __init__(
        self,
        rng: random.Random,
        fake: Faker,
        ethnicities,
        regions: list[str],
        sequences: tuple[int, int],
    ):
        self.rng = rng
        self.fake = fake
        self.ethnicities = ethnicities
        self.regions = regions
        self.sequences = sequences
        self.used: set[str] = set()

    def _name(self, ethnicity: str, male: bool) -> str:
        rng = self.rng
        if ethnicity == "藏族":
            return rng.choice(geo.TIBETAN_MALE if male else geo.TIBETAN_FEMALE)
        if ethnicity == "傣族":
            return ("岩" if male else "玉") + rng.choice(
                geo.DAI_MALE_GIVEN if male else geo.DAI_FEMALE_GIVEN
            )
        fake = self.fake  # zh_CN has one name format; pick the given name by sex ourselves
        return fake.last_name() + (fake.first_name_male() if male else fake.first_name_female())

    def _id_number(self, birth: dt.date, male: bool) -> str:
        region = self.rng.choice(self.regions)
        lo, hi = self.sequences
        while True:
            seq = self.rng.randint(lo, hi)
            if (seq % 2 == 1) != male:
                seq = seq + 1 if seq < hi else seq - 1
            number = idcard.build(region, birth, seq)
            if number not in self.used:
                self.used.add(number)
                return number

    def member(self, branch: OrgRow, group_code: str | None, *, cadre: bool) -> MemberRow:
        """One member; ``cadre`` ones are full members of working age (post holders)."""
        rng = self.rng
        profile = PROFILES[branch.kind]
        status = Status.FULL if cadre else _weighted(rng, profile.statuses)
        if cadre:
            low, high = (28, 58)
        elif status == Status.PROBATIONARY:
            low, high = (20, 40)
        else:
            low, high = _weighted(rng, [(band, w) for band, w in profile.ages])
        age = rng.randint(low, high)
        if (status == Status.DECEASED and age < 60) or (status == Status.MOBILE and age >= 60):
            status = Status.FULL
        male = rng.random() < profile.male
        birth = REFERENCE_DATE - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        birth = min(birth, add_years(REFERENCE_DATE, -age))
        ethnicity = _weighted(rng, self.ethnicities)
        if status == Status.PROBATIONARY:
            joined = REFERENCE_DATE - dt.timedelta(days=rng.randint(20, 340))
            full = None
        else:
            span = max(1, min(age, 60) - 19)
            join_age = 18 + int(rng.betavariate(1.6, 4.0) * span)
            joined = add_years(birth, join_age) + dt.timedelta(days=rng.randint(0, 300))
            joined = min(joined, REFERENCE_DATE - dt.timedelta(days=400 + rng.randint(0, 200)))
            full = add_years(joined, 1) + dt.timedelta(days=rng.randint(0, 45))
            full = min(full, REFERENCE_DATE)
        young = age < 45
        education = _weighted(rng, profile.education_young if young else profile.education_old)
        if status == Status.MOBILE and branch.kind in ("village", "community"):
            occupation = "外出务工人员"
        elif age >= 60:
            occupation = "离退休人员" if branch.kind != "village" else "农牧渔民"
        else:
            occupation = _weighted(rng, profile.occupations)
        if status == Status.DECEASED or rng.random() < 0.03:
            phone = ""
        else:
            phone = rng.choice(geo.MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        return MemberRow(
            branch_code=branch.code,
            group_code=group_code,
            name=self._name(ethnicity, male),
            gender="M" if male else "F",
            ethnicity=ethnicity,
            birth_date=birth,
            id_number=self._id_number(birth, male),
            phone=phone,
            education=education,
            occupation=occupation,
            joined_on=joined,
            full_member_on=full,
            status=status,
        )


def _members(people: People, orgs: list[OrgRow]) -> list[MemberRow]:
    groups: dict[str, list[str]] = {}
    for row in orgs:
        if row.org_type == OrgType.GROUP:
            groups.setdefault(row.parent_code, []).append(row.code)
    result = []
    for row in orgs:
        if row.org_type != OrgType.BRANCH or row.dissolved_on:
            continue
        own_groups = groups.get(row.code, [])
        for i in range(row.size):
            group = own_groups[i % len(own_groups)] if own_groups else None
            result.append(people.member(row, group, cadre=i < 3))
    return result


# --- Posts -----------------------------------------------------------------------------

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
            result.append(PositionRow(row.code, m.id_number, title, min(started, REFERENCE_DATE)))
    return result


# --- The plan --------------------------------------------------------------------------


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
