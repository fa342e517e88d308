"""Core's endpoints: /api/v1/inbox, the caller's own notifications (消息) and their read
state; /api/v1/warnings, the warnings (预警) of the caller's subtree, resolved and
assigned by those who hold the change right over the warning's organisation."""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from dangjian.core import notify, warnings
from dangjian.core.apitools import (
    Id,
    InSchema,
    LocalDateTime,
    Paging,
    QuerySchema,
    api_fields,
    filtered,
    invalid,
)
from dangjian.core.filters import WarningFilter
from dangjian.core.http import client_ip

router = Router(tags=["inbox"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: LocalDateTime
    read_at: LocalDateTime | None


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


# --- /api/v1/warnings: 预警 of the caller's subtree ---------------------------------------

warnings_router = Router(tags=["warnings"])
as_api_fields = api_fields({"assignee": "assignee_id"})


class WarningOut(Schema):
    id: int
    kind: str
    kind_label: str
    org_id: int
    org_name: str
    subject_type: str
    subject_id: str
    subject_label: str
    title: str
    period: str
    severity: int
    severity_label: str
    raised_at: LocalDateTime
    due: LocalDateTime | None
    assignee_id: int | None
    assignee_name: str
    resolved_at: LocalDateTime | None
    resolution: str
    resolution_label: str
    resolution_note: str
    can_change: bool = Field(description="调用者能否处理、指派（需该组织的管理权限）")

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name

    @staticmethod
    def resolve_severity_label(obj) -> str:
        return obj.get_severity_display()

    @staticmethod
    def resolve_assignee_name(obj) -> str:
        return str(obj.assignee) if obj.assignee_id else ""

    @staticmethod
    def resolve_resolution_label(obj) -> str:
        return obj.get_resolution_display()

    @staticmethod
    def resolve_can_change(obj, context) -> bool:
        return warnings.can_change(context["request"].user, obj)


class WarningKindOut(Schema):
    name: str
    label: str
    severity: int
    doc: str


class WarningListQuery(QuerySchema):
    kind: str | None = Field(None, max_length=64, description="预警类型（见 /warnings/kinds）")
    state: Literal["open", "resolved", "all"] = Field("open", description="未解除、已解除或全部")
    org: Id | None = Field(None, description="只看该组织及其下级（范围外的组织：空列表）")
    mine: bool | None = Field(None, description="只看指派给我的")
    raised_from: dt.date | None = None
    raised_to: dt.date | None = None


class WarningResolveIn(InSchema):
    resolution: Literal["handled", "dismissed"] = Field(description="已处理或忽略")
    note: str = Field(description="处理说明（必填，500字以内）")


class WarningAssignIn(InSchema):
    assignee_id: Id | None = Field(description="责任人用户编号；null 取消指派")


@warnings_router.get("", response=list[WarningOut], summary="预警列表（所辖组织；可筛选）")
@paginate(Paging)
def warning_list(request, query: Query[WarningListQuery]):
    qs = warnings.warning_queryset(request.user)
    return filtered(WarningFilter, query, qs, request)


@warnings_router.get("/kinds", response=list[WarningKindOut], summary="预警类型")
def warning_kinds(request):
    return warnings.kinds()


@warnings_router.get("/{warning_id}", response=WarningOut, summary="预警详情")
def warning_detail(request, warning_id: Id):
    return warnings.warning_get(request.user, warning_id)


@warnings_router.post(
    "/{warning_id}/resolve", response=WarningOut, summary="处理或忽略预警（需管理权限）"
)
def warning_resolve(request, warning_id: Id, payload: WarningResolveIn):
    warning = warnings.warning_get(request.user, warning_id)
    warnings.require_change(request.user, warning)
    with as_api_fields:
        warnings.warning_resolve(
            acting_user=request.user,
            warning=warning,
            resolution=payload.resolution,
            note=payload.note,
            ip=client_ip(request),
        )
    return warnings.warning_get(request.user, warning_id)


@warnings_router.post(
    "/{warning_id}/assign", response=WarningOut, summary="指派预警责任人（需管理权限）"
)
def warning_assign(request, warning_id: Id, payload: WarningAssignIn):
    warning = warnings.warning_get(request.user, warning_id)
    warnings.require_change(request.user, warning)
    assignee = None
    if payload.assignee_id is not None:
        assignee = (
            warnings.assignable_users(request.user, warning).filter(pk=payload.assignee_id).first()
        )
        if assignee is None:
            raise invalid(("body", "assignee_id"), warnings.MSG_ASSIGNEE, "not_assignable")
    with as_api_fields:
        warnings.warning_assign(
            acting_user=request.user, warning=warning, assignee=assignee, ip=client_ip(request)
        )
    return warnings.warning_get(request.user, warning_id)
