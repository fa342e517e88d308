"""Meetings: plan, change, cancel, record minutes (the meeting is then held)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.core import audit, rollups
from dangjian.core.calendar import is_workday
from dangjian.core.errors import raise_if
from dangjian.core.retry import retry_conflicts
from dangjian.core.scope import Perm, authorize
from dangjian.core.services import check_editable, model_update
from dangjian.core.text import name_or_error, one_line
from dangjian.members.models import Member
from dangjian.orglife import rules
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, MeetingStatus
from dangjian.orglife.models import Attendance, Meeting
from dangjian.orglife.services.common import (
    MSG_ATTENDEES_OUTSIDE,
    MSG_CANCELLED,
    MSG_TOPIC_LONG,
    ROSTER_STATUSES,
    _attendance_facts,
    _default_attendees,
    _local_day,
    _lock,
    _notify_on_commit,
    _refresh_attendance_facts,
    _require_change,
    _require_recorder,
    _village_member_ids,
    roster,
)
from dangjian.orglife.services.theme_day import _resolve_warning
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

MSG_ORG_TYPE = "组织生活会议只能由党支部或党小组安排"
MSG_GROUP_KIND = "党小组会应由党小组召开，其他会议应由党支部召开"
MSG_ORG_DISSOLVED = "该组织已撤销"
MSG_TOPIC = "请填写会议主题"
MSG_ENDS = "结束时间应晚于开始时间"
MSG_TOO_LONG = "会议时长不能超过24小时"
MSG_BEFORE_FOUNDED = "会议日期早于{org}的成立日期（{day}）"
MSG_LAT_LNG = "纬度和经度应同时填写"
MSG_NOT_ON_ROSTER = "{role}应为本支部党员"
MSG_NO_ATTENDEES = "参会人员名单为空"
MSG_NOT_PLANNED = "只能修改或取消尚未召开的会议"
MSG_REASON = "请填写原因"
MSG_NOT_STARTED = "会议尚未开始，不能记录纪要"
MSG_MINUTES = "请填写会议纪要"
MSG_MINUTES_LONG = "会议纪要不能超过20000字"
TOPIC_MAX = 120
MINUTES_MAX = 20000
MAX_DURATION = dt.timedelta(hours=24)
EDITABLE_FIELDS = frozenset(
    {
        "topic",
        "starts_at",
        "ends_at",
        "place",
        "latitude",
        "longitude",
        "checkin_radius_m",
        "host",
        "recorder",
        "online_link",
        "agenda",
    }
)
AUDITED_FIELDS = (*sorted(EDITABLE_FIELDS), "kind", "branch", "group", "status")


def _snapshot(meeting: Meeting) -> dict:
    return audit.snapshot(meeting, AUDITED_FIELDS)


def _check_org(org: Organisation, kind: str) -> dict[str, str]:
    if org.org_type not in (OrgType.BRANCH, OrgType.GROUP):
        return {"org": MSG_ORG_TYPE}
    if not org.is_active:
        return {"org": MSG_ORG_DISSOLVED}
    if (org.org_type == OrgType.GROUP) != (kind == MeetingKind.GROUP):
        return {"kind": MSG_GROUP_KIND}
    return {}


def _before_founding(meeting: Meeting) -> str:
    """An organisation meets only once it exists: a 党小组会 needs its group and the
    group's branch founded by the meeting day (a group moved to a branch founded later
    cannot have met in it before)."""
    day = _local_day(meeting.starts_at)
    for org in (meeting.group, meeting.branch):
        if org is not None and org.founded_on and day < org.founded_on:
            return MSG_BEFORE_FOUNDED.format(org=org.name, day=org.founded_on.isoformat())
    return ""


def _check_fields(meeting: Meeting) -> dict[str, str]:
    errors: dict[str, str] = {}
    meeting.topic, problem = name_or_error(
        meeting.topic, field_label="会议主题", blank_message=MSG_TOPIC
    )
    if problem:
        errors["topic"] = problem
    elif len(meeting.topic) > TOPIC_MAX:
        errors["topic"] = MSG_TOPIC_LONG
    if meeting.starts_at and meeting.ends_at:
        if meeting.ends_at <= meeting.starts_at:
            errors["ends_at"] = MSG_ENDS
        elif meeting.ends_at - meeting.starts_at > MAX_DURATION:
            errors["ends_at"] = MSG_TOO_LONG
    if meeting.starts_at and "starts_at" not in errors:
        problem = _before_founding(meeting)
        if problem:
            errors["starts_at"] = problem
    if (meeting.latitude is None) != (meeting.longitude is None):
        errors["longitude" if meeting.longitude is None else "latitude"] = MSG_LAT_LNG
    branch_ids = {meeting.branch_id}
    for role, label in (("host", "主持人"), ("recorder", "记录人")):
        person = getattr(meeting, role)
        if person is not None and (
            person.branch_id not in branch_ids or person.status not in ROSTER_STATUSES
        ):
            errors[role] = MSG_NOT_ON_ROSTER.format(role=label)
    try:
        meeting.full_clean(exclude=["topic", "created_by"], validate_constraints=False)
    except ValidationError as exc:
        for name, msgs in exc.message_dict.items():
            errors.setdefault(name, msgs[0])
    return errors


@retry_conflicts
@transaction.atomic
def meeting_create(
    *,
    acting_user,
    org: Organisation,
    kind: str,
    topic: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    checkin_radius_m: int | None = None,
    host: Member | None = None,
    recorder: Member | None = None,
    online_link: str = "",
    agenda: str = "",
    attendees=None,
    ip: str | None = None,
) -> Meeting:
    """Plan a meeting of a branch (or of a group, for 党小组会) and its attendee list.

    ``attendees`` defaults to the roster (the committee for 支部委员会); given, it must
    be members of the roster. Each attendee gets an Attendance row (应到) and an inbox
    notice once the meeting is committed.
    """
    authorize(acting_user, Perm.CHANGE_ORGLIFE, org.path, view_perm=Perm.VIEW_ORGLIFE)
    errors = _check_org(org, kind)
    branch = org
    if org.org_type == OrgType.GROUP:
        branch = tree.parent(org)
    meeting = Meeting(
        branch=branch,
        group=org if org.org_type == OrgType.GROUP else None,
        kind=kind,
        topic=topic,
        starts_at=starts_at,
        ends_at=ends_at,
        place=(place or "").strip(),
        latitude=latitude,
        longitude=longitude,
        checkin_radius_m=checkin_radius_m or Meeting._meta.get_field("checkin_radius_m").default,
        host=host,
        recorder=recorder,
        online_link=(online_link or "").strip(),
        agenda=agenda or "",
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    for name, msg in _check_fields(meeting).items():
        errors.setdefault(name, msg)
    people = _choose_attendees(org, kind, attendees, errors)
    raise_if(errors)
    meeting.save()
    day = _local_day(meeting.starts_at)
    village = _village_member_ids([m.pk for m in people], day)
    workday = is_workday(day)
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, member=m, **_attendance_facts(m, day, workday, village))
        for m in people
    )
    audit.record(
        actor=acting_user,
        action="orglife.meeting.create",
        obj=meeting,
        org=branch,
        after={**_snapshot(meeting), "attendees": len(people)},
        ip=ip,
    )
    when = timezone.localtime(meeting.starts_at)
    _notify_on_commit(
        (m.pk for m in people),
        kind="orglife.meeting",
        title=f"会议通知：{meeting.get_kind_display()}「{meeting.topic}」",
        body=f"{when:%Y年%m月%d日 %H:%M}，{meeting.place or '地点另行通知'}",
        url=reverse("orglife:detail", args=[meeting.pk]),
    )
    return meeting


def _choose_attendees(org, kind, attendees, errors: dict[str, str]) -> list[Member]:
    if errors.get("org") or errors.get("kind"):
        return []
    if attendees is None:
        people = _default_attendees(org, kind)
    else:
        wanted = {getattr(a, "pk", a) for a in attendees}
        people = [m for m in roster(org) if m.pk in wanted]
        if len(people) != len(wanted):
            errors["attendees"] = MSG_ATTENDEES_OUTSIDE
    if not people and "attendees" not in errors:
        errors["attendees"] = MSG_NO_ATTENDEES
    return people


@retry_conflicts
@transaction.atomic
def meeting_update(*, acting_user, meeting: Meeting, ip: str | None = None, **changes) -> Meeting:
    """Change a planned (or held) meeting's details; a cancelled one is final."""
    check_editable(changes, EDITABLE_FIELDS)
    _require_change(acting_user, meeting)
    meeting = _lock(meeting)
    raise_if({"status": MSG_CANCELLED} if meeting.status == MeetingStatus.CANCELLED else {})
    day_before = _local_day(meeting.starts_at)
    for name in ("place", "online_link"):
        if changes.get(name) is not None:
            changes[name] = changes[name].strip()
    written = model_update(
        acting_user=acting_user,
        instance=meeting,
        changes=changes,
        snapshot=_snapshot,
        action="orglife.meeting.update",
        org=lambda: meeting.branch,
        validate=lambda: raise_if(_check_fields(meeting)),
        ip=ip,
    )
    if written:
        rollups.mark_dirty(meeting.branch_id, meeting.group_id)
        if _local_day(meeting.starts_at) != day_before:
            _refresh_attendance_facts(meeting)
    return meeting


