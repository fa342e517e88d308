"""/api/v1/consult: the agents' presence and the live chats (both sides: the asker and the
agent holding or taking over the chat), and the visitors' 咨询查询 by order number and code.

A chat is seen by its asker, its agent and the agent it is being handed to; anything else
answers 404 (the desk's selectors)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status

from dangjian.core.apitools import Id, InSchema, QuerySchema, api_fields
from dangjian.core.http import client_ip
from dangjian.core.ratelimit import hit, ratelimit, too_many
from dangjian.desk import selectors
from dangjian.desk.api import RateIn
from dangjian.desk.services import orders as services

router = Router(tags=["12371 工单"])
as_chat_fields = api_fields({"to_agent": "to_agent_id"})


class PresenceIn(InSchema):
    online: bool
    capacity: int | None = Field(None, ge=1, le=20)


class PresenceOut(Schema):
    online: bool
    capacity: int
    last_seen: dt.datetime | None


class ChatMessageOut(Schema):
    id: int
    role: str
    text: str
    created_at: dt.datetime


class ChatMessagesFilter(QuerySchema):
    after: int = Field(0, ge=0, le=2**63 - 1)


class ChatTextIn(InSchema):
    text: str = Field(..., max_length=1000)


class ChatCloseIn(InSchema):
    to_order: bool = False
    # 咨询分类 of the order the chat becomes (the agent only; omitted keeps the bot's guess).
    category: str | None = Field(None, max_length=40)


class ChatOut(Schema):
    id: int
    status: str
    work_order_id: int | None


class ChatStateOut(Schema):
    """What the chat page shows besides the turns: the queue, either side typing, a
    transfer under way (its note: for the agents only)."""

    id: int
    status: str
    status_label: str
    queue_ahead: int
    agent_typing: bool
    asker_typing: bool
    agent_id: int | None
    transfer_to_id: int | None
    transfer_note: str | None
    work_order_id: int | None
    can_rate: bool
    rating: int | None


class ChatTransferIn(InSchema):
    to_agent_id: Id
    note: str = Field(..., max_length=200)


class LookupIn(InSchema):
    number: str = Field(..., max_length=30)
    code: str = Field(..., max_length=20)


class LookupOut(Schema):
    number: str
    summary: str
    status: str
    status_label: str
    reply: str
    answered_at: dt.datetime | None


# --- Agents and live chats


@router.post("/agent/presence", response=PresenceOut, summary="坐席上线/下线（在线人工）")
def presence_set(request, payload: PresenceIn):
    return services.presence_set(
        user=request.user, online=payload.online, capacity=payload.capacity
    )


def _chat_state(request, chat) -> dict:
    from dangjian.desk.services import chats

    staff = request.user.pk in (chat.agent_id, chat.transfer_to_id)
    return {
        "id": chat.pk,
        "status": chat.status,
        "status_label": chat.get_status_display(),
        "queue_ahead": chats.queue_ahead(chat),
        "agent_typing": chats.agent_typing(chat),
        "asker_typing": chats.asker_typing(chat),
        "agent_id": chat.agent_id,
        "transfer_to_id": chat.transfer_to_id,
        "transfer_note": chat.transfer_note if staff else None,
        "work_order_id": chat.work_order_id,
        "can_rate": request.user.pk == chat.asker_id and chats.can_rate(chat),
        "rating": chat.work_order.rating if chat.work_order_id else None,
    }


@router.get("/chats/{chat_id}", response=ChatStateOut, summary="在线会话状态（排队、输入中、转接）")
def chat_state(request, chat_id: Id):
    from dangjian.desk.services import chats

    chat = selectors.chat_get(request.user, chat_id)
    if chat.status == "waiting":
        chats.chat_dispatch()
        chat = selectors.chat_get(request.user, chat_id)
    return _chat_state(request, chat)


@router.get(
    "/chats/{chat_id}/messages", response=list[ChatMessageOut], summary="在线会话消息（轮询）"
)
def chat_messages(request, chat_id: Id, filters: Query[ChatMessagesFilter]):
    chat = selectors.chat_get(request.user, chat_id)
    if request.user.pk == chat.agent_id:
        services.heartbeat(request.user)
    return list(selectors.chat_messages(chat, after=filters.after)[:200])


@router.post(
    "/chats/{chat_id}/messages", response={201: ChatMessageOut}, summary="在线会话发送消息"
)
def chat_post(request, chat_id: Id, payload: ChatTextIn):
    chat = selectors.chat_get(request.user, chat_id)
    return Status(201, services.chat_post(acting_user=request.user, chat=chat, text=payload.text))


@router.post("/chats/{chat_id}/typing", response={204: None}, summary="正在输入（对方可见）")
def chat_typing(request, chat_id: Id):
    from dangjian.desk.services import chats

    chat = selectors.chat_get(request.user, chat_id)
    chats.chat_typing(acting_user=request.user, chat=chat)
    return Status(204, None)


@router.post("/chats/{chat_id}/close", response=ChatOut, summary="结束在线会话（可转为工单）")
def chat_close(request, chat_id: Id, payload: ChatCloseIn):
    chat = selectors.chat_get(request.user, chat_id)
    return services.chat_close(
        acting_user=request.user,
        chat=chat,
        to_order=payload.to_order,
        category=payload.category,
        ip=client_ip(request),
    )


@router.post(
    "/chats/{chat_id}/rate",
    response=ChatStateOut,
    summary="评价在线会话（提问人，会话结束后一次；5 满意、3 基本满意、2 不满意）",
)
def chat_rate(request, chat_id: Id, payload: RateIn):
    from dangjian.desk.services import chats

    chat = selectors.chat_get(request.user, chat_id)
    chats.chat_rate(
        acting_user=request.user,
        chat=chat,
        rating=payload.rating,
        comment=payload.comment,
        ip=client_ip(request),
    )
    return _chat_state(request, selectors.chat_get(request.user, chat_id))


@router.post(
    "/chats/{chat_id}/transfer",
    response=ChatStateOut,
    summary="转接给其他坐席（附说明，对方接受后生效）",
)
def chat_transfer(request, chat_id: Id, payload: ChatTransferIn):
    from dangjian.desk.services import chats

    chat = selectors.chat_get(request.user, chat_id)
    if request.user.pk != chat.agent_id:
        raise PermissionDenied(chats.MSG_NOT_CHAT_AGENT)
    target = next((u for u in chats.transfer_targets(chat) if u.pk == payload.to_agent_id), None)
    with as_chat_fields:
        chat = chats.chat_transfer(
            acting_user=request.user,
            chat=chat,
            to_agent=target,
            note=payload.note,
            ip=client_ip(request),
        )
    return _chat_state(request, chat)


@router.post(
    "/chats/{chat_id}/transfer/accept", response=ChatStateOut, summary="接受转接的在线会话"
)
def chat_transfer_accept(request, chat_id: Id):
    from dangjian.desk.services import chats

    chat = selectors.chat_get(request.user, chat_id)
    chat = chats.chat_transfer_accept(acting_user=request.user, chat=chat, ip=client_ip(request))
    return _chat_state(request, chat)


@router.post(
    "/chats/{chat_id}/transfer/decline",
    response=ChatStateOut,
    summary="拒绝（被转接的坐席）或撤回（发起的坐席）转接",
)
def chat_transfer_decline(request, chat_id: Id):
    from dangjian.desk.services import chats

    chat = selectors.chat_get(request.user, chat_id)
    chat = chats.chat_transfer_decline(acting_user=request.user, chat=chat, ip=client_ip(request))
    return _chat_state(request, chat)


@router.post(
    "/public/lookup",
    response=LookupOut,
    auth=None,
    summary="咨询查询：凭工单号和查询码查看办理情况和答复（访客，限流）",
)
@ratelimit("public-lookup")
def public_lookup(request, payload: LookupIn):
    from dangjian.desk.services import lookup

    wait = hit("public-lookup-order", payload.number.strip().upper())
    if wait is not None:
        return too_many(request, wait)
    order = lookup.order_lookup(number=payload.number, code=payload.code)
    return {
        "number": order.number,
        "summary": order.summary,
        "status": order.status,
        "status_label": order.get_status_display(),
        "reply": order.reply,
        "answered_at": order.answered_at,
    }
