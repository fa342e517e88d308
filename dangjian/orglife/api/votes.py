"""Resolutions and votes."""

from ninja import Status

from dangjian.core.apitools import Id, resolve_in_scope
from dangjian.core.http import client_ip
from dangjian.orglife import selectors, services
from dangjian.orglife.api.common import as_api_fields, router
from dangjian.orglife.api.schemas import ResolutionIn, ResolutionOut, ResolutionRefIn, VoteIn


@router.post(
    "/meetings/{meeting_id}/resolutions",
    response={201: ResolutionOut},
    summary="提出表决事项（记录人、管理员）",
)
def resolution_add(request, meeting_id: Id, payload: ResolutionIn):
    meeting = selectors.meeting_get(request.user, meeting_id)
    with as_api_fields:
        resolution = services.resolution_add(
            acting_user=request.user,
            meeting=meeting,
            title=payload.title,
            text=payload.text,
            ip=client_ip(request),
        )
    return Status(201, resolution)


def _resolution(request, meeting_id, resolution_id):
    meeting = selectors.meeting_get(request.user, meeting_id)
    return resolve_in_scope(
        lambda _user, pk: selectors.resolution_get(meeting, pk),
        request.user,
        resolution_id,
        field="resolution_id",
    )


def _with_my_vote(request, resolution):
    """The resolution as the caller sees it (with their own vote)."""
    items = selectors.resolutions_for(resolution.meeting, request.user)
    return next(item for item in items if item.pk == resolution.pk)


@router.post(
    "/meetings/{meeting_id}/vote",
    response=ResolutionOut,
    summary="表决：赞成、反对或弃权（有表决权的党员每人一票，投后不可更改）",
)
def resolution_vote(request, meeting_id: Id, payload: VoteIn):
    resolution = _resolution(request, meeting_id, payload.resolution_id)
    with as_api_fields:
        services.resolution_vote(
            acting_user=request.user,
            resolution=resolution,
            choice=payload.choice,
            ip=client_ip(request),
        )
    return _with_my_vote(request, resolution)


@router.post(
    "/meetings/{meeting_id}/close-vote",
    response=ResolutionOut,
    summary="结束表决并计票（超过有表决权党员半数赞成为通过）",
)
def resolution_close(request, meeting_id: Id, payload: ResolutionRefIn):
    resolution = _resolution(request, meeting_id, payload.resolution_id)
    with as_api_fields:
        services.resolution_close(
            acting_user=request.user, resolution=resolution, ip=client_ip(request)
        )
    return _with_my_vote(request, resolution)