@retry_conflicts
@transaction.atomic
def meeting_cancel(*, acting_user, meeting: Meeting, reason: str, ip: str | None = None) -> Meeting:
    """Cancel a planned meeting, with a reason; attendees are told."""
    _require_change(acting_user, meeting)
    meeting = _lock(meeting)
    reason = one_line(reason)
    errors = {}
    if meeting.status != MeetingStatus.PLANNED:
        errors["status"] = MSG_NOT_PLANNED
    if not reason:
        errors["reason"] = MSG_REASON
    raise_if(errors)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason[:200]
    meeting.save(update_fields=["status", "cancel_reason", "updated_at"])
    audit.record(
        actor=acting_user,
        action="orglife.meeting.cancel",
        obj=meeting,
        org=meeting.branch,
        after={"status": meeting.status, "reason": meeting.cancel_reason},
        ip=ip,
    )
    _notify_on_commit(
        meeting.attendances.values_list("member_id", flat=True),
        kind="orglife.meeting",
        title=f"会议取消：{meeting.get_kind_display()}「{meeting.topic}」",
        body=meeting.cancel_reason,
        url=reverse("orglife:detail", args=[meeting.pk]),
    )
    return meeting


@retry_conflicts
@transaction.atomic
def meeting_record(
    *,
    acting_user,
    meeting: Meeting,
    minutes: str,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Meeting:
    """Record (or amend) the minutes: the meeting becomes held (已召开).

    On the first recording, attendees neither checked in nor on leave are marked
    absent, and an open 主题党日 warning of the branch for that month is resolved.
    """
    _require_recorder(acting_user, meeting)
    meeting = _lock(meeting)
    now = now or timezone.now()
    minutes = (minutes or "").strip()
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["status"] = MSG_CANCELLED
    elif meeting.starts_at > now:
        errors["minutes"] = MSG_NOT_STARTED
    elif not minutes:
        errors["minutes"] = MSG_MINUTES
    elif len(minutes) > MINUTES_MAX:
        errors["minutes"] = MSG_MINUTES_LONG
    raise_if(errors)
    before = {"status": meeting.status, "minutes_chars": len(meeting.minutes)}
    first = meeting.status == MeetingStatus.PLANNED
    meeting.minutes = minutes
    meeting.status = MeetingStatus.HELD
    meeting.recorded_at = meeting.recorded_at or now
    meeting.save(update_fields=["minutes", "status", "recorded_at", "updated_at"])
    rollups.mark_dirty(meeting.branch_id, meeting.group_id)
    if first:
        meeting.attendances.filter(status=AttendanceStatus.EXPECTED).update(
            status=AttendanceStatus.ABSENT, updated_at=now
        )
        if meeting.kind == MeetingKind.THEME_DAY:
            _resolve_warning(
                meeting.branch, rules.period_of(_local_day(meeting.starts_at), "month")
            )
    audit.record(
        actor=acting_user,
        action="orglife.meeting.record",
        obj=meeting,
        org=meeting.branch,
        before=before,
        after={"status": meeting.status, "minutes_chars": len(minutes)},
        ip=ip,
    )
    return meeting
