"""REST endpoints of 组织关系转接: list, apply, detail, approve/reject/withdraw, reissue,
the 回执, and the letter PDF.

Reads go through ``transfers.selectors`` (a transfer outside the caller's scope is a
404), writes through ``transfers.services``; a refused step is a 422 on the field it
concerns (``status`` for the state or the approver, ``reason``, ``received_on`` ...).
"""

import datetime as dt
from contextlib import contextmanager

from django.core.exceptions import ValidationError
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
    filtered,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.members import selectors as member_selectors
from dangjian.transfers import letter, selectors, services
from dangjian.transfers.choices import TransferScope, TransferStatus
from dangjian.transfers.filters import TransferFilter

router = Router(tags=["transfers"])
FIELD_ALIASES = {"to_branch": "to_org_id", "member": "member_id"}


@contextmanager
def _as_api_fields():
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {}
        for field, errors in exc.error_dict.items():
            renamed.setdefault(FIELD_ALIASES.get(field, field), []).extend(errors)
        raise ValidationError(renamed) from None


class TransferFilters(QuerySchema):
    q: str | None = None
    status: TransferStatus | None = None
    scope: TransferScope | None = None


class TransferOut(Schema):
    id: int
    member_id: int
    member_name: str
    from_org_id: int
    from_org_name: str
    to_org_id: int | None
    to_org_name: str
    external: bool
    scope: str
    scope_label: str
    status: str
    status_label: str
    current_org_name: str
    steps_done: int
    created_at: LocalDateTime
    resolution_due: LocalDateTime | None

    @staticmethod
    def resolve_member_name(obj) -> str:
        return obj.member.name

    @staticmethod
    def resolve_from_org_id(obj) -> int:
        return obj.from_branch_id

    @staticmethod
    def resolve_from_org_name(obj) -> str:
        return obj.from_branch.name

    @staticmethod
    def resolve_to_org_id(obj) -> int | None:
        return obj.to_branch_id

    @staticmethod
    def resolve_to_org_name(obj) -> str:
        return obj.destination

    @staticmethod
    def resolve_scope_label(obj) -> str:
        return obj.get_scope_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_current_org_name(obj) -> str:
        return obj.current_org.name


def pdf_openapi(description: str) -> dict:
    """The OpenAPI description of a PDF download (介绍信, 回执): a binary body, no schema."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


class TransferStepOut(Schema):
    """One check of a case's chain — an outgoing transfer's or an incoming letter's."""

    seq: int
    org_id: int
    org_name: str
    decision: str
    decided_at: LocalDateTime | None
    note: str

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name


class TransferEventOut(Schema):
    """One line of a case's history (both directions of 转接)."""

    action: str
    to_status: str
    note: str
    at: LocalDateTime


class TransferDetailOut(TransferOut):
    reason: str
    letter_no: str | None
    letter_issued_on: dt.date | None
    letter_valid_until: dt.date | None
    received_on: dt.date | None
    receipt_note: str
    steps: list[TransferStepOut]
    history: list[TransferEventOut]

    @staticmethod
    def resolve_steps(obj) -> list:
        return selectors.steps_of(obj)

    @staticmethod
    def resolve_history(obj) -> list:
        return selectors.history_of(obj)


class TransferApplyIn(InSchema):
    member_id: Id
    reason: str = Field(..., max_length=200)
    to_org_id: Id | None = None
    external_org: str = Field("", max_length=120)
    external_scope: TransferScope | None = None


class TransferNoteIn(InSchema):
    note: str = Field("", max_length=200)


class TransferReasonIn(InSchema):
    reason: str = Field("", max_length=200)


class TransferReceiptIn(InSchema):
    received_on: Date
    note: str = Field("", max_length=200)


class TransferDestinationOut(Schema):
    id: int
    name: str
    code: str


class TransferDestinationQuery(QuerySchema):
    q: str = Field("", max_length=60)


@router.get("", response=list[TransferOut], summary="组织关系转接列表（权限范围内及本人）")
@paginate(Paging)
def transfer_list(request, filters: Query[TransferFilters]):
    return filtered(TransferFilter, filters, selectors.transfer_queryset(request.user), request)


