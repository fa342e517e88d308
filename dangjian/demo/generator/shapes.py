"""The demo's sizes and shapes (scales, what a county holds), the rows it yields, and
small drawing helpers."""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from dangjian.demo import geography as geo

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
