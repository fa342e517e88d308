"""Rules of organisational life, as pure functions (no database).

Sources:
- 《中国共产党支部工作条例（试行）》(2018) 第十六条: 党支部应当组织党员按期参加党员大会、
  党小组会和上党课，定期召开支部委员会会议。党员大会一般每季度召开1次，支部委员会会议
  一般每月召开1次，党小组会一般每月召开1次，党课一般每季度1次。党支部每月相对固定1天开展
  主题党日。
- 同条例 第十八条、第十九条: 每年至少召开1次组织生活会，一般安排在第四季度；
  每年开展1次民主评议党员。
- 《中国共产党章程》第七条、第十六条: 预备党员没有表决权；表决要有超过应到会有表决权的
  党员的半数同意。
- 云南省委组织部 (seed 000): 60岁以上党员不要求在手机平台打卡；驻村工作队队员节假日到村
  工作也能计入工作时长。
- 德兴 "德·红云" (seed 004): 对每月20日之前未完成主题党日的，系统自动发送警示信息到支部
  管理员。

Local rules differ (党课 especially), so the frequencies are configuration:
``settings.ORGLIFE_FREQUENCIES`` overrides any entry of :data:`DEFAULT_FREQUENCIES`
(a count of 0 switches a requirement off).
"""

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from dangjian.members.rules import age_on
from dangjian.orglife.choices import MeetingKind, PeriodUnit

# --- Frequencies -------------------------------------------------------------------


@dataclass(frozen=True)
class Frequency:
    """At least ``count`` held meetings in every ``unit`` (per group for 党小组会)."""

    unit: str
    count: int


DEFAULT_FREQUENCIES: dict[str, Frequency] = {
    MeetingKind.MEMBER_ASSEMBLY: Frequency(PeriodUnit.QUARTER, 1),  # 第十六条
    MeetingKind.COMMITTEE: Frequency(PeriodUnit.MONTH, 1),  # 第十六条
    MeetingKind.GROUP: Frequency(PeriodUnit.MONTH, 1),  # 第十六条, per 党小组
    MeetingKind.LECTURE: Frequency(PeriodUnit.QUARTER, 1),  # 第十六条
    MeetingKind.THEME_DAY: Frequency(PeriodUnit.MONTH, 1),  # 第十六条 主题党日
    MeetingKind.LIFE_MEETING: Frequency(PeriodUnit.YEAR, 1),  # 第十八条
    MeetingKind.APPRAISAL: Frequency(PeriodUnit.YEAR, 1),  # 第十九条
}
UNIT_MONTHS = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.YEAR: 12}


def frequencies() -> dict[str, Frequency]:
    """The defaults with the deployment's overrides (``settings.ORGLIFE_FREQUENCIES``).

    An override is ``{"lecture": ("month", 1)}`` or a :class:`Frequency`.
    """
    result = dict(DEFAULT_FREQUENCIES)
    for kind, value in getattr(settings, "ORGLIFE_FREQUENCIES", {}).items():
        result[MeetingKind(kind)] = value if isinstance(value, Frequency) else Frequency(*value)
    return result


# --- Periods -----------------------------------------------------------------------

