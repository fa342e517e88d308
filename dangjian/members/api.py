"""REST endpoints for member records: list, detail, create, edit, reveal.

ID numbers, phones and addresses are always masked; POST /{id}/reveal returns them in clear to
those allowed (the member themself, an admin over their branch) and is audited.
"""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import model_validator

from dangjian.core import exports as core_exports
from dangjian.core import uploads
from dangjian.core.apitools import (
    Id,
    InSchema,
    KeysetPaging,
    QuerySchema,
    api_fields,
    filtered,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.core.scope import Perm, authorize
from dangjian.core.text import Name
from dangjian.members import exports, selectors, services
from dangjian.members.choices import AgeBand, Education, Gender
from dangjian.members.choices import Status as MemberStatus
from dangjian.members.filters import MemberFilter
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["members"])
# Service field names → the API's body field names (organisations are sent as ids).
as_api_fields = api_fields({"branch": "branch_id", "group": "group_id"})


# --- Schemas


class MemberFilters(QuerySchema):
    q: str | None = None
    status: MemberStatus | None = None
    education: Education | None = None
    gender: Gender | None = None
    ethnicity: str | None = None
    age_band: AgeBand | None = None
    org: Id | None = None  # members of this organisation's whole subtree


# Shown to the member themself and to those over the branch (selectors.sees_details);
# a fellow member gets null for each (name, branch, group and posts only).
DETAIL_FIELDS = (
    "gender",
    "gender_label",
    "ethnicity",
    "birth_date",
    "age",
    "id_number_masked",
    "phone_masked",
    "address_masked",
    "education",
    "education_label",
    "occupation",
    "joined_on",
    "full_member_on",
    "status",
    "status_label",
    "transferred_out_on",
    "transferred_out_to",
)


class MemberOut(Schema):
    id: int
    name: str
    branch_id: int
    branch_name: str
    group_id: int | None
    group_name: str | None
    posts: list[str]
    details_shown: bool
    gender: str | None
    gender_label: str | None
    ethnicity: str | None
    birth_date: dt.date | None
    age: int | None
    id_number_masked: str | None
    phone_masked: str | None
    address_masked: str | None
    education: str | None
    education_label: str | None
    occupation: str | None
    joined_on: dt.date | None
    full_member_on: dt.date | None
    status: str | None
    status_label: str | None
    transferred_out_on: dt.date | None  # 已转出: when, and to which organisation
    transferred_out_to: str | None

    @staticmethod
    def resolve_details_shown(obj, context) -> bool:
        return selectors.sees_details(context["request"].user, obj)

    @staticmethod
    def resolve_posts(obj) -> list[str]:
        return selectors.posts_of(obj)

    @staticmethod
    def resolve_gender_label(obj) -> str:
        return obj.get_gender_display()

    @staticmethod
    def resolve_age(obj) -> int:
        return obj.age()

    @staticmethod
    def resolve_education_label(obj) -> str:
        return obj.get_education_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_branch_name(obj) -> str:
        return obj.branch.name

    @staticmethod
    def resolve_group_name(obj) -> str | None:
        return obj.group.name if obj.group_id else None

    @model_validator(mode="after")
    def _only_shown_details(self):
        if not self.details_shown:
            for name in DETAIL_FIELDS:
                setattr(self, name, None)
        return self


class MemberDetailOut(MemberOut):
    can_change: bool
    can_reveal: bool

    @staticmethod
    def resolve_can_change(obj, context) -> bool:
        return selectors.can_change(context["request"].user, obj)

    @staticmethod
    def resolve_can_reveal(obj, context) -> bool:
        return selectors.can_reveal(context["request"].user, obj)


class MemberCreateIn(InSchema):
    branch_id: Id
    name: Name
    id_number: str
    phone: str = ""
    address: str = ""
    ethnicity: str
    education: Education
    occupation: str = ""
    joined_on: dt.date
    full_member_on: dt.date | None = None
    status: MemberStatus
    gender: Gender | None = None  # default: from the ID number
    birth_date: dt.date | None = None  # default: from the ID number
    group_id: Id | None = None


class MemberPatchIn(InSchema):
    """Only the fields sent are changed; ``full_member_on`` and ``group_id`` may be null."""

    name: Name = None
    gender: Gender = None
    ethnicity: str = None
    birth_date: dt.date = None
    id_number: str = None
    phone: str = None  # "" clears it
    address: str = None  # "" clears it
    education: Education = None
    occupation: str = None
    joined_on: dt.date = None
    full_member_on: dt.date | None = None
    status: MemberStatus = None
    branch_id: Id = None
    group_id: Id | None = None


class RevealOut(Schema):
    id_number: str
    phone: str
    address: str


# --- Reads


