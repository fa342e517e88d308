"""REST endpoints of 组织关系转入 (``/api/v1/transfers/incoming``): list, register a
letter, detail, approve/reject, and the 回执 PDF.

Reads through ``transfers.selectors`` (an incoming transfer outside the caller's scope is
a 404), writes through ``transfers.services``; a refusal is a 422 on the field it
concerns (``reported_on`` for a letter past its validity, ``id_number`` for a person
already current on the platform ...).
"""

import datetime as dt

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import (
    Date,
    Id,
    InSchema,
    LocalDateTime,
    Paging,
    QuerySchema,
    api_fields,
    filtered,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.orgs.selectors import org_get
from dangjian.transfers import receipt, selectors, services
from dangjian.transfers.api import TransferEventOut, TransferStepOut, pdf_openapi
from dangjian.transfers.choices import IncomingStatus, Origin
from dangjian.transfers.filters import IncomingFilter

router = Router(tags=["transfers"])
as_api_fields = api_fields({"to_branch": "to_org_id"}, whole=("incoming",))


class IncomingFilters(QuerySchema):
    q: str | None = None
    status: IncomingStatus | None = None
    origin: Origin | None = None


class IncomingOut(Schema):
    id: int
    name: str
    to_org_id: int
    to_org_name: str
    origin: str
    origin_label: str
    from_org: str
    issuing_org: str
    letter_no: str
    reported_on: dt.date
    status: str
    status_label: str
    current_org_name: str
    steps_done: int
    created_at: LocalDateTime
    resolution_due: LocalDateTime | None

    @staticmethod
    def resolve_to_org_id(obj) -> int:
        return obj.to_branch_id

    @staticmethod
    def resolve_to_org_name(obj) -> str:
        return obj.to_branch.name

    @staticmethod
    def resolve_origin_label(obj) -> str:
        return obj.get_origin_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_current_org_name(obj) -> str:
        return obj.current_org.name


class IncomingDetailOut(IncomingOut):
    id_number_masked: str
    gender: str
    ethnicity: str
    education: str
    joined_on: dt.date
    full_member_on: dt.date | None
    member_status: str
    dues_paid_until: dt.date | None
    letter_issued_on: dt.date
    letter_valid_until: dt.date
    member_id: int | None
    reopened: bool
    accepted_on: dt.date | None
    receipt_no: str
    steps: list[TransferStepOut]
    history: list[TransferEventOut]

    @staticmethod
    def resolve_steps(obj) -> list:
        return selectors.incoming_steps(obj)

    @staticmethod
    def resolve_history(obj) -> list:
        return selectors.incoming_history(obj)


class IncomingIn(InSchema):
    to_org_id: Id
    origin: Origin
    from_org: str = Field(..., max_length=120)
    issuing_org: str = Field(..., max_length=120)
    letter_no: str = Field(..., max_length=60)
    letter_issued_on: Date
    letter_valid_until: Date
    reported_on: Date
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=18)
    ethnicity: str = Field(..., max_length=10)
    education: str = Field(..., max_length=24)
    phone: str = Field("", max_length=20)
    member_status: str = Field(..., max_length=16)
    joined_on: Date
    full_member_on: Date | None = None
    dues_paid_until: Date | None = None


class IncomingNoteIn(InSchema):
    note: str = Field("", max_length=200)


class IncomingReasonIn(InSchema):
    reason: str = Field("", max_length=200)


@router.get("", response=list[IncomingOut], summary="组织关系转入列表（接收党支部及其上级）")
@paginate(Paging)
def incoming_list(request, filters: Query[IncomingFilters]):
    return filtered(IncomingFilter, filters, selectors.incoming_queryset(request.user), request)


@router.post(
    "",
    response={201: IncomingDetailOut},
    summary="登记平台外转入的介绍信（接收党支部及其上级），开始逐级审核",
)
def incoming_register(request, payload: IncomingIn):
    data = payload.model_dump()
    branch = resolve_in_scope(org_get, request.user, data.pop("to_org_id"), field="to_org_id")
    with as_api_fields:
        incoming = services.incoming_register(
            acting_user=request.user, to_branch=branch, ip=client_ip(request), **data
        )
    return Status(201, selectors.incoming_get(request.user, incoming.pk))


@router.get("/{incoming_id}", response=IncomingDetailOut, summary="转入详情（审核环节与办理记录）")
def incoming_detail(request, incoming_id: Id):
    return selectors.incoming_get(request.user, incoming_id)


@router.post(
    "/{incoming_id}/approve",
    response=IncomingDetailOut,
    summary="当前环节审核同意；党支部同意即接收（建立或恢复党员档案）",
)
def incoming_approve(request, incoming_id: Id, payload: IncomingNoteIn):
    incoming = selectors.incoming_get(request.user, incoming_id)
    with as_api_fields:
        services.incoming_approve(
            acting_user=request.user, incoming=incoming, note=payload.note, ip=client_ip(request)
        )
    return selectors.incoming_get(request.user, incoming_id)


@router.post(
    "/{incoming_id}/reject", response=IncomingDetailOut, summary="当前环节不予接收（需理由）"
)
def incoming_reject(request, incoming_id: Id, payload: IncomingReasonIn):
    incoming = selectors.incoming_get(request.user, incoming_id)
    with as_api_fields:
        services.incoming_reject(
            acting_user=request.user,
            incoming=incoming,
            reason=payload.reason,
            ip=client_ip(request),
        )
    return selectors.incoming_get(request.user, incoming_id)


@router.get(
    "/{incoming_id}/receipt",
    response={200: None},
    summary="回执 PDF（接收后）",
    openapi_extra=pdf_openapi("回执"),
)
def incoming_receipt(request, incoming_id: Id):
    incoming = selectors.incoming_get(request.user, incoming_id)
    if not incoming.receipt_no:
        raise Http404("未找到")
    services.receipt_download_record(
        acting_user=request.user, incoming=incoming, ip=client_ip(request)
    )
    return receipt.pdf_response(incoming)