MSG_BAD_PERIOD = "期间格式应为 2026-11（月）、2026Q4（季度）或 2026（年）"
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|Q([1-4]))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A month, quarter or year: ``first`` and ``last`` days inclusive."""

    first: dt.date
    last: dt.date
    unit: str
    key: str  # "2026-11", "2026Q4", "2026"

    @property
    def label(self) -> str:
        if self.unit == PeriodUnit.MONTH:
            return f"{self.first.year}年{self.first.month}月"
        if self.unit == PeriodUnit.QUARTER:
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        return f"{self.first.year}年"

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month_period(year: int, month: int) -> Period:
    return Period(
        dt.date(year, month, 1), _month_end(year, month), PeriodUnit.MONTH, f"{year}-{month:02d}"
    )


def quarter_period(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    return Period(
        dt.date(year, first_month, 1),
        _month_end(year, first_month + 2),
        PeriodUnit.QUARTER,
        f"{year}Q{quarter}",
    )


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodUnit.YEAR, str(year))


def parse_period(text: str) -> Period:
    """ "2026-11", "2026Q4" or "2026" → Period; ValueError (with a Chinese message) otherwise."""
    match = _PERIOD.match((text or "").strip().upper())
    if not match:
        raise ValueError(MSG_BAD_PERIOD)
    year = int(match[1])
    if not 2000 <= year <= 2100:
        raise ValueError(MSG_BAD_PERIOD)
    if match[2]:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(MSG_BAD_PERIOD)
        return month_period(year, month)
    if match[3]:
        return quarter_period(year, int(match[3]))
    return year_period(year)


def period_of(day: dt.date, unit: str) -> Period:
    """The month, quarter or year containing ``day``."""
    if unit == PeriodUnit.MONTH:
        return month_period(day.year, day.month)
    if unit == PeriodUnit.QUARTER:
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    return year_period(day.year)


def units_in(period: Period, unit: str) -> list[Period]:
    """The ``unit``-long periods making up ``period`` (none if ``unit`` is longer)."""
    if UNIT_MONTHS[unit] > UNIT_MONTHS[period.unit]:
        return []
    result = []
    day = period.first
    while day <= period.last:
        part = period_of(day, unit)
        result.append(part)
        day = part.last + dt.timedelta(days=1)
    return result


# --- Exemptions --------------------------------------------------------------------


def required_from(founded_on: dt.date) -> dt.date:
    """First day a new organisation's duties start: a branch founded this month is
    exempt until next month (the first of the month after its founding)."""
    last = _month_end(founded_on.year, founded_on.month)
    return last + dt.timedelta(days=1)


def is_required(
    unit: Period, *, founded_on: dt.date, dissolved_on: dt.date | None, today: dt.date
) -> bool:
    """Whether the organisation owes meetings for ``unit``: it had begun (not in its
    founding month only), it still existed, and the unit has started."""
    return (
        unit.last >= required_from(founded_on)
        and (dissolved_on is None or unit.first <= dissolved_on)
        and unit.first <= today
    )


# --- Compliance of one branch ------------------------------------------------------


@dataclass(frozen=True)
class OrgFacts:
    """What compliance needs of an organisation (a branch, or one of its groups)."""

    pk: int
    founded_on: dt.date
    dissolved_on: dt.date | None = None


@dataclass(frozen=True)
class BranchFacts(OrgFacts):
    groups: tuple[OrgFacts, ...] = ()


@dataclass
class KindResult:
    """For one kind in one period: units owed, met, missed (over) and pending (running)."""

    required: int = 0
    met: int = 0
    missed: int = 0
    pending: int = 0
    held: int = 0  # held meetings of the kind in the period, whatever the requirement

    def add(self, other: "KindResult") -> None:
        self.required += other.required
        self.met += other.met
        self.missed += other.missed
        self.pending += other.pending
        self.held += other.held

    @property
    def ok(self) -> bool:
        return self.missed == 0


@dataclass
class Compliance:
    """Compliance of a branch, or the sum over a subtree's branches."""

    branches: int = 0
    branches_behind: int = 0  # branches that missed at least one requirement
    kinds: dict[str, KindResult] = field(
        default_factory=lambda: {kind: KindResult() for kind in MeetingKind.values}
    )

    def add(self, other: "Compliance") -> None:
        self.branches += other.branches
        self.branches_behind += other.branches_behind
        for kind, result in other.kinds.items():
            self.kinds[kind].add(result)

    @property
    def behind_on(self) -> list[str]:
        """The kinds with a missed requirement, in MeetingKind order."""
        return [kind for kind in MeetingKind.values if self.kinds[kind].missed]

    @property
    def required(self) -> int:
        return sum(r.required for r in self.kinds.values())

    @property
    def met(self) -> int:
        return sum(r.met for r in self.kinds.values())

    @property
    def rate(self) -> float | None:
        """Share of owed units met (None when nothing was owed)."""
        return self.met / self.required if self.required else None


