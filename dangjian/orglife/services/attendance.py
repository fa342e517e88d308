"""Attendance: check-in (QR, location, online), leave requests, the recorder's marking."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.calendar import is_workday
from dangjian.core.errors import raise_if
from dangjian.core.retry import retry_conflicts
from dangjian.core.text import one_line
from dangjian.members.models import Member
from dangjian.orglife import checkin, rules
from dangjian.orglife.choices import AttendanceStatus, CheckinMethod, MeetingStatus
from dangjian.orglife.models import Attendance, Meeting
from dangjian.orglife.services.common import (
    MSG_ATTENDEES_OUTSIDE,
    MSG_CANCELLED,
    _attendance_facts,
    _local_day,
    _lock,
    _require_recorder,
    _require_visible,
    _village_member_ids,
    roster,
)

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
    reason = one_line(reason)
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
    reason = one_line(reason)
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


@retry_conflicts
@transaction.atomic
def attendance_mark_all_present(
    *, acting_user, meeting: Meeting, now: dt.datetime | None = None, ip: str | None = None
) -> int:
    """One tap for the recorder: every attendee not yet marked (未签到) is marked present.
    Check-ins, leave and absences already recorded are kept; the recorder then marks
    the exceptions one by one. Returns how many were marked; one audit entry lists them."""
    _require_recorder(acting_user, meeting)
    meeting = _lock(meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError({"meeting": MSG_CANCELLED})
    now = now or timezone.now()
    pending = Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.EXPECTED)
    members = sorted(pending.values_list("member_id", flat=True))
    if not members:
        return 0
    pending.update(
        status=AttendanceStatus.PRESENT,
        method=CheckinMethod.RECORDER,
        checked_in_at=now,
        distance_m=None,
        leave_reason="",
        marked_by=acting_user,
        updated_at=now,
    )
    audit.record(
        actor=acting_user,
        action="orglife.attendance.mark_all",
        obj=meeting,
        org=meeting.branch,
        after={"status": AttendanceStatus.PRESENT, "members": members},
        ip=ip,
    )
    return len(members)