class AuditedPaging(KeysetPaging):
    """The page; a bulk read (a large page or a later one, by offset or by cursor) is
    written to the audit log (``first`` is null for a page reached by cursor)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        items = page[self.items_attribute] = list(page[self.items_attribute])
        later = bool(pagination.cursor)
        if later or services.is_bulk_read(count=len(items), first=pagination.offset):
            services.member_bulk_read_record(
                acting_user=request.user,
                count=len(items),
                first=None if later else pagination.offset,
                filters={
                    k: v for k, v in request.GET.items() if k not in {"limit", "offset", "cursor"}
                },
                channel="api",
                ip=client_ip(request),
            )
        return page


@router.get(
    "",
    response=list[MemberOut],
    summary="党员列表（权限范围内，已脱敏；同支部党员之间只见姓名、党小组和职务）",
)
@paginate(AuditedPaging)
def member_list(request, filters: Query[MemberFilters]):
    user = request.user
    used = filters.model_dump()
    if any(used.get(name) not in (None, "") for name in MemberFilter.DETAILS):
        base = selectors.detail_queryset(user)  # a detail filters only those shown it
    else:
        base = selectors.member_queryset(user)
    qs = selectors.with_posts(filtered(MemberFilter, filters, base, request))
    return selectors.with_scope_total(user, qs, used)


class MemberExportFilters(MemberFilters):
    format: Literal["xlsx", "csv"] = "xlsx"


def _file_responses(*types: str, description: str) -> dict:
    content = {t: {"schema": {"type": "string", "format": "binary"}} for t in types}
    return {"responses": {200: {"description": description, "content": content}}}


@router.get(
    "/export",
    response={200: None},
    summary="导出党员名册（筛选条件同列表；脱敏、带水印、限量、留痕）",
    description=(
        "与 GET /members 相同的筛选参数，format=xlsx（默认）或 csv。仅单位领导、管理员可导出其"
        '组织范围内的党员。超过本人可导出的行数上限时返回 422（loc 为 ["query"]），'
        "提示缩小筛选范围，不导出任何数据。"
    ),
    openapi_extra=_file_responses(
        core_exports.FORMATS["xlsx"], "text/csv", description="名册文件（附件）"
    ),
)
def member_export(request, filters: Query[MemberExportFilters]):
    from dangjian.core.apitools import invalid

    user = request.user
    params = filters.model_copy(update={"format": None})
    queryset = filtered(MemberFilter, params, exports.export_queryset(user), request)
    org = org_selectors.org_get(user, filters.org) if filters.org is not None else None
    try:
        return exports.member_roster_export(
            user=user,
            queryset=queryset,
            filters=filters.model_dump(exclude_none=True, exclude={"format"}),
            fmt=filters.format,
            org=org,
            ip=client_ip(request),
        )
    except core_exports.ExportRefused as exc:
        raise invalid(("query",), exc.message, "export_too_large") from None


@router.get("/{member_id}", response=MemberDetailOut, summary="党员详情（已脱敏）")
def member_detail(request, member_id: Id):
    return selectors.member_get(request.user, member_id)


# --- Writes


@router.post("", response={201: MemberDetailOut}, summary="登记党员")
def member_create(request, payload: MemberCreateIn):
    user = request.user
    branch = org_selectors.org_get(user, payload.branch_id)
    authorize(user, Perm.CHANGE_MEMBER, branch.path, view_perm=Perm.VIEW_ORG)
    group = resolve_in_scope(org_selectors.org_get, user, payload.group_id, field="group_id")
    fields = payload.model_dump(exclude={"branch_id", "group_id", "gender", "birth_date"})
    with as_api_fields:
        member = services.member_create(
            acting_user=user,
            branch=branch,
            group=group,
            gender=payload.gender or "",
            birth_date=payload.birth_date,
            ip=client_ip(request),
            **fields,
        )
    return Status(201, selectors.member_get(user, member.pk))


@router.patch("/{member_id}", response=MemberDetailOut, summary="修改党员信息（只改所传字段）")
def member_update(request, member_id: Id, payload: MemberPatchIn):
    user = request.user
    member = selectors.member_get(user, member_id)
    authorize(user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    changes = payload.model_dump(exclude_unset=True)
    if "branch_id" in changes:
        changes["branch"] = resolve_in_scope(
            org_selectors.org_get, user, changes.pop("branch_id"), field="branch_id"
        )
    if "group_id" in changes:
        changes["group"] = resolve_in_scope(
            org_selectors.org_get, user, changes.pop("group_id"), field="group_id"
        )
    with as_api_fields:
        services.member_update(acting_user=user, member=member, ip=client_ip(request), **changes)
    return selectors.member_get(user, member_id)


@router.post(
    "/{member_id}/reveal",
    response=RevealOut,
    summary="查看未脱敏的身份证号、手机号与家庭住址（留痕）",
)
def member_reveal(request, member_id: Id):
    member = selectors.member_get(request.user, member_id)
    return services.member_reveal(acting_user=request.user, member=member, ip=client_ip(request))


# --- Photo (证件照)


class PhotoOut(Schema):
    content_type: str
    size: int
    width: int | None
    height: int | None
    sha256: str


@router.get(
    "/{member_id}/photo",
    response={200: None},
    summary="党员证件照（本人及其党支部的上级管理者可取）",
    openapi_extra=_file_responses("image/jpeg", "image/png", description="证件照"),
)
def member_photo(request, member_id: Id):
    member = selectors.member_get(request.user, member_id)
    if not selectors.sees_details(request.user, member):
        raise PermissionDenied(selectors.MSG_NO_DETAILS)
    return uploads.file_response(member.photo if member.photo_id else None)


@router.post(
    "/{member_id}/photo",
    response=PhotoOut,
    summary="上传证件照（multipart，字段 photo；重新编码，去除 EXIF；留痕）",
)
def member_photo_upload(request, member_id: Id, photo: File[UploadedFile]):
    member = selectors.member_get(request.user, member_id)
    authorize(request.user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    return services.member_photo_set(
        acting_user=request.user, member=member, upload=photo, ip=client_ip(request)
    )
