"""/api/v1/consult: work orders, coordination, the public 咨询列表, statistics and the
hotline menu (the agents' presence and live chats are in ``api_chats``).

Orders are seen by the 12371 staff over the organisation they are routed to, by an
office consulted on them, and by their asker; anything else answers 404.
"""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import (
    MSG_NUL,
    Id,
    InSchema,
    LocalDateTime,
    Paging,
    QuerySchema,
    api_fields,
    invalid,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.core.ratelimit import ratelimit
from dangjian.core.text import OptionalName
from dangjian.desk import selectors
from dangjian.desk import stats as desk_stats
from dangjian.desk.models import (
    OrderKind,
    OrderSource,
    OrderStatus,
    PlatformFeedbackKind,
    PlatformFeedbackStatus,
    Priority,
)
from dangjian.desk.services import feedback, routing
from dangjian.desk.services import orders as services
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["12371 工单"])
as_api_fields = api_fields({"offices": "office_ids"})


# --- Schemas


class OrderOut(Schema):
    id: int
    number: str
    source: str
    source_label: str
    kind: str
    category: str
    summary: str
    status: str
    status_label: str
    priority: str
    org_id: int
    org_name: str
    created_at: dt.datetime
    first_response_due: dt.datetime
    resolution_due: dt.datetime
    first_response_at: dt.datetime | None
    answered_at: dt.datetime | None
    escalation_level: int
    rating: int | None

    @staticmethod
    def resolve_source_label(obj) -> str:
        return obj.get_source_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name


class CoordinationOut(Schema):
    id: int
    org_id: int
    office_id: int | None
    office: str
    question: str
    due: LocalDateTime | None
    answer: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_office_id(obj) -> int | None:
        return obj.unit_id


class OrderDetailOut(OrderOut):
    detail: str
    caller_name: str
    phone_masked: str
    reply: str
    rating_comment: str
    reopen_count: int
    public: bool
    conversation_id: int | None
    merged_into_id: int | None
    assignee: str | None
    coordinations: list[CoordinationOut]
    can_handle: bool

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return str(obj.assignee) if obj.assignee_id else None

    @staticmethod
    def resolve_coordinations(obj) -> list:
        return list(selectors.order_coordinations(obj))

    @staticmethod
    def resolve_can_handle(obj, context) -> bool:
        return selectors.can_handle(context["request"].user, obj)


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str | None
    note: str
    at: dt.datetime

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class OrderFilters(QuerySchema):
    status: OrderStatus | None = None
    source: OrderSource | None = None
    category: str | None = Field(None, max_length=40)
    view: Literal["all", "queue", "assigned", "asked"] = "all"


class QueueFilters(QuerySchema):
    """The agent console's queue (the page's filters)."""

    q: str = Field("", max_length=100, description="工单号、电话、姓名或问题中的文字")
    status: OrderStatus | None = None
    category: str = Field("", max_length=40)
    source: OrderSource | None = None
    who: Literal["todo", "unassigned", "mine", "all"] = "todo"
    overdue: bool = False


class QueueOrderOut(OrderOut):
    due: dt.datetime | None = Field(..., description="当前时限：待受理为受理时限，否则为答复时限")
    overdue: bool
    assignee: str | None

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.late_rank == 0

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return str(obj.assignee) if obj.assignee_id else None


class MessageIn(InSchema):
    """有话向党说 / 有事找党帮: a member's message to the organisation."""

    kind: OrderKind = OrderKind.ASK
    category: str = Field("", max_length=40)
    summary: str = Field(..., max_length=200)
    detail: str = Field("", max_length=5000)


class HotlineIn(InSchema):
    caller_name: OptionalName = Field("", max_length=50)
    phone: str = Field(..., max_length=30)
    category: str = Field("", max_length=40)
    summary: str = Field(..., max_length=200)
    detail: str = Field("", max_length=5000)
    priority: Priority = Priority.NORMAL
    asker_org_id: Id | None = None
    reply: str = Field("", max_length=5000)


class ReplyIn(InSchema):
    text: str = Field(..., max_length=5000)


class CoordinateIn(InSchema):
    office_ids: list[Id] = Field(..., max_length=20)
    question: str = Field(..., max_length=5000)
    workdays: int | None = Field(None, ge=1, le=10)


class AnswerIn(InSchema):
    answer: str = Field(..., max_length=5000)


