"""Jobs of organisational life (registered with core.jobs on import).

Both are idempotent — each warning and reminder is deduplicated per branch/meeting and
slot — so a run killed midway is simply run again (``dangjian run_jobs --due``).

Test-only knob: DANGJIAN_TEST_JOB_PAUSE=<seconds> sleeps after each branch warned, so
the SIGKILL test (tests/security/test_kill_jobs.py) can kill the job between branches.
"""

import datetime as dt
import os
import time

from django.urls import reverse
from django.utils import timezone

from dangjian.core import jobs, notify
from dangjian.core.calendar import TZ
from dangjian.orglife import rules, services
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, MeetingStatus
from dangjian.orglife.models import Meeting
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

PAUSE_ENV = "DANGJIAN_TEST_JOB_PAUSE"


def _pause() -> None:
    seconds = float(os.environ.get(PAUSE_ENV) or 0)
    if seconds:
        time.sleep(seconds)


@jobs.periodic("0 9 20 * *", name="orglife.theme_day_warnings")
def theme_day_warnings(*, at: dt.datetime) -> int:
    """On the 20th, warn every branch with no 主题党日 held this month (德·红云: 每月20日
    之前未完成的，系统自动发送警示信息到支部管理员). Returns the warnings raised or
    re-confirmed. Each branch commits on its own, so a kill loses at most one."""
    today = at.astimezone(TZ).date()
    month = rules.period_of(today, "month")
    start = dt.datetime.combine(month.first, dt.time.min, TZ)
    end = dt.datetime.combine(month.last + dt.timedelta(days=1), dt.time.min, TZ)
    held = set(
        Meeting.objects.filter(
            kind=MeetingKind.THEME_DAY,
            status=MeetingStatus.HELD,
            starts_at__gte=start,
            starts_at__lt=end,
        ).values_list("branch_id", flat=True)
    )
    branches = Organisation.objects.filter(
        org_type=OrgType.BRANCH, dissolved_on__isnull=True
    ).order_by("path")
    count = 0
    for branch in branches.iterator(chunk_size=1000):
        facts = rules.OrgFacts(branch.pk, branch.founded_on, branch.dissolved_on)
        if not rules.needs_theme_day_warning(facts, int(branch.pk in held), month, today):
            continue
        services.theme_day_warn(branch=branch, month=month)
        count += 1
        _pause()
    return count


@jobs.periodic("0 9 * * *", name="orglife.meeting_reminders")
def meeting_reminders(*, at: dt.datetime) -> int:
    """The day before a meeting, remind its attendees (except those on leave)."""
    tomorrow = at.astimezone(TZ).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time.min, TZ)
    meetings = Meeting.objects.filter(
        status=MeetingStatus.PLANNED,
        starts_at__gte=start,
        starts_at__lt=start + dt.timedelta(days=1),
    ).select_related("branch")
    sent = 0
    for meeting in meetings.iterator(chunk_size=500):
        member_ids = meeting.attendances.exclude(status=AttendanceStatus.LEAVE).values("member_id")
        when = timezone.localtime(meeting.starts_at, TZ)
        sent += notify.send(
            services.linked_users(member_ids),
            kind="orglife.reminder",
            title=f"明天开会：{meeting.get_kind_display()}「{meeting.topic}」",
            body=f"{when:%m月%d日 %H:%M}，{meeting.place or '地点见会议通知'}",
            url=reverse("orglife:detail", args=[meeting.pk]),
            dedupe_key=f"orglife.reminder:{meeting.pk}",
        )
    return sent
