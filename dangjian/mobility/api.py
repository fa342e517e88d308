"""REST endpoints of mobile and lost-contact members (流动党员, 失联党员, 自行脱党 inputs).

Reads go through ``mobility.selectors`` (a registration is seen from its home branch's
subtree, its host organisation's subtree and by the member; anything else is a 404),
writes through ``mobility.services``; a rule refusing a write is a 422 on its field.
The public verification of an e-card is a page (``/mobility/verify/<token>/``), not an
API operation.
"""

import datetime as dt

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import Id, InSchema, LocalDateTime, Paging, QuerySchema
from dangjian.members import selectors as member_selectors
from dangjian.mobility import selectors, services
from dangjian.mobility.choices import (
    LostOutcome,
    LostStatus,
    ParticipationKind,
    RegistrationStatus,
    SearchMethod,
)

router = Router(tags=["mobility"])


class RegistrationFilters(QuerySchema):
    q: str | None = None
    status: RegistrationStatus | None = None
    side: str | None = None  # home: 流出; host: 流入


class RegistrationOut(Schema):
    id: int
    member_id: int
    member_name: str
    home_branch_id: int
    home_branch_name: str
    host_org_id: int | None
    host: str
    reason: str
    away_since: dt.date
    expected_until: dt.date
    valid_from: dt.date
    valid_until: dt.date
    card_state: str
    status: str
    status_label: str
    group_name: str | None
    ended_on: dt.date | None

    @staticmethod
    def resolve_member_name(obj) -> str:
        return obj.member.name

    @staticmethod
    def resolve_home_branch_id(obj) -> int:
        return obj.member.branch_id

    @staticmethod
    def resolve_home_branch_name(obj) -> str:
        return obj.member.branch.name

    @staticmethod
    def resolve_host(obj) -> str:
        return obj.host_label

    @staticmethod
    def resolve_card_state(obj) -> str:
        return selectors.card_state(obj)[0]

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_group_name(obj) -> str | None:
        return obj.group.name if obj.group_id else None


class RegistrationDetailOut(RegistrationOut):
    can_record: bool
    can_end: bool

    @staticmethod
    def resolve_can_record(obj, context) -> bool:
        return selectors.can_record(context["request"].user, obj)

    @staticmethod
    def resolve_can_end(obj, context) -> bool:
        return selectors.can_change_home(context["request"].user, obj)


class RegistrationIn(InSchema):
    member_id: Id
    reason: str
    away_since: dt.date
    expected_until: dt.date
    host_code: str = ""  # a platform organisation's 组织代码
    host_name: str = ""  # or, outside the platform, its name and place
    host_place: str = ""
    host_contact: str = ""


class ParticipationOut(Schema):
    id: int
    held_on: dt.date
    kind: str
    kind_label: str
    title: str
    note: str
    created_at: LocalDateTime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class ParticipationIn(InSchema):
    held_on: dt.date
    kind: ParticipationKind
    title: str
    note: str = ""


class EndIn(InSchema):
    ended_on: dt.date
    reason: str


@router.get("/registrations", response=list[RegistrationOut], summary="流动党员登记列表")
@paginate(Paging)
def registration_list(request, filters: Query[RegistrationFilters]):
    return selectors.registration_list(request.user, filters.model_dump(exclude_none=True))


@router.post("/registrations", response={201: RegistrationDetailOut}, summary="登记流动党员")
def registration_create(request, payload: RegistrationIn):
    member = member_selectors.member_get(request.user, payload.member_id)
    registration = services.registration_create(
        acting_user=request.user, member=member, **payload.model_dump(exclude={"member_id"})
    )
    return Status(201, selectors.registration_get(request.user, registration.pk))


@router.get(
    "/registrations/{registration_id}",
    response=RegistrationDetailOut,
    summary="流动党员登记详情（电子活动证）",
)
def registration_detail(request, registration_id: Id):
    return selectors.registration_get(request.user, registration_id)


@router.get(
    "/registrations/{registration_id}/participation",
    response=list[ParticipationOut],
    summary="在流入地参加活动情况",
)
@paginate(Paging)
def participation_list(request, registration_id: Id):
    return selectors.participation_for(selectors.registration_get(request.user, registration_id))


@router.post(
    "/registrations/{registration_id}/participation",
    response={201: ParticipationOut},
    summary="记录参加活动（流入地党组织）",
)
def participation_add(request, registration_id: Id, payload: ParticipationIn):
    registration = selectors.registration_get(request.user, registration_id)
    return Status(
        201,
        services.participation_add(
            acting_user=request.user, registration=registration, **payload.model_dump()
        ),
    )


@router.post(
    "/registrations/{registration_id}/end",
    response=RegistrationDetailOut,
    summary="结束流动党员登记（流出地党支部）",
)
def registration_end(request, registration_id: Id, payload: EndIn):
    registration = selectors.registration_get(request.user, registration_id)
    services.registration_end(
        acting_user=request.user, registration=registration, **payload.model_dump()
    )
    return selectors.registration_get(request.user, registration_id)


