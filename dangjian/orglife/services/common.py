"""What every section of orglife's services shares: permission checks on a meeting, its
lock, the roster (应到) and its day-dependent facts, notifications after commit."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core import notify
from dangjian.core.calendar import is_workday
from dangjian.core.scope import Perm, covers
from dangjian.members.choices import Status
from dangjian.members.models import Member
from dangjian.orglife import rules
from dangjian.orglife.choices import MeetingKind
from dangjian.orglife.models import Attendance, Meeting, VillageAssignment
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation, Position

# Who is on a meeting's roster (应到): current members able to take part; 失联党员 cannot.
ROSTER_STATUSES = (Status.FULL, Status.PROBATIONARY, Status.MOBILE)
MSG_TOPIC_LONG = "会议主题不能超过120个字"
MSG_ATTENDEES_OUTSIDE = "参会人员应为本支部（党小组）党员"
MSG_CANCELLED = "会议已取消"


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def linked_users(member_ids):
    """The active logins of these members (a list or a values() subquery)."""
    from dangjian.accounts.models import User

    return User.objects.filter(member_id__in=member_ids, is_active=True)


def _notify_on_commit(member_ids, **message) -> None:
    """Tell attendees after the write commits (never for a rolled-back write)."""
    ids = list(member_ids)
    transaction.on_commit(lambda: notify.send(linked_users(ids), **message))


def _visible(user, meeting: Meeting) -> bool:
    own = getattr(user, "member_id", None)
    return covers(user, Perm.VIEW_ORGLIFE, meeting.branch.path) or (
        own is not None and meeting.attendances.filter(member_id=own).exists()
    )


def _require_visible(user, meeting: Meeting) -> None:
    if not _visible(user, meeting):
        raise Http404("未找到")


def _require_change(user, meeting: Meeting) -> None:
    """Admins over the branch (CHANGE_ORGLIFE); 404 if not visible at all."""
    _require_visible(user, meeting)
    if not covers(user, Perm.CHANGE_ORGLIFE, meeting.branch.path):
        raise PermissionDenied("您没有权限执行此操作")


def _require_recorder(user, meeting: Meeting) -> None:
    """Admins over the branch, or the meeting's recorder."""
    _require_visible(user, meeting)
    own = getattr(user, "member_id", None)
    if own is not None and own == meeting.recorder_id:
        return
    if not covers(user, Perm.CHANGE_ORGLIFE, meeting.branch.path):
        raise PermissionDenied("您没有权限执行此操作")


def _lock(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(no_key=True, of=("self",))
        .select_related("branch", "group")
        .get(pk=meeting.pk)
    )


def roster(org: Organisation):
    """Members who may be expected at a meeting of ``org`` (a branch or a group)."""
    field = "group" if org.org_type == OrgType.GROUP else "branch"
    return Member.objects.filter(**{field: org}, status__in=ROSTER_STATUSES).order_by("name", "pk")


def _default_attendees(org: Organisation, kind: str) -> list[Member]:
    """The roster; for 支部委员会 the committee (current post holders) when it has one."""
    members = list(roster(org))
    if kind == MeetingKind.COMMITTEE:
        committee = set(
            Position.objects.filter(org=org, ended_on__isnull=True).values_list(
                "member_id", flat=True
            )
        )
        on_committee = [m for m in members if m.pk in committee]
        if on_committee:
            return on_committee
    return members


def _village_member_ids(member_ids, day: dt.date) -> set[int]:
    """Those of ``member_ids`` posted to a village work team on ``day``."""
    return set(
        VillageAssignment.objects.filter(member_id__in=list(member_ids), started_on__lte=day)
        .exclude(ended_on__lt=day)
        .values_list("member_id", flat=True)
    )


def _attendance_facts(member: Member, day: dt.date, workday: bool, village: set[int]) -> dict:
    return {
        "phone_exempt": rules.is_phone_exempt(member.birth_date, day),
        # 正式党员 vote, away (流动) or not: a full member has a 转正日期, a probationary
        # one none (members' rules), whatever their status says of where they are.
        "voting": member.full_member_on is not None,
        "online": member.status == Status.MOBILE,
        "counted": rules.counts_for_member(workday=workday, village_team=member.pk in village),
    }


def _refresh_attendance_facts(meeting: Meeting) -> None:
    """Recompute the day-dependent facts (age, workday) after the meeting moved."""
    day = _local_day(meeting.starts_at)
    rows = list(meeting.attendances.select_related("member"))
    village = _village_member_ids([a.member_id for a in rows], day)
    workday = is_workday(day)
    for row in rows:
        for name, value in _attendance_facts(row.member, day, workday, village).items():
            setattr(row, name, value)
    Attendance.objects.bulk_update(rows, ["phone_exempt", "voting", "online", "counted"])
