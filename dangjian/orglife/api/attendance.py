"""Attendance and check-in: the roll, marking, check-in (QR, location, online), the
QR code, leave."""

from django.utils import timezone
from ninja.pagination import paginate

from dangjian.core.apitools import Id, Paging, invalid, resolve_in_scope
from dangjian.core.http import client_ip
from dangjian.members import selectors as member_selectors
from dangjian.orglife import checkin, selectors, services
from dangjian.orglife.api.common import as_api_fields, router
from dangjian.orglife.api.schemas import AttendanceOut, CheckinIn, MarkIn, QrOut, ReasonIn

MSG_CHECKIN_HOW = "请提供签到二维码（token）或定位坐标（lat、lng）之一"


@router.get("/meetings/{meeting_id}/attendance", response=list[AttendanceOut], summary="考勤名单")
@paginate(Paging)
def attendance_list(request, meeting_id: Id):
    return selectors.attendance_for(selectors.meeting_get(request.user, meeting_id))


@router.post(
    "/meetings/{meeting_id}/attendance",
    response=AttendanceOut,
    summary="记录人标记出席、请假（需事由）或缺席（60岁以上党员由记录人标记）",
)
def attendance_mark(request, meeting_id: Id, payload: MarkIn):
    user = request.user
    meeting = selectors.meeting_get(user, meeting_id)
    member = resolve_in_scope(
        member_selectors.member_get, user, payload.member_id, field="member_id"
    )
    with as_api_fields:
        return services.attendance_mark(
            acting_user=user,
            meeting=meeting,
            member=member,
            status=payload.status,
            reason=payload.reason,
            ip=client_ip(request),
        )


@router.post(
    "/meetings/{meeting_id}/checkin",
    response=AttendanceOut,
    summary="本人签到：扫码（token）、定位（lat、lng）或线上参会（online）；重复签到保留首次",
)
def meeting_checkin(request, meeting_id: Id, payload: CheckinIn):
    user = request.user
    meeting = selectors.meeting_get(user, meeting_id)
    ways = [payload.token is not None, payload.lat is not None or payload.lng is not None]
    ways.append(payload.online)
    if sum(ways) != 1 or (ways[1] and (payload.lat is None or payload.lng is None)):
        raise invalid(("body",), MSG_CHECKIN_HOW, "checkin_method")
    with as_api_fields:
        if payload.token is not None:
            return services.checkin_by_qr(
                acting_user=user, meeting=meeting, token=payload.token, ip=client_ip(request)
            )
        if payload.online:
            return services.checkin_online(acting_user=user, meeting=meeting, ip=client_ip(request))
        return services.checkin_by_location(
            acting_user=user,
            meeting=meeting,
            latitude=payload.lat,
            longitude=payload.lng,
            ip=client_ip(request),
        )


@router.get(
    "/meetings/{meeting_id}/qr",
    response=QrOut,
    summary="当前签到二维码内容（记录人、管理员；每30秒更换，每个约2分钟内有效）",
)
def meeting_qr(request, meeting_id: Id):
    from django.core.exceptions import PermissionDenied

    meeting = selectors.meeting_get(request.user, meeting_id)
    if not selectors.can_record(request.user, meeting):
        raise PermissionDenied("您没有权限执行此操作")
    now = timezone.now()
    token = checkin.qr_token_for(meeting, now)
    return {
        "token": token,
        "url": request.build_absolute_uri(checkin.checkin_url(meeting, token)),
        "refresh_in": checkin.seconds_to_rotation(now),
        "valid_for": checkin.VALID_SECONDS,
    }


@router.post("/meetings/{meeting_id}/leave", response=AttendanceOut, summary="本人请假（需事由）")
def meeting_leave(request, meeting_id: Id, payload: ReasonIn):
    meeting = selectors.meeting_get(request.user, meeting_id)
    with as_api_fields:
        return services.leave_request(
            acting_user=request.user, meeting=meeting, reason=payload.reason, ip=client_ip(request)
        )