# --- 失联党员


class LostFilters(QuerySchema):
    q: str | None = None
    status: LostStatus | None = None


class AttemptOut(Schema):
    id: int
    tried_on: dt.date
    method: str
    method_label: str
    result: str
    reached: bool

    @staticmethod
    def resolve_method_label(obj) -> str:
        return obj.get_method_display()


class LostOut(Schema):
    id: int
    member_id: int
    member_name: str
    branch_name: str
    since: dt.date
    circumstances: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    outcome_on: dt.date | None
    outcome_note: str

    @staticmethod
    def resolve_member_name(obj) -> str:
        return obj.member.name

    @staticmethod
    def resolve_branch_name(obj) -> str:
        return obj.member.branch.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_outcome_label(obj) -> str:
        return obj.get_outcome_display()


class LostDetailOut(LostOut):
    attempts: list[AttemptOut]

    @staticmethod
    def resolve_attempts(obj) -> list:
        return list(selectors.attempts_for(obj))


class LostIn(InSchema):
    member_id: Id
    since: dt.date
    circumstances: str


class AttemptIn(InSchema):
    tried_on: dt.date
    method: SearchMethod
    result: str
    reached: bool = False


class OutcomeIn(InSchema):
    outcome: LostOutcome
    outcome_on: dt.date
    note: str = ""


@router.get("/lost", response=list[LostOut], summary="失联党员列表")
@paginate(Paging)
def lost_list(request, filters: Query[LostFilters]):
    return selectors.lost_list(request.user, filters.model_dump(exclude_none=True))


@router.post("/lost", response={201: LostDetailOut}, summary="标记失联党员")
def lost_mark(request, payload: LostIn):
    member = member_selectors.member_get(request.user, payload.member_id)
    case = services.lost_mark(
        acting_user=request.user, member=member, **payload.model_dump(exclude={"member_id"})
    )
    return Status(201, selectors.lost_get(request.user, case.pk))


@router.get("/lost/{lost_id}", response=LostDetailOut, summary="失联党员详情与查找情况")
def lost_detail(request, lost_id: Id):
    return selectors.lost_get(request.user, lost_id)


@router.post("/lost/{lost_id}/attempts", response={201: AttemptOut}, summary="记录查找情况")
def attempt_add(request, lost_id: Id, payload: AttemptIn):
    case = selectors.lost_get(request.user, lost_id)
    return Status(
        201, services.attempt_add(acting_user=request.user, case=case, **payload.model_dump())
    )


@router.post("/lost/{lost_id}/outcome", response=LostDetailOut, summary="记录失联党员查找结果")
def lost_close(request, lost_id: Id, payload: OutcomeIn):
    case = selectors.lost_get(request.user, lost_id)
    services.lost_close(acting_user=request.user, case=case, **payload.model_dump())
    return selectors.lost_get(request.user, lost_id)


# --- 自行脱党: work assigned and good reasons


class AssignmentIn(InSchema):
    member_id: Id
    title: str
    assigned_on: dt.date
    due_on: dt.date


class AssignmentOut(Schema):
    id: int
    member_id: int
    title: str
    assigned_on: dt.date
    due_on: dt.date
    done_on: dt.date | None


class DoneIn(InSchema):
    done_on: dt.date


class ExcuseIn(InSchema):
    member_id: Id
    condition: str
    reason: str
    valid_from: dt.date
    valid_until: dt.date | None = None


class ExcuseOut(Schema):
    id: int
    member_id: int
    condition: str
    reason: str
    valid_from: dt.date
    valid_until: dt.date | None


@router.post("/assignments", response={201: AssignmentOut}, summary="记录分配给党员的工作")
def assignment_create(request, payload: AssignmentIn):
    member = member_selectors.member_get(request.user, payload.member_id)
    work = services.assignment_create(
        acting_user=request.user, member=member, **payload.model_dump(exclude={"member_id"})
    )
    return Status(201, work)


@router.post("/assignments/{assignment_id}/done", response=AssignmentOut, summary="记录工作已完成")
def assignment_done(request, assignment_id: Id, payload: DoneIn):
    work = selectors.assignment_get(request.user, assignment_id)
    return services.assignment_done(
        acting_user=request.user, assignment=work, done_on=payload.done_on
    )


@router.post("/excuses", response={201: ExcuseOut}, summary="记录正当理由（该情形不再提示）")
def excuse_record(request, payload: ExcuseIn):
    member = member_selectors.member_get(request.user, payload.member_id)
    excuse = services.excuse_record(
        acting_user=request.user, member=member, **payload.model_dump(exclude={"member_id"})
    )
    return Status(201, excuse)
