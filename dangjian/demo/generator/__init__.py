"""The demo province as plain data: organisations, members and posts, deterministically.

Nothing here touches the database: :func:`plan` yields :class:`Unit` objects (the
province's own bodies, then each prefecture, then each of its counties) that
:mod:`dangjian.demo.seeding` writes through the bulk services, one transaction each.

Determinism: every unit draws from its own ``random.Random`` and its own seeded Faker,
keyed by the seed and the unit's code, so a unit is the same whatever is generated
before it, on any machine (same Python and Faker versions). Dates never come from the
clock: they are drawn at or before the demo's today (:func:`dangjian.demo.clock.today`:
:data:`REFERENCE_DATE` unless a ``seed_demo`` run anchors it at its month), so the same
seed and anchor give byte-identical rows on any day.

ID numbers: a county's members get the county's region code and a sequence in
000–899; the provincial and prefectural bodies' staff use a county of their area with
sequences 950–999 (province) and 900–949 (prefecture), so numbers are unique without
any global bookkeeping.

One module a section, all re-exported here: ``shapes`` (scales, rows, helpers),
``organisations``, ``people`` (members), ``posts``, ``planning`` (:func:`plan`).
"""

from dangjian.demo.clock import REFERENCE_DATE
from dangjian.demo.generator.organisations import city_orgs, county_orgs, province_orgs
from dangjian.demo.generator.people import PROFILES, E, People, Profile
from dangjian.demo.generator.planning import plan, plan_counts
from dangjian.demo.generator.posts import COMMITTEE_TITLES, TERMS, TOP_TITLES, T
from dangjian.demo.generator.shapes import (
    CHINESE_ORDINALS,
    FULL_SHAPE,
    FULL_SIZES,
    SCALES,
    SMALL_SHAPE,
    SMALL_SIZES,
    CountyShape,
    MemberRow,
    OrgRow,
    PositionRow,
    Scale,
    Unit,
    selected_counties,
)

__all__ = [
    "CHINESE_ORDINALS",
    "COMMITTEE_TITLES",
    "FULL_SHAPE",
    "FULL_SIZES",
    "PROFILES",
    "REFERENCE_DATE",
    "SCALES",
    "SMALL_SHAPE",
    "SMALL_SIZES",
    "TERMS",
    "TOP_TITLES",
    "CountyShape",
    "E",
    "MemberRow",
    "OrgRow",
    "People",
    "PositionRow",
    "Profile",
    "Scale",
    "T",
    "Unit",
    "city_orgs",
    "county_orgs",
    "plan",
    "plan_counts",
    "province_orgs",
    "selected_counties",
]
