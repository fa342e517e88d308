"""Every write of organisational life: validated, transactional, audited.

Who may do what:
- plan, change, cancel a meeting: CHANGE_ORGLIFE (管理员) at the branch or above;
- record minutes, mark attendance, put and close resolutions, add photos: the same, or
  the meeting's recorder (记录人, a member of the branch roster);
- check in, ask for leave, vote: the expected attendee themself;
- comment: anyone who may see the meeting.
An object the user cannot see answers 404, one they see but may not change 403.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from dangjian.core import audit, notify, rollups, scope, warnings
from dangjian.core.calendar import TZ, is_workday
from dangjian.core.errors import raise_if
from dangjian.core.retry import retry_conflicts
from dangjian.core.scope import Perm, authorize, covers
from dangjian.core.services import check_editable, model_update
from dangjian.core.text import name_or_error
from dangjian.members.choices import Status
from dangjian.members.models import Member
from dangjian.orglife import checkin, rules
from dangjian.orglife.choices import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingStatus,
    ResolutionStatus,
    VoteChoice,
)
from dangjian.orglife.models import (
    Attendance,
    Comment,
    Meeting,
    MeetingPhoto,
    Resolution,
    VillageAssignment,
    Vote,
)
from dangjian.orglife.warnings import THEME_DAY_MISSING
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation, Position

# Who is on a meeting's roster (应到): current members able to take part; 失联党员 cannot.
ROSTER_STATUSES = (Status.FULL, Status.PROBATIONARY, Status.MOBILE)

MSG_ORG_TYPE = "组织生活会议只能由党支部或党小组安排"
MSG_GROUP_KIND = "党小组会应由党小组召开，其他会议应由党支部召开"
MSG_ORG_DISSOLVED = "该组织已撤销"
MSG_TOPIC = "请填写会议主题"
MSG_TOPIC_LONG = "会议主题不能超过120个字"
MSG_ENDS = "结束时间应晚于开始时间"
MSG_TOO_LONG = "会议时长不能超过24小时"
MSG_LAT_LNG = "纬度和经度应同时填写"
MSG_NOT_ON_ROSTER = "{role}应为本支部党员"
MSG_ATTENDEES_OUTSIDE = "参会人员应为本支部（党小组）党员"
MSG_NO_ATTENDEES = "参会人员名单为空"
MSG_CANCELLED = "会议已取消"
MSG_NOT_PLANNED = "只能修改或取消尚未召开的会议"
MSG_REASON = "请填写原因"
MSG_NOT_STARTED = "会议尚未开始，不能记录纪要"
MSG_MINUTES = "请填写会议纪要"
MSG_MINUTES_LONG = "会议纪要不能超过20000字"
MSG_NOT_ATTENDEE = "您不在本次会议的参会人员名单中"
MSG_NOT_MEMBER_USER = "当前账号未关联党员信息，不能签到"
MSG_CHECKIN_NOT_OPEN = "签到尚未开始：会议开始前1小时开放签到"
MSG_CHECKIN_CLOSED = "签到已结束"
MSG_NO_LOCATION = "本次会议未设置会场位置，不能定位签到"
MSG_BAD_COORDS = "定位坐标无效"
MSG_TOO_FAR = "您距离会场约{distance}米，超出签到范围（{radius}米），请到会场后再签到"
MSG_NOT_ONLINE = "本次会议没有线上参会方式，或您不是线上参会人员"
MSG_ALREADY_PRESENT = "您已签到，无需请假"
MSG_LEAVE_TOO_LATE = "会议已结束，不能请假"
MSG_BAD_STATUS = "出席情况无效"
MSG_LEAVE_REASON = "请填写请假事由"
MSG_RESOLUTION_TITLE = "请填写表决事项"
MSG_RESOLUTION_CLOSED = "该事项表决已结束"
MSG_NO_VOTE_RIGHT = "您没有表决权（预备党员没有表决权）"
MSG_ALREADY_VOTED = "您已表决，每人只能表决一次"
MSG_BAD_CHOICE = "表决意见应为赞成、反对或弃权"
MSG_COMMENT = "请填写留言内容"
MSG_COMMENT_LONG = "留言不能超过1000字"
MSG_TOO_MANY_PHOTOS = "每次会议最多上传{limit}张照片"
MSG_VILLAGE = "请填写驻村名称"
MSG_VILLAGE_DATES = "结束日期不能早于开始日期"

TOPIC_MAX = 120
MINUTES_MAX = 20000
COMMENT_MAX = 1000
PHOTOS_MAX = 30
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


# --- Permission helpers --------------------------------------------------------------


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


# --- Roster --------------------------------------------------------------------------


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
        "voting": member.status == Status.FULL,
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


# --- Meetings ------------------------------------------------------------------------


def _check_org(org: Organisation, kind: str) -> dict[str, str]:
    if org.org_type not in (OrgType.BRANCH, OrgType.GROUP):
        return {"org": MSG_ORG_TYPE}
    if not org.is_active:
        return {"org": MSG_ORG_DISSOLVED}
    if (org.org_type == OrgType.GROUP) != (kind == MeetingKind.GROUP):
        return {"kind": MSG_GROUP_KIND}
    return {}


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
        rollups.mark_dirty(meeting.branch_id)
        if _local_day(meeting.starts_at) != day_before:
            _refresh_attendance_facts(meeting)
    return meeting


@retry_conflicts
@transaction.atomic
def meeting_cancel(*, acting_user, meeting: Meeting, reason: str, ip: str | None = None) -> Meeting:
    """Cancel a planned meeting, with a reason; attendees are told."""
    _require_change(acting_user, meeting)
    meeting = _lock(meeting)
    reason = " ".join((reason or "").split())
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
    rollups.mark_dirty(meeting.branch_id)
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


# --- Attendance ----------------------------------------------------------------------


def _attendance_of(user, meeting: Meeting) -> Attendance:
    own = getattr(user, "member_id", None)
    if own is None:
        raise ValidationError({"member": MSG_NOT_MEMBER_USER})
    try:
        return Attendance.objects.select_for_update(no_key=True).get(meeting=meeting, member_id=own)
    except Attendance.DoesNotExist:
        raise ValidationError({"member": MSG_NOT_ATTENDEE}) from None


def _check_window(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError({"meeting": MSG_CANCELLED})
    opens, closes = rules.checkin_window(meeting.starts_at, meeting.ends_at)
    if now < opens:
        raise ValidationError({"meeting": MSG_CHECKIN_NOT_OPEN})
    if now > closes:
        raise ValidationError({"meeting": MSG_CHECKIN_CLOSED})


def _check_in(
    acting_user,
    meeting: Meeting,
    method: str,
    now: dt.datetime,
    ip: str | None,
    distance: float | None = None,
) -> Attendance:
    """Mark the user's own attendance present; a second check-in changes nothing."""
    attendance = _attendance_of(acting_user, meeting)
    if attendance.status == AttendanceStatus.PRESENT:
        return attendance  # idempotent: the first check-in is kept
    attendance.status = AttendanceStatus.PRESENT
    attendance.method = method
    attendance.checked_in_at = now
    attendance.distance_m = round(distance) if distance is not None else None
    attendance.marked_by = None
    attendance.save()
    audit.record(
        actor=acting_user,
        action="orglife.checkin",
        obj=attendance,
        org=meeting.branch,
        after={"meeting": meeting.pk, "method": method, "distance_m": attendance.distance_m},
        ip=ip,
    )
    return attendance


