"""Meetings: list, detail, plan, change, cancel, record."""

from ninja import Query, Status
from ninja.pagination import paginate

from dangjian.core.apitools import Id, KeysetPaging, filtered, resolve_in_scope
from dangjian.core.http import client_ip
from dangjian.members import selectors as member_selectors
from dangjian.orglife import selectors, services
from dangjian.orglife.api.common import as_api_fields, router
from dangjian.orglife.api.schemas import (
    MeetingCreateIn,
    MeetingDetailOut,
    MeetingFilters,
    MeetingOut,
    MeetingPatchIn,
    ReasonIn,
    RecordIn,
)
from dangjian.orglife.filters import MeetingFilter
from dangjian.orgs import selectors as org_selectors


@router.get("/meetings", response=list[MeetingOut], summary="会议列表（权限范围内）")
@paginate(KeysetPaging)
def meeting_list(request, filters: Query[MeetingFilters]):
    user = request.user
    meetings = filtered(MeetingFilter, filters, selectors.meeting_queryset(user), request)
    org = org_selectors.org_queryset(user).filter(pk=filters.org).first() if filters.org else None
    return selectors.in_list_order(user, meetings, org)


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, summary="会议详情")
def meeting_detail(request, meeting_id: Id):
    return selectors.meeting_get(request.user, meeting_id)


def _members(user, payload, *names) -> dict:
    """Body member ids (host_id ...) → Member objects through the scoped selector."""
    return {
        name.removesuffix("_id"): resolve_in_scope(
            member_selectors.member_get, user, getattr(payload, name), field=name
        )
        for name in names
        if getattr(payload, name) is not None
    }


@router.post("/meetings", response={201: MeetingDetailOut}, summary="安排会议")
def meeting_create(request, payload: MeetingCreateIn):
    user = request.user
    org = org_selectors.org_get(user, payload.org_id)
    people = _members(user, payload, "host_id", "recorder_id")
    attendees = None
    if payload.attendee_ids is not None:
        attendees = [
            resolve_in_scope(member_selectors.member_get, user, pk, field="attendee_ids")
            for pk in dict.fromkeys(payload.attendee_ids)
        ]
    fields = payload.model_dump(
        exclude={"org_id", "host_id", "recorder_id", "attendee_ids"}, exclude_none=True
    )
    with as_api_fields:
        meeting = services.meeting_create(
            acting_user=user,
            org=org,
            attendees=attendees,
            ip=client_ip(request),
            **people,
            **fields,
        )
    return Status(201, selectors.meeting_get(user, meeting.pk))


@router.patch(
    "/meetings/{meeting_id}", response=MeetingDetailOut, summary="修改会议（只改所传字段）"
)
def meeting_update(request, meeting_id: Id, payload: MeetingPatchIn):
    user = request.user
    meeting = selectors.meeting_get(user, meeting_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"host_id", "recorder_id"})
    for name in ("host_id", "recorder_id"):
        if name in payload.model_fields_set:
            changes[name.removesuffix("_id")] = resolve_in_scope(
                member_selectors.member_get, user, getattr(payload, name), field=name
            )
    with as_api_fields:
        services.meeting_update(acting_user=user, meeting=meeting, ip=client_ip(request), **changes)
    return selectors.meeting_get(user, meeting_id)


@router.post("/meetings/{meeting_id}/cancel", response=MeetingDetailOut, summary="取消会议")
def meeting_cancel(request, meeting_id: Id, payload: ReasonIn):
    meeting = selectors.meeting_get(request.user, meeting_id)
    with as_api_fields:
        services.meeting_cancel(
            acting_user=request.user, meeting=meeting, reason=payload.reason, ip=client_ip(request)
        )
    return selectors.meeting_get(request.user, meeting_id)


@router.post(
    "/meetings/{meeting_id}/record",
    response=MeetingDetailOut,
    summary="记录会议纪要（会议状态变为已召开；未签到者记为缺席）",
)
def meeting_record(request, meeting_id: Id, payload: RecordIn):
    meeting = selectors.meeting_get(request.user, meeting_id)
    with as_api_fields:
        services.meeting_record(
            acting_user=request.user,
            meeting=meeting,
            minutes=payload.minutes,
            ip=client_ip(request),
        )
    return selectors.meeting_get(request.user, meeting_id)
