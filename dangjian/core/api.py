"""/api/v1/inbox: the caller's own notifications (消息) and their read state."""

import datetime as dt

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from dangjian.core import notify
from dangjian.core.apitools import Id, InSchema, Paging, QuerySchema

router = Router(tags=["inbox"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxFilter(QuerySchema):
    unread: bool | None = None


class UnreadOut(Schema):
    unread: int


class ReadIn(InSchema):
    ids: list[Id] | None = Field(None, max_length=1000)


class ReadOut(Schema):
    marked: int
    unread: int


@router.get("", response=list[NotificationOut], summary="我的消息（新的在前）")
@paginate(Paging)
def inbox_list(request, filters: Query[InboxFilter]):
    qs = notify.inbox(request.user)
    if filters.unread is not None:
        qs = qs.filter(read_at__isnull=filters.unread)
    return qs


@router.get("/unread", response=UnreadOut, summary="未读消息数")
def inbox_unread(request):
    return {"unread": notify.unread_count(request.user)}


@router.post("/read", response=ReadOut, summary="标为已读（不传 ids 则全部）")
def inbox_read(request, payload: ReadIn):
    marked = notify.mark_read(request.user, payload.ids)
    return {"marked": marked, "unread": notify.unread_count(request.user)}