@retry_conflicts
@transaction.atomic
def checkin_by_qr(
    *,
    acting_user,
    meeting: Meeting,
    token: str,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Attendance:
    """Check in by scanning the screen's QR code (a signed token valid ~2 minutes)."""
    _require_visible(acting_user, meeting)
    now = now or timezone.now()
    try:
        checkin.verify_token(token, meeting, now)
    except checkin.TokenError as exc:
        raise ValidationError({"token": str(exc)}) from None
    meeting = _lock(meeting)
    _check_window(meeting, now)
    return _check_in(acting_user, meeting, CheckinMethod.QR, now, ip)


@retry_conflicts
@transaction.atomic
def checkin_by_location(
    *,
    acting_user,
    meeting: Meeting,
    latitude: float,
    longitude: float,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Attendance:
    """Check in by the phone's position: within the meeting's radius of the venue."""
    _require_visible(acting_user, meeting)
    now = now or timezone.now()
    meeting = _lock(meeting)
    if not meeting.has_location:
        raise ValidationError({"meeting": MSG_NO_LOCATION})
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise ValidationError({"latitude": MSG_BAD_COORDS}) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError({"latitude": MSG_BAD_COORDS})
    _check_window(meeting, now)
    distance = checkin.distance_m(lat, lng, meeting.latitude, meeting.longitude)
    if distance > meeting.checkin_radius_m:
        raise ValidationError(
            {
                "latitude": MSG_TOO_FAR.format(
                    distance=round(distance), radius=meeting.checkin_radius_m
                )
            }
        )
    return _check_in(acting_user, meeting, CheckinMethod.LOCATION, now, ip, distance)


@retry_conflicts
@transaction.atomic
def checkin_online(
    *, acting_user, meeting: Meeting, now: dt.datetime | None = None, ip: str | None = None
) -> Attendance:
    """An online participant (流动党员) joins a meeting that has an online link."""
    _require_visible(acting_user, meeting)
    now = now or timezone.now()
    meeting = _lock(meeting)
    attendance = _attendance_of(acting_user, meeting)
    if not meeting.online_link or not attendance.online:
        raise ValidationError({"meeting": MSG_NOT_ONLINE})
    _check_window(meeting, now)
    return _check_in(acting_user, meeting, CheckinMethod.ONLINE, now, ip)


@retry_conflicts
@transaction.atomic
def leave_request(
    *,
    acting_user,
    meeting: Meeting,
    reason: str,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Attendance:
    """An attendee asks for leave (请假) with a reason, before the meeting ends."""
    _require_visible(acting_user, meeting)
    now = now or timezone.now()
    meeting = _lock(meeting)
    attendance = _attendance_of(acting_user, meeting)
    reason = " ".join((reason or "").split())
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["meeting"] = MSG_CANCELLED
    elif attendance.status == AttendanceStatus.PRESENT:
        errors["meeting"] = MSG_ALREADY_PRESENT
    elif meeting.ends_at < now:
        errors["meeting"] = MSG_LEAVE_TOO_LATE
    if not reason:
        errors["reason"] = MSG_LEAVE_REASON
    raise_if(errors)
    attendance.status = AttendanceStatus.LEAVE
    attendance.leave_reason = reason[:200]
    attendance.save(update_fields=["status", "leave_reason", "updated_at"])
    audit.record(
        actor=acting_user,
        action="orglife.leave",
        obj=attendance,
        org=meeting.branch,
        after={"meeting": meeting.pk, "reason": attendance.leave_reason},
        ip=ip,
    )
    return attendance


@retry_conflicts
@transaction.atomic
def attendance_mark(
    *,
    acting_user,
    meeting: Meeting,
    member: Member,
    status: str,
    reason: str = "",
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Attendance:
    """The recorder (or an admin) marks a member present, on leave (with a reason) or
    absent — how members aged 60+ are checked in. A member of the branch missing from
    the list (joined since the planning) is added."""
    _require_recorder(acting_user, meeting)
    meeting = _lock(meeting)
    now = now or timezone.now()
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["meeting"] = MSG_CANCELLED
    if status not in (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT):
        errors["status"] = MSG_BAD_STATUS
    reason = " ".join((reason or "").split())
    if status == AttendanceStatus.LEAVE and not reason:
        errors["reason"] = MSG_LEAVE_REASON
    attendance = Attendance.objects.filter(meeting=meeting, member=member).first()
    if attendance is None and not roster(meeting.org).filter(pk=member.pk).exists():
        errors["member"] = MSG_ATTENDEES_OUTSIDE
    raise_if(errors)
    if attendance is None:
        day = _local_day(meeting.starts_at)
        village = _village_member_ids([member.pk], day)
        attendance = Attendance.objects.create(
            meeting=meeting,
            member=member,
            **_attendance_facts(member, day, is_workday(day), village),
        )
    before = {"status": attendance.status, "method": attendance.method}
    if status == AttendanceStatus.PRESENT and attendance.status == AttendanceStatus.PRESENT:
        return attendance  # already present: keep the first check-in
    attendance.status = status
    attendance.marked_by = acting_user
    if status == AttendanceStatus.PRESENT:
        attendance.method = CheckinMethod.RECORDER
        attendance.checked_in_at = now
    else:
        attendance.method = ""
        attendance.checked_in_at = None
        attendance.distance_m = None
    attendance.leave_reason = reason[:200] if status == AttendanceStatus.LEAVE else ""
    attendance.save()
    audit.record(
        actor=acting_user,
        action="orglife.attendance.mark",
        obj=attendance,
        org=meeting.branch,
        before=before,
        after={"status": status, "member": member.pk, "reason": attendance.leave_reason},
        ip=ip,
    )
    return attendance


# --- Resolutions and votes -----------------------------------------------------------


@retry_conflicts
@transaction.atomic
def resolution_add(
    *, acting_user, meeting: Meeting, title: str, text: str = "", ip: str | None = None
) -> Resolution:
    """Put a matter to the vote (表决事项)."""
    _require_recorder(acting_user, meeting)
    meeting = _lock(meeting)
    title, problem = name_or_error(
        title, field_label="表决事项", blank_message=MSG_RESOLUTION_TITLE
    )
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["meeting"] = MSG_CANCELLED
    if problem:
        errors["title"] = problem
    elif len(title) > 120:
        errors["title"] = MSG_TOPIC_LONG.replace("会议主题", "表决事项")
    raise_if(errors)
    resolution = Resolution.objects.create(meeting=meeting, title=title, text=(text or "").strip())
    audit.record(
        actor=acting_user,
        action="orglife.resolution.add",
        obj=resolution,
        org=meeting.branch,
        after={"meeting": meeting.pk, "title": title},
        ip=ip,
    )
    return resolution


@retry_conflicts
@transaction.atomic
def resolution_vote(
    *, acting_user, resolution: Resolution, choice: str, ip: str | None = None
) -> Vote:
    """One vote per member with voting rights on the roster; never changed once cast."""
    meeting = resolution.meeting
    _require_visible(acting_user, meeting)
    resolution = Resolution.objects.select_for_update(no_key=True).get(pk=resolution.pk)
    attendance = _attendance_of(acting_user, meeting)
    errors = {}
    if choice not in VoteChoice.values:
        errors["choice"] = MSG_BAD_CHOICE
    if resolution.status != ResolutionStatus.OPEN or meeting.status == MeetingStatus.CANCELLED:
        errors["resolution"] = MSG_RESOLUTION_CLOSED
    elif not attendance.voting:
        errors["resolution"] = MSG_NO_VOTE_RIGHT
    elif Vote.objects.filter(resolution=resolution, member_id=attendance.member_id).exists():
        errors["resolution"] = MSG_ALREADY_VOTED
    raise_if(errors)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                resolution=resolution, member_id=attendance.member_id, choice=choice
            )
    except IntegrityError:  # a concurrent second vote by the same member
        raise ValidationError({"resolution": MSG_ALREADY_VOTED}) from None
    counter = f"votes_{choice}"
    Resolution.objects.filter(pk=resolution.pk).update(**{counter: F(counter) + 1})
    audit.record(
        actor=acting_user,
        action="orglife.vote",
        obj=resolution,
        org=meeting.branch,
        after={"choice": choice},
        ip=ip,
    )
    return vote


@retry_conflicts
@transaction.atomic
def resolution_close(
    *, acting_user, resolution: Resolution, now: dt.datetime | None = None, ip: str | None = None
) -> Resolution:
    """Close the vote and tally: passed when more than half of those with voting rights
    on the roster voted for it."""
    meeting = resolution.meeting
    _require_recorder(acting_user, meeting)
    resolution = Resolution.objects.select_for_update(no_key=True).get(pk=resolution.pk)
    raise_if(
        {"resolution": MSG_RESOLUTION_CLOSED} if resolution.status != ResolutionStatus.OPEN else {}
    )
    resolution.eligible = meeting.attendances.filter(voting=True).count()
    passed = rules.resolution_passes(resolution.votes_for, resolution.eligible)
    resolution.status = ResolutionStatus.PASSED if passed else ResolutionStatus.REJECTED
    resolution.closed_at = now or timezone.now()
    resolution.save(update_fields=["eligible", "status", "closed_at", "updated_at"])
    audit.record(
        actor=acting_user,
        action="orglife.resolution.close",
        obj=resolution,
        org=meeting.branch,
        after={
            "status": resolution.status,
            "for": resolution.votes_for,
            "against": resolution.votes_against,
            "abstain": resolution.votes_abstain,
            "eligible": resolution.eligible,
        },
        ip=ip,
    )
    return resolution


# --- Comments and photos -------------------------------------------------------------


@retry_conflicts
@transaction.atomic
def comment_add(*, acting_user, meeting: Meeting, text: str, ip: str | None = None) -> Comment:
    """A remark on the meeting by anyone who may see it (online participants above all)."""
    _require_visible(acting_user, meeting)
    text = (text or "").strip()
    errors = {}
    if meeting.status == MeetingStatus.CANCELLED:
        errors["meeting"] = MSG_CANCELLED
    if not text:
        errors["text"] = MSG_COMMENT
    elif len(text) > COMMENT_MAX:
        errors["text"] = MSG_COMMENT_LONG
    raise_if(errors)
    comment = Comment.objects.create(meeting=meeting, author=acting_user, text=text)
    audit.record(
        actor=acting_user,
        action="orglife.comment",
        obj=comment,
        org=meeting.branch,
        after={"meeting": meeting.pk, "chars": len(text)},
        ip=ip,
    )
    return comment


PHOTO_PURPOSE = "orglife.photo"


@retry_conflicts
def photo_add(
    *, acting_user, meeting: Meeting, upload, caption: str = "", ip: str | None = None
) -> MeetingPhoto:
    """Attach a photo (现场照片): checked and re-encoded by ``core.uploads``; the bytes
    are removed again if the write does not commit."""
    from dangjian.core import uploads

    _require_recorder(acting_user, meeting)
    stored = None
    try:
        with transaction.atomic():
            locked = _lock(meeting)
            errors = {}
            if locked.status == MeetingStatus.CANCELLED:
                errors["meeting"] = MSG_CANCELLED
            elif locked.photos.count() >= PHOTOS_MAX:
                errors["photo"] = MSG_TOO_MANY_PHOTOS.format(limit=PHOTOS_MAX)
            raise_if(errors)
            stored = uploads.store_image(
                upload,
                purpose=PHOTO_PURPOSE,
                uploaded_by=acting_user,
                field="photo",
            )
            photo = MeetingPhoto.objects.create(
                meeting=locked,
                file=stored,
                caption=" ".join((caption or "").split())[:120],
                uploaded_by=acting_user,
            )
            audit.record(
                actor=acting_user,
                action="orglife.photo",
                obj=photo,
                org=locked.branch,
                after={"meeting": locked.pk, "sha256": stored.sha256, "size": stored.size},
                ip=ip,
            )
    except BaseException:
        if stored is not None:
            uploads.discard(stored)
        raise
    return photo


# --- Village work teams --------------------------------------------------------------


@retry_conflicts
@transaction.atomic
def village_assignment_add(
    *,
    acting_user,
    member: Member,
    village: str,
    started_on: dt.date,
    ended_on: dt.date | None = None,
    ip: str | None = None,
) -> VillageAssignment:
    """Post a member to a village work team (驻村工作队) for a period."""
    authorize(acting_user, Perm.CHANGE_ORGLIFE, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    village = " ".join((village or "").split())
    errors = {}
    if not village:
        errors["village"] = MSG_VILLAGE
    if ended_on is not None and started_on is not None and ended_on < started_on:
        errors["ended_on"] = MSG_VILLAGE_DATES
    raise_if(errors)
    assignment = VillageAssignment.objects.create(
        member=member, village=village[:120], started_on=started_on, ended_on=ended_on
    )
    audit.record(
        actor=acting_user,
        action="orglife.village.add",
        obj=assignment,
        org=member.branch,
        after={"member": member.pk, "village": village, "started_on": started_on.isoformat()},
        ip=ip,
    )
    return assignment


# --- Warnings (预警) -----------------------------------------------------------------


def _branch_admins(branch: Organisation):
    """Admins at the branch itself; failing that, at its nearest ancestor that has some."""
    from dangjian.accounts.models import User
    from dangjian.core.scope import Role

    path = branch.path
    while path:
        users = User.objects.filter(
            is_active=True, role_assignments__role=Role.ADMIN, role_assignments__org__path=path
        ).distinct()
        if users.exists():
            return users
        path = scope.path_above(path)
    return User.objects.none()


MSG_THEME_DAY_WARNING = "{branch}{month}尚未开展主题党日，请于本月内开展并记录"


def _theme_day_key(branch: Organisation, month: "rules.Period") -> str:
    return f"orglife.theme_day:{branch.pk}:{month.key}"


def theme_day_warn(*, branch: Organisation, month: "rules.Period") -> "warnings.Warning":
    """Raise the 主题党日 warning of ``branch`` for ``month`` and notify its admins.

    A core warning (``orglife.theme_day_missing``), due by the month's end, deduplicated
    per branch and month: the warning, its messages and its audit entry commit together,
    so a re-run (after a kill) adds nothing.
    """
    return warnings.warning_raise(
        kind=THEME_DAY_MISSING.name,
        org=branch,
        subject=branch,
        subject_label=branch.name,
        title=MSG_THEME_DAY_WARNING.format(branch=branch.name, month=month.label),
        period=month.key,
        due=dt.datetime.combine(month.last + dt.timedelta(days=1), dt.time.min, TZ),
        dedupe_key=_theme_day_key(branch, month),
        recipients=_branch_admins(branch),
    )


def _resolve_warning(branch: Organisation, month: "rules.Period") -> None:
    """The month's 主题党日 is recorded: its warning clears itself."""
    warnings.warnings_clear(kind=THEME_DAY_MISSING.name, dedupe_key=_theme_day_key(branch, month))
