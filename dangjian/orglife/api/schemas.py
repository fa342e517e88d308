"""The orglife API's request and response schemas."""

import datetime as dt

from django.urls import reverse
from ninja import Field, Schema

from dangjian.core.apitools import Id, InSchema, LocalDateTime, QuerySchema
from dangjian.core.text import Name
from dangjian.orglife import selectors
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, MeetingStatus, VoteChoice


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
    behind: list[ComplianceRowOut]  # branches that missed a requirement (the first 100)
    behind_more: int = 0  # further branches behind, not listed: drill down by org_id


class ComplianceQuery(QuerySchema):
    org_id: Id | None = Field(None, description="默认：本人权限范围的最上级组织")
    period: str | None = Field(
        None, description="2026-11（月）、2026Q4（季度）或 2026（年）；默认上一个完整月份"
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