@router.get(
    "/destinations",
    response=list[TransferDestinationOut],
    summary="可转入的党支部（全平台，按名称或代码查找，最多20个）",
)
def destinations(request, query: Query[TransferDestinationQuery]):
    return list(selectors.destination_search(query.q.replace("\x00", "").strip()))


@router.post(
    "", response={201: TransferDetailOut}, summary="申请组织关系转接（本人或党支部代为申请）"
)
def transfer_apply(request, payload: TransferApplyIn):
    user = request.user
    member = resolve_in_scope(
        member_selectors.member_get, user, payload.member_id, field="member_id"
    )
    to_branch = None
    if payload.to_org_id is not None:
        to_branch = selectors.destination_get(payload.to_org_id)
        if to_branch is None:
            raise ValidationError({"to_org_id": ["不存在该党组织"]})
    with _as_api_fields():
        transfer = services.transfer_apply(
            acting_user=user,
            member=member,
            reason=payload.reason,
            to_branch=to_branch,
            external_org=payload.external_org,
            external_scope=payload.external_scope or "",
            ip=client_ip(request),
        )
    return Status(201, selectors.transfer_get(user, transfer.pk))


@router.get("/{transfer_id}", response=TransferDetailOut, summary="转接详情（审批环节与全程记录）")
def transfer_detail(request, transfer_id: Id):
    return selectors.transfer_get(request.user, transfer_id)


@router.post("/{transfer_id}/approve", response=TransferDetailOut, summary="当前环节审批同意")
def transfer_approve(request, transfer_id: Id, payload: TransferNoteIn):
    transfer = selectors.transfer_get(request.user, transfer_id)
    with _as_api_fields():
        services.transfer_approve(
            acting_user=request.user, transfer=transfer, note=payload.note, ip=client_ip(request)
        )
    return selectors.transfer_get(request.user, transfer_id)


@router.post("/{transfer_id}/reject", response=TransferDetailOut, summary="当前环节退回（需理由）")
def transfer_reject(request, transfer_id: Id, payload: TransferReasonIn):
    transfer = selectors.transfer_get(request.user, transfer_id)
    with _as_api_fields():
        services.transfer_reject(
            acting_user=request.user,
            transfer=transfer,
            reason=payload.reason,
            ip=client_ip(request),
        )
    return selectors.transfer_get(request.user, transfer_id)


@router.post(
    "/{transfer_id}/withdraw", response=TransferDetailOut, summary="撤回申请（首个环节审批前）"
)
def transfer_withdraw(request, transfer_id: Id, payload: TransferReasonIn):
    transfer = selectors.transfer_get(request.user, transfer_id)
    with _as_api_fields():
        services.transfer_withdraw(
            acting_user=request.user,
            transfer=transfer,
            reason=payload.reason,
            ip=client_ip(request),
        )
    return selectors.transfer_get(request.user, transfer_id)


@router.post(
    "/{transfer_id}/reissue", response=TransferDetailOut, summary="重新开具介绍信（原介绍信作废）"
)
def transfer_reissue(request, transfer_id: Id):
    transfer = selectors.transfer_get(request.user, transfer_id)
    with _as_api_fields():
        services.transfer_reissue(
            acting_user=request.user, transfer=transfer, ip=client_ip(request)
        )
    return selectors.transfer_get(request.user, transfer_id)


@router.post(
    "/{transfer_id}/receipt",
    response=TransferDetailOut,
    summary="登记回执（接收方；转出平台外的由转出方登记）；完成后党员转入新党支部",
)
def transfer_receipt(request, transfer_id: Id, payload: TransferReceiptIn):
    transfer = selectors.transfer_get(request.user, transfer_id)
    with _as_api_fields():
        services.transfer_receive(
            acting_user=request.user,
            transfer=transfer,
            received_on=payload.received_on,
            note=payload.note,
            ip=client_ip(request),
        )
    return selectors.transfer_get(request.user, transfer_id)


@router.get(
    "/{transfer_id}/letter",
    response={200: None},
    summary="介绍信 PDF（开具后）",
    openapi_extra=pdf_openapi("介绍信"),
)
def transfer_letter(request, transfer_id: Id):
    transfer = selectors.transfer_get(request.user, transfer_id)
    if transfer.letter_no is None:
        raise Http404("未找到")
    services.letter_download_record(
        acting_user=request.user, transfer=transfer, ip=client_ip(request)
    )
    return letter.pdf_response(transfer, request)
