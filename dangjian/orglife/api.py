"""REST endpoints of organisational life (组织生活): meetings, attendance and check-in,
leave, resolutions and votes, comments, photos, compliance and warnings.

Reads go through ``orglife.selectors`` (scoped: a meeting outside the caller's subtree,
or one they are not called to, is a 404), writes through ``orglife.services``. A domain
rule refusing a write is a 422 on the body field it concerns (``host_id``, ``token`` ...).
"""

import datetime as dt

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from dangjian.core import uploads
from dangjian.core.apitools import (
    Id,
    InSchema,
    LocalDateTime,
    Paging,
    QuerySchema,
    api_fields,
    filtered,
    invalid,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.core.text import Name
from dangjian.members import selectors as member_selectors
from dangjian.orglife import checkin, rules, selectors, services
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, MeetingStatus, VoteChoice
from dangjian.orglife.filters import MeetingFilter
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["orglife"])

# Service field names → the API's body field names (relations are sent as ids).
FIELD_ALIASES = {
    "org": "org_id",
    "host": "host_id",
    "recorder": "recorder_id",
    "attendees": "attendee_ids",
    "member": "member_id",
    "resolution": "resolution_id",
    "latitude": "lat",
}
MSG_CHECKIN_HOW = "请提供签到二维码（token）或定位坐标（lat、lng）之一"
MSG_NO_SCOPE = "您没有可查看的组织生活范围"


# A service's errors about the meeting as a whole (cancelled, check-in closed) sit at
# ["body"].
as_api_fields = api_fields(FIELD_ALIASES, whole=("meeting",))


# --- Schemas


class MeetingFilters(QuerySchema):
    q: str | None = None
    kind: MeetingKind | None = None
    status: MeetingStatus | None = None
    month: str | None = Field(None, description="月份，如 2026-11", examples=["2026-11"])
    org: Id | None = None  # meetings of this organisation's whole subtree
    mine: bool | None = None  # only the meetings I am called to


class PersonOut(Schema):
    id: int
    name: str


class MeetingOut(Schema):
    id: int
    kind: str
    kind_label: str
    topic: str
    status: str
    status_label: str
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    place: str
    branch_id: int
    branch_name: str
    group_id: int | None
    online: bool

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_branch_name(obj) -> str:
        return obj.branch.name

    @staticmethod
    def resolve_online(obj) -> bool:
        return bool(obj.online_link)


class SummaryOut(Schema):
    expected: int  # 应到
    present: int  # 实到
    leave: int
    absent: int
    pending: int  # 未签到
    rate: float | None
    phone_required: int  # 需手机签到（60岁以上不计）
    missed_phone: int


class ResolutionOut(Schema):
    id: int
    title: str
    text: str
    status: str
    status_label: str
    votes_for: int
    votes_against: int
    votes_abstain: int
    eligible: int
    my_vote: str | None = None

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_my_vote(obj) -> str | None:
        return getattr(obj, "my_vote", None)


class MyAttendanceOut(Schema):
    status: str
    status_label: str
    method: str
    checked_in_at: LocalDateTime | None
    voting: bool
    online: bool
    phone_exempt: bool

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()


class MeetingDetailOut(MeetingOut):
    latitude: float | None
    longitude: float | None
    checkin_radius_m: int
    host: PersonOut | None
    recorder: PersonOut | None
    online_link: str
    agenda: str
    minutes: str
    cancel_reason: str
    recorded_at: LocalDateTime | None
    summary: SummaryOut
    resolutions: list[ResolutionOut]
    my_attendance: MyAttendanceOut | None
    can_change: bool
    can_record: bool

    @staticmethod
    def resolve_summary(obj) -> dict:
        summary = selectors.attendance_summary(obj)
        return {
            **{k: getattr(summary, k) for k in SummaryOut.model_fields if k != "missed_phone"},
            "missed_phone": summary.missed_phone,
        }

    @staticmethod
    def resolve_resolutions(obj, context) -> list:
        return selectors.resolutions_for(obj, context["request"].user)

    @staticmethod
    def resolve_my_attendance(obj, context):
        return selectors.my_attendance(context["request"].user, obj)

    @staticmethod
    def resolve_can_change(obj, context) -> bool:
        return selectors.can_change(context["request"].user, obj)

    @staticmethod
    def resolve_can_record(obj, context) -> bool:
        return selectors.can_record(context["request"].user, obj)


class MeetingCreateIn(InSchema):
    org_id: Id = Field(description="党支部；党小组会为党小组")
    kind: MeetingKind
    topic: Name
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = ""
    latitude: float | None = None
    longitude: float | None = None
    checkin_radius_m: int | None = None
    host_id: Id | None = None
    recorder_id: Id | None = None
    online_link: str = ""
    agenda: str = ""
    attendee_ids: list[Id] | None = Field(None, description="默认：本支部（党小组）全体党员")


class MeetingPatchIn(InSchema):
    """Only the fields sent are changed."""

    topic: Name = None
    starts_at: dt.datetime = None
    ends_at: dt.datetime = None
    place: str = None
    latitude: float | None = None
    longitude: float | None = None
    checkin_radius_m: int = None
    host_id: Id | None = None
    recorder_id: Id | None = None
    online_link: str = None
    agenda: str = None


class ReasonIn(InSchema):
    reason: str


class RecordIn(InSchema):
    minutes: str


class AttendanceOut(Schema):
    member_id: int
    member_name: str
    status: str
    status_label: str
    method: str
    method_label: str
    checked_in_at: LocalDateTime | None
    distance_m: int | None
    leave_reason: str
    online: bool
    phone_exempt: bool
    voting: bool
    counted: bool

    @staticmethod
    def resolve_member_name(obj) -> str:
        return obj.member.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_method_label(obj) -> str:
        return obj.get_method_display()


