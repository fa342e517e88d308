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

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from dangjian.core.periods import Period, PeriodUnit, month_end, units_in

# Periods live in core (shared with rollups, dues, points); orglife's callers still say
# ``rules.parse_period`` and friends, so the names stay importable from here.
from dangjian.core.periods import month_period as month_period
from dangjian.core.periods import parse_period as parse_period
from dangjian.core.periods import period_of as period_of
from dangjian.core.periods import quarter_period as quarter_period
from dangjian.core.periods import year_period as year_period
from dangjian.members.rules import age_on
from dangjian.orglife.choices import MeetingKind

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


def frequencies() -> dict[str, Frequency]:
    """The defaults with the deployment's overrides (``settings.ORGLIFE_FREQUENCIES``).

    An override is ``{"lecture": ("month", 1)}`` or a :class:`Frequency`.
    """
    result = dict(DEFAULT_FREQUENCIES)
    for kind, value in getattr(settings, "ORGLIFE_FREQUENCIES", {}).items():
        result[MeetingKind(kind)] = value if isinstance(value, Frequency) else Frequency(*value)
    return result


# --- Exemptions --------------------------------------------------------------------


def required_from(founded_on: dt.date) -> dt.date:
    """First day a new organisation's duties start: a branch founded this month is
    exempt until next month (the first of the month after its founding)."""
    last = month_end(founded_on.year, founded_on.month)
    return last + dt.timedelta(days=1)


def owes(unit: Period, *, founded_on: dt.date, dissolved_on: dt.date | None) -> bool:
    """Whether the organisation owes meetings for ``unit`` once the unit has started: it
    had begun (not in its founding month only) and it still existed. Whatever the date,
    so the compliance rollups can store it."""
    return unit.last >= required_from(founded_on) and (
        dissolved_on is None or unit.first <= dissolved_on
    )


def is_required(
    unit: Period, *, founded_on: dt.date, dissolved_on: dt.date | None, today: dt.date
) -> bool:
    """Whether the organisation owes meetings for ``unit`` today: it owes the unit
    (:func:`owes`) and the unit has started."""
    return owes(unit, founded_on=founded_on, dissolved_on=dissolved_on) and unit.first <= today


def judge_unit(result: "KindResult", unit: Period, owed: int, met: int, today: dt.date) -> None:
    """Add one unit's figures as of ``today`` to ``result``: ``owed`` organisations owe it
    (a branch, or a branch's groups), ``met`` of them held enough meetings. Units not yet
    started are not owed; the shortfall of a running unit is pending, of an ended one
    missed."""
    if not owed or unit.first > today:
        return
    result.required += owed
    result.met += met
    if unit.last >= today:
        result.pending += owed - met
    else:
        result.missed += owed - met


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


KINDS = tuple(MeetingKind.values)  # in order (``.values`` rebuilds the list at each call)


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
        default_factory=lambda: {kind: KindResult() for kind in KINDS}
    )

    def add(self, other: "Compliance") -> None:
        self.branches += other.branches
        self.branches_behind += other.branches_behind
        for kind, result in other.kinds.items():
            self.kinds[kind].add(result)

    @property
    def behind_on(self) -> list[str]:
        """The kinds with a missed requirement, in MeetingKind order."""
        return [kind for kind in KINDS if self.kinds[kind].missed]

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
    for kind in KINDS:
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