class RateIn(InSchema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class ReopenIn(InSchema):
    reason: str = Field(..., max_length=500)


class PublishIn(InSchema):
    public: bool
    public_question: OptionalName = Field("", max_length=200)


class KbEntryIn(InSchema):
    question: OptionalName = Field("", max_length=200)
    answer: str = Field("", max_length=5000)


class KbEntryOut(Schema):
    id: int
    question: str
    status: str


class PublicQuestionOut(Schema):
    id: int
    question: str
    category: str
    reply: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_question(obj) -> str:
        return obj.public_question


class StatsFilter(QuerySchema):
    org: Id | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class CountOut(Schema):
    key: str
    label: str
    count: int


class TopOut(Schema):
    question: str | None
    count: int


class BreakdownOut(CountOut):
    """One channel or category: received (``count``), handled and its rates."""

    handled: int
    handling_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None


class AgentLoadOut(Schema):
    user_id: int
    name: str
    claims: int
    replies: int
    orders: int = Field(..., description="答复的工单数（不重复）")
    chats: int


class StatsOut(Schema):
    org_id: int
    org_name: str
    since: dt.date
    until: dt.date
    days: int
    orders: int = Field(..., description="受理量：区间内提交的工单")
    handled: int = Field(..., description="其中已答复或已办结的")
    handling_rate: float | None = Field(..., description="办理率 = handled / orders")
    daily_orders: float
    daily_conversations: float
    daily_replies: float
    by_source: list[BreakdownOut]
    by_status: list[CountOut]
    by_category: list[BreakdownOut]
    conversations: int
    bot_resolution_rate: float | None
    handoff_rate: float | None
    first_response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    rating_avg: float | None
    wait_median_seconds: int | None = Field(..., description="提交至首次受理或答复，中位数")
    wait_p90_seconds: int | None
    queue_now: int
    in_progress_now: int
    overdue_now: int
    longest_wait_now_seconds: int | None
    agents: list[AgentLoadOut]
    top_questions: list[TopOut]
    unanswered: list[TopOut]


# --- Orders


def _listing(user, view: str):
    if view == "queue":
        return selectors.queue(user)
    if view == "assigned":
        return selectors.assigned(user)
    if view == "asked":
        return selectors.asked_orders(user)
    return selectors.order_queryset(user)


@router.get("/orders", response=list[OrderOut], summary="工单列表（权限范围内与本人提出的）")
@paginate(Paging)
def order_list(request, filters: Query[OrderFilters]):
    if filters.category and "\x00" in filters.category:  # PostgreSQL refuses NUL in text
        raise invalid(("query", "category"), MSG_NUL, "string_nul")
    qs = _listing(request.user, filters.view)
    for name in ("status", "source", "category"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    return qs


@router.get(
    "/console/queue",
    response=list[QueueOrderOut],
    summary="坐席工作台队列（超时在前，再按紧急程度与时限；可搜索、筛选）",
)
@paginate(Paging)
def console_queue(request, filters: Query[QueueFilters]):
    for name in ("q", "category"):
        if "\x00" in getattr(filters, name):  # PostgreSQL refuses NUL in text
            raise invalid(("query", name), MSG_NUL, "string_nul")
    if not selectors.is_staff(request.user):
        raise PermissionDenied("您不是12371坐席或经办人")
    return selectors.console_queue(
        request.user,
        q=filters.q,
        status=filters.status or "",
        category=filters.category,
        source=filters.source or "",
        who=filters.who,
        overdue=filters.overdue,
    )


@router.post("/orders", response={201: OrderDetailOut}, summary="有话向党说 / 有事找党帮：留言")
def order_create(request, payload: MessageIn):
    order = services.order_create(
        acting_user=request.user,
        source=OrderSource.WEB,
        asker=request.user,
        ip=client_ip(request),
        **payload.model_dump(),
    )
    return Status(201, selectors.order_get(request.user, order.pk))


@router.post("/orders/hotline", response={201: OrderDetailOut}, summary="登记热线来电（坐席）")
def hotline_log(request, payload: HotlineIn):
    user = request.user
    fields = payload.model_dump(exclude={"asker_org_id"})
    asker_org = resolve_in_scope(
        org_selectors.org_get, user, payload.asker_org_id, field="asker_org_id"
    )
    order = services.hotline_log(
        acting_user=user, asker_org=asker_org, ip=client_ip(request), **fields
    )
    return Status(201, selectors.order_get(user, order.pk))


@router.get("/orders/{order_id}", response=OrderDetailOut, summary="工单详情")
def order_detail(request, order_id: Id):
    return selectors.order_get(request.user, order_id)


@router.get("/orders/{order_id}/history", response=list[EventOut], summary="工单状态记录")
def order_history(request, order_id: Id):
    return list(selectors.order_events(selectors.order_get(request.user, order_id)))


def _act(request, order_id, action, **kwargs):
    order = selectors.order_get(request.user, order_id)
    action(acting_user=request.user, order=order, ip=client_ip(request), **kwargs)
    return selectors.order_get(request.user, order_id)


@router.post("/orders/{order_id}/claim", response=OrderDetailOut, summary="受理工单")
def order_claim(request, order_id: Id):
    return _act(request, order_id, services.order_claim)


@router.post("/orders/{order_id}/reply", response=OrderDetailOut, summary="答复工单（承办人）")
def order_reply(request, order_id: Id, payload: ReplyIn):
    return _act(request, order_id, services.order_reply, text=payload.text)


@router.post(
    "/orders/{order_id}/coordinate",
    response=OrderDetailOut,
    summary="协商联动：征求业务处室意见（回复时限按工作日计）",
)
def order_coordinate(request, order_id: Id, payload: CoordinateIn):
    user = request.user
    routing.authorize_handle(user, selectors.order_get(user, order_id))
    offices = [
        resolve_in_scope(selectors.office_get, user, pk, field=f"office_ids.{i}")
        for i, pk in enumerate(payload.office_ids)
    ]
    with as_api_fields:
        return _act(
            request,
            order_id,
            services.order_coordinate,
            offices=offices,
            question=payload.question,
            workdays=payload.workdays,
        )


@router.post("/orders/{order_id}/rate", response=OrderDetailOut, summary="评价答复（提问人）")
def order_rate(request, order_id: Id, payload: RateIn):
    return _act(
        request, order_id, services.order_rate, rating=payload.rating, comment=payload.comment
    )


@router.post("/orders/{order_id}/reopen", response=OrderDetailOut, summary="不满意，要求重新办理")
def order_reopen(request, order_id: Id, payload: ReopenIn):
    return _act(request, order_id, services.order_reopen, reason=payload.reason)


@router.post(
    "/orders/{order_id}/publish", response=OrderDetailOut, summary="公开到咨询列表（隐去提问人）"
)
def order_publish(request, order_id: Id, payload: PublishIn):
    return _act(
        request,
        order_id,
        services.order_publish,
        public=payload.public,
        public_question=payload.public_question,
    )


@router.post(
    "/orders/{order_id}/kb-entry",
    response={201: KbEntryOut},
    summary="把答复转为知识库条目（草稿）",
)
def order_to_kb(request, order_id: Id, payload: KbEntryIn):
    order = selectors.order_get(request.user, order_id)
    entry = services.order_to_kb(
        acting_user=request.user, order=order, ip=client_ip(request), **payload.model_dump()
    )
    return Status(201, entry)


@router.post(
    "/coordinations/{coordination_id}/answer",
    response=CoordinationOut,
    summary="处室回复协商意见",
)
def coordination_answer(request, coordination_id: Id, payload: AnswerIn):
    item = selectors.coordination_get(request.user, coordination_id)
    return services.coordination_answer(
        acting_user=request.user, coordination=item, answer=payload.answer, ip=client_ip(request)
    )


# --- The public 咨询列表


@router.get(
    "/public-questions",
    response=list[PublicQuestionOut],
    auth=None,
    summary="咨询列表：公开的已答复问题（已隐去提问人）",
)
@ratelimit("public", methods=("GET",))
@paginate(Paging)
def public_questions(request):
    return selectors.public_questions()


# --- Statistics


@router.get("/stats", response=StatsOut, summary="12371 统计（任一下级组织、任一时段）")
def stats(request, filters: Query[StatsFilter]):
    org = desk_stats.stats_org(request.user, filters.org)
    since, until = desk_stats.period(filters.since, filters.until)
    return desk_stats.payload(desk_stats.figures(request.user, org=org, since=since, until=until))


@router.get("/stats.xlsx", summary="12371 统计（Excel）", response={200: None})
def stats_xlsx(request, filters: Query[StatsFilter]):
    org = desk_stats.stats_org(request.user, filters.org)
    since, until = desk_stats.period(filters.since, filters.until)
    figures = desk_stats.figures(request.user, org=org, since=since, until=until)
    return desk_stats.xlsx_response(desk_stats.workbook(request.user, figures))


# --- The hotline menu (IVR) and the 问题优化清单 (listed with the bot, as before)

TAGS = ["12371 咨询"]


class IvrOut(Schema):
    position: int
    key: str
    label: str
    queue: str
    category: str
    script: str


class PlatformFeedbackIn(InSchema):
    kind: PlatformFeedbackKind
    text: str


class PlatformFeedbackOut(Schema):
    id: int
    kind: PlatformFeedbackKind
    text: str
    status: PlatformFeedbackStatus
    reply: str
    created_at: dt.datetime


@router.get(
    "/ivr", response=list[IvrOut], tags=TAGS, summary="热线语音菜单（坐席话术；12371 工作人员）"
)
def ivr_menu(request):
    if not selectors.is_staff(request.user):
        raise PermissionDenied("仅 12371 坐席与经办人员可查看")
    org = selectors.ivr_org(request.user)
    return list(selectors.ivr_options(org)) if org else []


@router.post(
    "/platform-feedback",
    response={201: PlatformFeedbackOut},
    tags=TAGS,
    summary="对平台提意见（功能建议/使用问题），进入问题优化清单",
)
def platform_feedback_submit(request, payload: PlatformFeedbackIn):
    item = feedback.feedback_submit(
        user=request.user, kind=payload.kind, text=payload.text, ip=client_ip(request)
    )
    return Status(201, item)


@router.get(
    "/platform-feedback",
    response=list[PlatformFeedbackOut],
    tags=TAGS,
    summary="问题优化清单（本人提的；管理员：本范围内的）",
)
@paginate(Paging)
def platform_feedback_list(request):
    return selectors.feedback_queryset(request.user)
