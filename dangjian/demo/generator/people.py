"""Members: who they are by the kind of organisation they belong to (profiles), drawn
per unit with its own seeded Faker."""

import datetime as dt
import random
from dataclasses import dataclass

from faker import Faker

from dangjian.core import idcard
from dangjian.demo import clock
from dangjian.demo import geography as geo
from dangjian.demo.generator.shapes import MemberRow, OrgRow, _weighted
from dangjian.members.choices import Education, Status
from dangjian.members.rules import add_years
from dangjian.orgs.choices import OrgType


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
        today = clock.today()
        birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        birth = min(birth, add_years(today, -age))
        ethnicity = _weighted(rng, self.ethnicities)
        if status == Status.PROBATIONARY:
            joined = today - dt.timedelta(days=rng.randint(20, 340))
            full = None
        else:
            span = max(1, min(age, 60) - 19)
            join_age = 18 + int(rng.betavariate(1.6, 4.0) * span)
            joined = add_years(birth, join_age) + dt.timedelta(days=rng.randint(0, 300))
            joined = min(joined, today - dt.timedelta(days=400 + rng.randint(0, 200)))
            full = add_years(joined, 1) + dt.timedelta(days=rng.randint(0, 45))
            full = min(full, today)
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