# held[(kind, group_pk or None)] = dates of the held meetings of that kind (and group)
HeldDates = Mapping[tuple[str, int | None], Sequence[dt.date]]


def _judge(
    org: OrgFacts, dates: Sequence[dt.date], freq: Frequency, period: Period, today: dt.date
) -> KindResult:
    result = KindResult()
    for unit in units_in(period, freq.unit):
        if freq.count <= 0 or not is_required(
            unit, founded_on=org.founded_on, dissolved_on=org.dissolved_on, today=today
        ):
            continue
        result.required += 1
        if sum(1 for d in dates if unit.contains(d)) >= freq.count:
            result.met += 1
        elif unit.last >= today:
            result.pending += 1
        else:
            result.missed += 1
    return result


def evaluate_branch(
    branch: BranchFacts,
    held: HeldDates,
    period: Period,
    today: dt.date,
    freqs: Mapping[str, Frequency] | None = None,
) -> Compliance:
    """A branch's compliance for ``period`` as of ``today``: per kind, the units owed
    (months, quarters, years inside the period, from the month after founding), met,
    missed and still running. 党小组会 are owed per group."""
    freqs = freqs if freqs is not None else frequencies()
    result = Compliance(branches=1)
    for kind in MeetingKind.values:
        freq = freqs.get(kind)
        orgs = branch.groups if kind == MeetingKind.GROUP else (branch,)
        for org in orgs:
            key = (kind, org.pk if kind == MeetingKind.GROUP else None)
            dates = [d for d in held.get(key, ()) if period.contains(d)]
            part = _judge(org, dates, freq, period, today) if freq is not None else KindResult()
            part.held = len(dates)
            result.kinds[kind].add(part)
    result.branches_behind = 1 if result.behind_on else 0
    return result


def aggregate(results: Iterable[Compliance]) -> Compliance:
    """The sum of branches' compliance (a subtree's figure is exactly this sum)."""
    total = Compliance()
    for each in results:
        total.add(each)
    return total


# --- Warnings ----------------------------------------------------------------------

WARNING_DAY = 20  # 每月20日之前未完成主题党日的 → 警示


def needs_theme_day_warning(
    branch: OrgFacts, theme_days_held: int, month: Period, today: dt.date
) -> bool:
    """On/after the 20th, a branch owing this month's 主题党日 with none held is warned."""
    return (
        today.day >= WARNING_DAY
        and month.contains(today)
        and theme_days_held == 0
        and is_required(
            month, founded_on=branch.founded_on, dissolved_on=branch.dissolved_on, today=today
        )
    )


# --- Attendance --------------------------------------------------------------------

PHONE_EXEMPT_AGE = 60


def is_phone_exempt(birth: dt.date, day: dt.date) -> bool:
    """Aged 60 or over on the meeting day: never required to check in by phone."""
    return age_on(birth, day) >= PHONE_EXEMPT_AGE


def counts_for_member(*, workday: bool, village_team: bool) -> bool:
    """Whether a meeting on this day counts in a member's own attendance rate.

    Meetings on rest days (weekends, official holidays) are voluntary for ordinary
    members: attending them is recorded but never held against anyone. A village
    work-team member (驻村工作队员) is on duty in the village on rest days, so theirs
    count.
    """
    return workday or village_team


def attendance_rate(present: int, expected: int) -> float | None:
    """实到 / 应到 (None when nobody was expected)."""
    return present / expected if expected else None


def resolution_passes(votes_for: int, eligible: int) -> bool:
    """More than half of the members with voting rights voted for it (党章第十六条)."""
    return eligible > 0 and votes_for * 2 > eligible


# --- Check-in window ---------------------------------------------------------------

CHECKIN_OPENS_BEFORE = dt.timedelta(minutes=60)
CHECKIN_CLOSES_AFTER = dt.timedelta(minutes=30)


def checkin_window(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Check-in opens an hour before the start and closes half an hour after the end."""
    return starts_at - CHECKIN_OPENS_BEFORE, ends_at + CHECKIN_CLOSES_AFTER
