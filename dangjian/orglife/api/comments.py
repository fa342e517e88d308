"""Comments and photos of a meeting."""

from django.http import Http404
from ninja import File, Form, Query, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from dangjian.core import uploads
from dangjian.core.apitools import Id, Paging, QuerySchema
from dangjian.core.http import client_ip
from dangjian.orglife import selectors, services
from dangjian.orglife.api.common import as_api_fields, router
from dangjian.orglife.api.schemas import CommentIn, CommentOut, MeetingPhotoOut


@router.get("/meetings/{meeting_id}/comments", response=list[CommentOut], summary="会议留言")
@paginate(Paging)
def comment_list(request, meeting_id: Id):
    return selectors.comments_for(selectors.meeting_get(request.user, meeting_id))


@router.post("/meetings/{meeting_id}/comments", response={201: CommentOut}, summary="发表留言")
def comment_add(request, meeting_id: Id, payload: CommentIn):
    meeting = selectors.meeting_get(request.user, meeting_id)
    with as_api_fields:
        comment = services.comment_add(
            acting_user=request.user, meeting=meeting, text=payload.text, ip=client_ip(request)
        )
    return Status(201, comment)


@router.get("/meetings/{meeting_id}/photos", response=list[MeetingPhotoOut], summary="现场照片")
def photo_list(request, meeting_id: Id):
    return list(selectors.photos_for(selectors.meeting_get(request.user, meeting_id)))


class PhotoQuery(QuerySchema):
    # Optional in the schema so an out-of-scope meeting answers 404 before the query
    # is looked at; without it there is simply no such photo (404).
    photo_id: Id | None = None


@router.get(
    "/meetings/{meeting_id}/photo-file",
    response={200: None},
    url_name="orglife_photo_file",
    summary="照片文件",
    openapi_extra={
        "responses": {
            200: {
                "description": "照片",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("image/jpeg", "image/png")
                },
            }
        }
    },
)
def photo_file(request, meeting_id: Id, query: Query[PhotoQuery]):
    meeting = selectors.meeting_get(request.user, meeting_id)
    if query.photo_id is None:
        raise Http404("未找到")
    return uploads.file_response(selectors.photo_get(meeting, query.photo_id).file)


@router.post(
    "/meetings/{meeting_id}/photos",
    response={201: MeetingPhotoOut},
    summary="上传现场照片（multipart，字段 photo；重新编码，去除 EXIF；留痕）",
)
def photo_add(request, meeting_id: Id, photo: File[UploadedFile], caption: Form[str] = ""):
    meeting = selectors.meeting_get(request.user, meeting_id)
    with as_api_fields:
        item = services.photo_add(
            acting_user=request.user,
            meeting=meeting,
            upload=photo,
            caption=caption,
            ip=client_ip(request),
        )
    return Status(201, item)
