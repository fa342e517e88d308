"""Demo data: a year of organisational life for a sample of the demo province's branches.

Twelve months before the demo's today (``dangjian.demo.clock``) of 支委会, 主题党日, quarterly
党员大会 and 党课, the yearly 组织生活会 and 民主评议 — with deterministic gaps (a skipped
month, a quarter without 党课) so the compliance table and the warnings have something
to show — plus next month's meetings, planned. Everything goes through the services
(audited). Only a sample of branches gets meetings, with the demo accounts' branch first,
so the small demo stays fast; a second run adds nothing.

Then the 20th-of-month job (``orglife.theme_day_warnings``) runs for the last month of
that year, as it would have on its day: every branch that held no 主题党日 that month is
warned (the branches outside the sample held none), so the warnings pages, the compliance
page and the leaders' home pages show real warnings raised by the rule itself.
"""

import datetime as dt
import random

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.core.models import Warning
from dangjian.core.scope import Role
from dangjian.demo import clock
from dangjian.orglife import rules, services
from dangjian.orglife.choices import AttendanceStatus, MeetingKind
from dangjian.orglife.models import Meeting
from dangjian.orglife.warnings import THEME_DAY_MISSING
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

SAMPLE_BRANCHES = 8
MARKED_PER_MEETING = 6  # attendees marked by the recorder; the rest check in or are absent
GAP_RATE = 0.12
TOPICS = {
    MeetingKind.COMMITTEE: ["研究本月党建工作", "讨论发展党员工作", "研究党费收缴情况"],
    MeetingKind.THEME_DAY: ["重温入党誓词", "学习党的二十届四中全会精神", "党员志愿服务进社区"],
    MeetingKind.MEMBER_ASSEMBLY: ["通报支部工作", "讨论接收预备党员", "选举支部委员"],
    MeetingKind.LECTURE: ["书记讲党课：坚定理想信念", "党章党规专题党课"],
    MeetingKind.LIFE_MEETING: ["年度组织生活会"],
    MeetingKind.APPRAISAL: ["年度民主评议党员"],
}


def _sample() -> list[Organisation]:
    """The branches of the demo accounts first, then the first others by path."""
    active = Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True)
    with_accounts = list(
        active.filter(role_assignments__role=Role.ADMIN).distinct().order_by("path")
    )
    others = active.exclude(pk__in=[b.pk for b in with_accounts]).order_by("path")
    return (with_accounts + list(others[:SAMPLE_BRANCHES]))[:SAMPLE_BRANCHES]


def _schedule(rng: random.Random, month: rules.Period) -> list[str]:
    """The kinds a branch holds in ``month`` (with random gaps)."""
    kinds = [MeetingKind.COMMITTEE, MeetingKind.THEME_DAY]
    if month.first.month % 3 == 2:  # mid-quarter
        kinds += [MeetingKind.MEMBER_ASSEMBLY, MeetingKind.LECTURE]
    if month.first.month == 12:
        kinds += [MeetingKind.LIFE_MEETING]
    if month.first.month == 1:
        kinds += [MeetingKind.APPRAISAL]
    return [k for k in kinds if rng.random() >= GAP_RATE]


def _hold(root_user, rng, branch, kind, start: dt.datetime, *, recorded: bool) -> None:
    roster = list(services.roster(branch)[:40])
    if not roster:
        return
    meeting = services.meeting_create(
        acting_user=root_user,
        org=branch,
        kind=kind,
        topic=rng.choice(TOPICS[kind]),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="党群服务中心会议室",
        host=roster[0],
        recorder=roster[min(1, len(roster) - 1)],
        agenda="一、学习有关文件\n二、讨论本次议题\n三、布置下一步工作",
    )
    if not recorded:
        return
    for member in rng.sample(roster, min(MARKED_PER_MEETING, len(roster))):
        leave = rng.random() < 0.15
        services.attendance_mark(
            acting_user=root_user,
            meeting=meeting,
            member=member,
            status=AttendanceStatus.LEAVE if leave else AttendanceStatus.PRESENT,
            reason="外出务工" if leave else "",
            now=start,
        )
    services.meeting_record(
        acting_user=root_user,
        meeting=meeting,
        minutes=f"会议由{roster[0].name}主持，围绕“{meeting.topic}”进行了学习和讨论。",
        now=start + dt.timedelta(hours=2),
    )


def _months() -> list[rules.Period]:
    """The twelve months before the demo's today, oldest first."""
    today = clock.today()
    result, year, month = [], today.year, today.month
    for _ in range(12):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        result.append(rules.month_period(year, month))
    return result[::-1]


def seed(*, root_user, seed: int, progress) -> None:
    branches = _sample()
    if not branches or Meeting.objects.filter(branch__in=branches).exists():
        return
    rng = random.Random(f"orglife-{seed}")
    months = _months()
    for i, branch in enumerate(branches, 1):
        for month in months:
            for n, kind in enumerate(_schedule(rng, month)):
                day = month.first + dt.timedelta(days=min(5 + 4 * n + rng.randint(0, 5), 27))
                start = dt.datetime.combine(day, dt.time(9 if n % 2 == 0 else 15), TZ)
                _hold(root_user, rng, branch, kind, start, recorded=True)
        upcoming = dt.datetime.combine(clock.today() + dt.timedelta(days=14), dt.time(9), TZ)
        _hold(root_user, rng, branch, MeetingKind.THEME_DAY, upcoming, recorded=False)
        progress(f"组织生活：{branch.name}（{i}/{len(branches)}）")
    warn_last_month(months[-1], progress)


def warn_last_month(month: rules.Period, progress) -> None:
    """Run the 主题党日 warning job for ``month``'s 20th (through the job runner, so the
    slot is recorded as done)."""
    at = dt.datetime.combine(month.first.replace(day=rules.WARNING_DAY), dt.time(9), TZ)
    jobs.run("orglife.theme_day_warnings", at)
    raised = Warning.objects.filter(kind=THEME_DAY_MISSING.name, period=month.key).count()
    progress(f"主题党日预警（{month.label}20日）：{raised} 条")