class MarkIn(InSchema):
    member_id: Id
    status: AttendanceStatus
    reason: str = ""


class CheckinIn(InSchema):
    """Either the QR code's ``token``, or the phone's position ``lat`` + ``lng``, or
    ``online: true`` for a 流动党员 joining by the meeting's link."""

    token: str | None = None
    lat: float | None = None
    lng: float | None = None
    online: bool = False


class QrOut(Schema):
    token: str
    url: str
    refresh_in: int  # seconds until the next code
    valid_for: int  # seconds each code is accepted


class ResolutionIn(InSchema):
    title: Name
    text: str = ""


class VoteIn(InSchema):
    resolution_id: Id
    choice: VoteChoice


class ResolutionRefIn(InSchema):
    resolution_id: Id


class CommentIn(InSchema):
    text: str


class CommentOut(Schema):
    id: int
    author: str
    text: str
    created_at: LocalDateTime

    @staticmethod
    def resolve_author(obj) -> str:
        member = getattr(obj.author, "member", None)
        return member.name if member is not None else obj.author.get_username()


class MeetingPhotoOut(Schema):
    id: int
    caption: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_content_type(obj) -> str:
        return obj.file.content_type

    @staticmethod
    def resolve_size(obj) -> int:
        return obj.file.size

    @staticmethod
    def resolve_url(obj) -> str:
        path = reverse("api:orglife_photo_file", args=[obj.meeting_id])
        return f"{path}?photo_id={obj.pk}"


class KindFigures(Schema):
    kind: str
    kind_label: str
    required: int  # 应开展的期数
    met: int
    missed: int
    pending: int  # 本期尚未结束
    held: int  # 已召开的会议数


class ComplianceFigures(Schema):
    branches: int
    branches_behind: int
    required: int
    met: int
    rate: float | None
    behind_on: list[str]
    kinds: list[KindFigures]


class ComplianceRowOut(Schema):
    org_id: int
    org_name: str
    org_type: str
    compliance: ComplianceFigures


class ComplianceOut(Schema):
    org_id: int
    org_name: str
    period: str
    period_label: str
    total: ComplianceFigures
    rows: list[ComplianceRowOut]  # each child organisation's subtree (drill down by org_id)
    behind: list[ComplianceRowOut]  # branches that missed a requirement


class ComplianceQuery(QuerySchema):
    org_id: Id | None = Field(None, description="默认：本人权限范围的最上级组织")
    period: str | None = Field(
        None, description="2026-11（月）、2026Q4（季度）或 2026（年）；默认本月"
    )


class ComplianceWarningOut(Schema):
    """An organisational-life warning (a core warning of kind ``orglife.*``)."""

    id: int
    branch_id: int
    branch_name: str
    period: str
    kind: str
    kind_label: str
    message: str
    created_at: LocalDateTime

    @staticmethod
    def resolve_branch_id(obj) -> int:
        return obj.org_id

    @staticmethod
    def resolve_branch_name(obj) -> str:
        return obj.org.name

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.kind_label

    @staticmethod
    def resolve_message(obj) -> str:
        return obj.title

    @staticmethod
    def resolve_created_at(obj):
        return obj.raised_at


class ComplianceWarningQuery(QuerySchema):
    org_id: Id | None = None


def figures(result: rules.Compliance) -> dict:
    labels = dict(MeetingKind.choices)
    return {
        "branches": result.branches,
        "branches_behind": result.branches_behind,
        "required": result.required,
        "met": result.met,
        "rate": result.rate,
        "behind_on": result.behind_on,
        "kinds": [
            {
                "kind": kind,
                "kind_label": labels[kind],
                "required": r.required,
                "met": r.met,
                "missed": r.missed,
                "pending": r.pending,
                "held": r.held,
            }
            for kind, r in result.kinds.items()
        ],
    }


def _row(row) -> dict:
    return {
        "org_id": row.org.pk,
        "org_name": row.org.name,
        "org_type": row.org.org_type,
        "compliance": figures(row.compliance),
    }


# --- Meetings


@router.get("/meetings", response=list[MeetingOut], summary="会议列表（权限范围内）")
@paginate(Paging)
def meeting_list(request, filters: Query[MeetingFilters]):
    return filtered(MeetingFilter, filters, selectors.meeting_queryset(request.user), request)


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


# --- Attendance and check-in


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


# --- Resolutions and votes


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


# --- Comments and photos


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


# --- Compliance and warnings


def _scope_root(user, org_id):
    if org_id is not None:
        return org_selectors.org_get(user, org_id)
    root = selectors.compliance_root(user)
    if root is None:
        raise Http404(MSG_NO_SCOPE)
    return root


@router.get(
    "/compliance",
    response=ComplianceOut,
    summary="组织生活合规情况（所辖党支部按期开展三会一课等；可逐级下钻）",
)
def compliance(request, query: Query[ComplianceQuery]):
    user = request.user
    org = _scope_root(user, query.org_id)
    try:
        period = rules.parse_period(query.period or timezone.localdate().strftime("%Y-%m"))
    except ValueError as exc:
        raise invalid(("query", "period"), str(exc), "period") from None
    table = selectors.compliance_table(user, org, period)
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "period": period.key,
        "period_label": period.label,
        "total": figures(table.total),
        "rows": [_row(r) for r in table.rows],
        "behind": [_row(r) for r in table.behind],
    }


@router.get(
    "/warnings",
    response=list[ComplianceWarningOut],
    summary="未解除的组织生活预警（处理、指派见 /api/v1/warnings）",
)
@paginate(Paging)
def warning_list(request, query: Query[ComplianceWarningQuery]):
    org = org_selectors.org_get(request.user, query.org_id) if query.org_id else None
    return selectors.warnings_open(request.user, org)
