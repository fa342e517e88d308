"""Live chats with online agents (在线人工), agents' presence, and reply templates.

A chat continues the bot conversation with an agent who covers the asker; closing it
may file what was left open as a work order (services.orders). The turns are the
conversation's messages, written through the knowledge app's services. The public names are
re-exported by ``services.orders``, which the views and the API import.
"""

import datetime as dt
import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dangjian.core import audit, cases
from dangjian.core.errors import raise_if
from dangjian.core.scope import (
    ALL,
    Perm,
    authorize,
    covers,
    path_q,
    prefix_free,
    scope_paths,
    within,
)
from dangjian.core.services import check_editable, model_update
from dangjian.core.text import name_or_error, one_line, quoted_line
from dangjian.desk import rules
from dangjian.desk.models import (
    OPEN_STATUSES,
    AgentPresence,
    CannedReply,
    ChatSession,
    ChatStatus,
    OrderSource,
    OrderStatus,
    WorkOrder,
)
from dangjian.desk.services.workflow import (
    MSG_CATEGORY,
    MSG_REPLY_LONG,
    MSG_REPLY_SHORT,
    REPLY_MAX,
    REPLY_MIN,
)
from dangjian.desk.services.workflow import clean_text as _clean_text
from dangjian.knowledge.models import Message, MessageRole
from dangjian.knowledge.services import bot as bot_services
from dangjian.orgs.models import Organisation

CHAT_TEXT_MAX = 1000
MSG_CANNED_TITLE = "请填写标题（不超过60个字）"
PRESENCE_SECONDS = 60  # an agent unheard of for longer is offline, whatever the toggle

CHAT_OPEN = (ChatStatus.WAITING, ChatStatus.ACTIVE)
TYPING_SECONDS = 6  # 正在输入… shows this long after the other side's last keystroke
TRANSFER_NOTE_MIN, TRANSFER_NOTE_MAX = 2, 200

MSG_CHAT_CLOSED = "会话已结束"
MSG_CHAT_TEXT = f"请输入内容（不超过{CHAT_TEXT_MAX}个字）"
MSG_CHAT_WAITING = "会话仍在排队，尚未接入坐席"
MSG_NOT_IN_CHAT = "您不是该会话的参与者"
MSG_NOT_AGENT = "您不是12371坐席"
MSG_NOT_CHAT_AGENT = "只有接待该会话的坐席可以转接"
MSG_NO_TRANSFER = "没有转给您的转接请求"
MSG_TRANSFER_NOTE = f"请填写转接说明（{TRANSFER_NOTE_MIN}–{TRANSFER_NOTE_MAX}个字），让对方了解情况"
MSG_TRANSFER_TARGET = "该坐席不在线、接待已满或不负责该提问人，请选择其他坐席"
MSG_TRANSFER_FULL = "您当前不在线或接待已满，无法接入该会话"
MSG_ACCEPTED = "人工坐席已接入，请讲。"
MSG_TRANSFERRED = "已为您转接到另一位坐席，请继续。"
MSG_ENDED_BY_AGENT = "人工会话已结束（由坐席结束）。"
MSG_ENDED_BY_ASKER = "人工会话已结束（由提问人结束）。"
MSG_ENDED_ORDER = "未解决的问题已登记为工单（编号 {number}），答复后可在工单中查看。"
MSG_ENDED_ANSWERED = "本次咨询已记录（工单编号 {number}），请您对本次服务作出评价。"
MSG_CHAT_NO_REPLY = "（坐席未在会话中作文字答复）"
MSG_RATE_OPEN = "会话结束后才能评价"
MSG_RATE_NOTHING = "本次会话没有可评价的答复"
MSG_RATE_DONE = "您已评价过本次服务"
MSG_CATEGORY_AGENT_ONLY = "只有坐席可以选择咨询分类"
MSG_RATE_PENDING = "问题已登记为工单，答复后请在工单中评价"

# 满意 / 基本满意 / 不满意 at the end of a chat, as the case engine's 1–5 rating (the labels
# of the order page's scale): 不满意 reopens the order (rules.reopens), and only 满意 counts
# as satisfied in the statistics (ratings 4–5), as on the order page.
CHAT_RATINGS = ((5, "满意"), (3, "基本满意"), (2, "不满意"))


def _now() -> dt.datetime:
    return timezone.now()


def _present(org_path: str):
    """Agents online now (heartbeat within a minute) whose scope covers ``org_path``,
    least busy first, each with ``active``: their count of active chats."""
    since = _now() - dt.timedelta(seconds=PRESENCE_SECONDS)
    presences = (
        AgentPresence.objects.filter(online=True, last_seen__gte=since, user__is_active=True)
        .select_related("user")
        .annotate(
            active=Count("user__consult_chats", filter=Q(user__consult_chats__status="active"))
        )
        .order_by("active", "last_seen")
    )
    return [p for p in presences if covers(p.user, Perm.HANDLE_CONSULT, org_path)]


def _chat_path(chat: ChatSession) -> str:
    org = chat.conversation.org
    return org.path if org is not None else _root_path()


def online_agents(org: Organisation | None):
    """Agents online now with room for one more chat whose scope covers ``org`` (the
    root for a visitor), least busy first."""
    target = org.path if org is not None else _root_path()
    return [p for p in _present(target) if p.active < p.capacity]


def _root_path() -> str:
    root = Organisation.objects.get_root_nodes().order_by("path").first()
    return root.path if root is not None else ""


def _system(chat: ChatSession, text: str) -> None:
    bot_services.conversation_post(
        conversation=chat.conversation, role=MessageRole.SYSTEM, text=text
    )


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


def chat_open(conversation, acting_user, *, category: str = "") -> ChatSession | None:
    """转人工 to a live chat: to the least busy agent who covers the asker and has room;
    into the queue when such agents are online but all full; None when none is online
    (the caller files a work order instead). ``category`` is the 咨询分类 the bot came
    closest to, preselected for the agent when the chat ends as an order."""
    org = conversation.org
    present = _present(org.path if org is not None else _root_path())
    if not present:
        return None
    free = [p for p in present if p.active < p.capacity]
    queued = ChatSession.objects.filter(status=ChatStatus.WAITING).exists()
    chat = ChatSession(
        conversation=conversation, asker=conversation.user, category=rules.known_category(category)
    )
    if free and not queued:  # nobody waits before this asker
        chat.agent, chat.status, chat.accepted_at = free[0].user, ChatStatus.ACTIVE, _now()
    else:
        chat.status = ChatStatus.WAITING
    chat.save()
    audit.record(
        actor=_actor(acting_user),
        action="consult.chat.start",
        obj=chat,
        org=org,
        after={"agent": chat.agent_id, "status": chat.status, "conversation": conversation.pk},
    )
    if chat.status == ChatStatus.WAITING:
        chat_dispatch()
        chat.refresh_from_db()
    return chat


def queue_ahead(chat: ChatSession) -> int:
    """您前面还有 N 位: the chats of the same queue waiting longer than this one.

    A chat's queue is the agents who can take it: online, covering the asker (the
    province centre's agents cover everyone under 省级集中受理; a county's its own askers
    under 分级受理). The chats ahead are the older waiting ones one of those agents could
    take instead (``chat_dispatch`` serves each agent's oldest first); a chat only
    another county's agents can take is in another queue. While none of its agents is
    online, every older waiting chat counts (whoever comes online first takes them).
    """
    if chat.status != ChatStatus.WAITING:
        return 0
    earlier = Q(created_at__lt=chat.created_at) | Q(created_at=chat.created_at, pk__lt=chat.pk)
    older = ChatSession.objects.filter(earlier, status=ChatStatus.WAITING)
    takers = [p.user for p in _present(_chat_path(chat))]
    if not takers:
        return older.count()
    granted = [scope_paths(user, Perm.HANDLE_CONSULT) for user in takers]
    if any(paths is ALL for paths in granted):
        return older.count()
    paths = prefix_free(path for each in granted for path in each)
    theirs = path_q(paths, "conversation__org__path")
    root = _root_path()
    if any(within(root, path) for path in paths):  # a visitor's chat waits at the root
        theirs |= Q(conversation__org__isnull=True)
    return older.filter(theirs).count()


def queue_length() -> int:
    return ChatSession.objects.filter(status=ChatStatus.WAITING).count()


@transaction.atomic
def chat_dispatch(limit: int = 20) -> int:
    """Give waiting chats, oldest first, to online agents with room who cover them.

    Run when room may have appeared (an agent comes online or polls, a chat ends, a
    transfer is accepted) and when a waiting asker polls. Waiting chats and the agents'
    presence rows are locked, skipping what another run holds (never waiting on it, so
    two runs cannot deadlock), so two runs never give an agent more than their capacity.
    Returns how many were given.
    """
    waiting = list(
        ChatSession.objects.select_for_update(skip_locked=True)
        .filter(status=ChatStatus.WAITING)
        .order_by("created_at", "id")[:limit]
    )
    if not waiting:
        return 0
    since = _now() - dt.timedelta(seconds=PRESENCE_SECONDS)
    locked = list(
        AgentPresence.objects.select_for_update(skip_locked=True)
        .filter(online=True, last_seen__gte=since, user__is_active=True)
        .order_by("user_id")
        .values_list("pk", flat=True)
    )
    given = 0
    for chat in waiting:
        target = _chat_path(chat)
        free = [p for p in _present(target) if p.pk in locked and p.active < p.capacity]
        if not free:
            continue
        chat.agent, chat.status, chat.accepted_at = free[0].user, ChatStatus.ACTIVE, _now()
        chat.save(update_fields=["agent", "status", "accepted_at", "updated_at"])
        _system(chat, MSG_ACCEPTED)
        audit.record(
            actor=None,
            action="consult.chat.accept",
            obj=chat,
            org=chat.conversation.org,
            after={"agent": chat.agent_id},
        )
        given += 1
    return given


@transaction.atomic
def presence_set(*, user, online: bool, capacity: int | None = None) -> AgentPresence:
    """上线/下线: whether the agent takes live chats (a heartbeat keeps them online)."""
    if not scope_paths(user, Perm.HANDLE_CONSULT):
        raise PermissionDenied(MSG_NOT_AGENT)
    presence, _ = AgentPresence.objects.get_or_create(user=user)
    presence.online = online
    presence.last_seen = _now()
    if capacity is not None:
        presence.capacity = max(1, min(int(capacity), 20))
    presence.save()
    audit.record(actor=user, action="consult.presence", obj=presence, after={"online": online})
    if online:
        chat_dispatch()
    return presence


def heartbeat(user) -> None:
    """The console's poll: the agent is still there (no audit: it runs every 20 s); a
    chat waiting in the queue may now go to them."""
    present = AgentPresence.objects.filter(user=user, online=True).update(last_seen=_now())
    if present and ChatSession.objects.filter(status=ChatStatus.WAITING).exists():
        chat_dispatch()


def _clean_chat_text(text: str) -> str:
    text = _clean_text(text)
    if not text or len(text) > CHAT_TEXT_MAX:
        raise_if({"text": MSG_CHAT_TEXT})
    return text


def chat_side(acting_user, chat: ChatSession, session_ids=()) -> str | None:
    """Which side of the chat the user is on: ``agent``, ``asker`` (a visitor by the
    conversation kept in their browser session), or None."""
    if getattr(acting_user, "is_authenticated", False):
        if acting_user.pk == chat.agent_id:
            return "agent"
        if chat.asker_id is not None and acting_user.pk == chat.asker_id:
            return "asker"
        return None
    if chat.asker_id is None and chat.conversation_id in set(session_ids):
        return "asker"
    return None


def _lock(chat: ChatSession) -> None:
    """Lock the chat's row and bring the caller's instance up to date with it (the
    caller keeps using the one object, as it is now)."""
    list(ChatSession.objects.select_for_update().filter(pk=chat.pk).values_list("pk"))
    chat.refresh_from_db()


def _open(chat: ChatSession, field: str = "text") -> None:
    if chat.status == ChatStatus.CLOSED:
        raise_if({field: MSG_CHAT_CLOSED})


@transaction.atomic
def chat_post(*, acting_user, chat: ChatSession, text: str, session_ids=()) -> Message:
    """One turn of a live chat, by the asker (also while waiting) or the agent."""
    _lock(chat)
    side = chat_side(acting_user, chat, session_ids)
    if side is None:
        raise PermissionDenied(MSG_NOT_IN_CHAT)
    _open(chat)
    role = MessageRole.AGENT if side == "agent" else MessageRole.USER
    message = bot_services.conversation_post(
        conversation=chat.conversation, role=role, text=_clean_chat_text(text)
    )
    if side == "agent":
        chat.agent_typing_at = None
    else:
        chat.asker_typing_at = None
    chat.save(update_fields=["agent_typing_at", "asker_typing_at", "updated_at"])
    return message


def chat_typing(*, acting_user, chat: ChatSession, session_ids=()) -> None:
    """Either side is typing: the other sees 坐席正在输入… or 对方正在输入… for a few
    seconds (no audit: it runs every few seconds while they type)."""
    side = chat_side(acting_user, chat, session_ids)
    if side is None:
        raise PermissionDenied(MSG_NOT_IN_CHAT)
    if side == "agent":  # still theirs (not handed over meanwhile) and under way
        scope, field = Q(agent=acting_user, status=ChatStatus.ACTIVE), "agent_typing_at"
    else:  # the asker may type while waiting: the agent who takes it sees it
        scope, field = Q(status__in=CHAT_OPEN), "asker_typing_at"
    if not ChatSession.objects.filter(scope, pk=chat.pk).update(**{field: _now()}):
        chat.refresh_from_db(fields=["status", "agent"])
        _open(chat)
        raise PermissionDenied(MSG_NOT_IN_CHAT)


def _recent(stamp) -> bool:
    return stamp is not None and _now() - stamp <= dt.timedelta(seconds=TYPING_SECONDS)


def agent_typing(chat: ChatSession) -> bool:
    return _recent(chat.agent_typing_at)


def asker_typing(chat: ChatSession) -> bool:
    return _recent(chat.asker_typing_at)


@transaction.atomic
def chat_close(
    *,
    acting_user,
    chat: ChatSession,
    to_order: bool = False,
    category: str | None = None,
    ip: str | None = None,
    session_ids=(),
) -> ChatSession:
    """End the chat, by either side (or leave the queue); ``to_order`` files what was left
    open as a work order (转工单), whose page then shows the transcript. The agent may
    pick the order's 咨询分类 (``category``; None keeps the one the bot suggested)."""
    _lock(chat)
    side = chat_side(acting_user, chat, session_ids)
    if side is None:
        raise PermissionDenied(MSG_NOT_IN_CHAT)
    _open(chat, "status")
    if category is not None:
        if side != "agent":
            raise_if({"category": MSG_CATEGORY_AGENT_ONLY})
        raise_if({} if rules.is_category(category) else {"category": MSG_CATEGORY})
        chat.category = category
    held = chat.status == ChatStatus.ACTIVE and chat.agent_id is not None
    chat.status = ChatStatus.CLOSED
    chat.closed_at = _now()
    chat.transfer_to, chat.agent_typing_at, chat.asker_typing_at = None, None, None
    conversation = chat.conversation
    answered = None
    open_order = conversation.work_orders.filter(status__in=OPEN_STATUSES).first()
    if held and not to_order and open_order is None:
        chat.work_order = answered = _record_answered(chat, ip=ip)
    elif to_order:
        from dangjian.desk.services.orders import SUMMARY_MAX, order_create

        chat.work_order = open_order
        if chat.work_order is None:
            chat.work_order = order_create(
                acting_user=_actor(acting_user),
                source=OrderSource.CHAT,
                summary=asked_question(conversation)[:SUMMARY_MAX],
                category=chat.category,
                asker=conversation.user,
                asker_org=conversation.org,
                conversation=conversation,
                ip=ip,
            )
    chat.save()
    ended = MSG_ENDED_BY_AGENT if side == "agent" else MSG_ENDED_BY_ASKER
    if answered is not None:
        ended += MSG_ENDED_ANSWERED.format(number=answered.number)
    elif chat.work_order is not None:
        ended += MSG_ENDED_ORDER.format(number=chat.work_order.number)
    _system(chat, ended)
    audit.record(
        actor=_actor(acting_user),
        action="consult.chat.close",
        obj=chat,
        org=conversation.org,
        after={"work_order": chat.work_order_id, "by": side},
        ip=ip,
    )
    chat_dispatch()
    return chat


MSG_NO_QUESTION = "转人工咨询"
_PUNCTUATION = re.compile(r"[\W_]+")


def asked_question(conversation) -> str:
    """What the asker last asked, as one line for an order's summary: their 转人工 or 都不是
    (typed or clicked) is not the question, and a question typed over several lines (or
    pasted with invisible characters) is quoted, not refused."""
    texts = conversation.messages.filter(role=MessageRole.USER).order_by("-id")
    for text in texts.values_list("text", flat=True)[:50]:
        if _PUNCTUATION.sub(" ", text).strip() not in bot_services.HANDOFF_WORDS:
            return quoted_line(text) or MSG_NO_QUESTION
    return MSG_NO_QUESTION


def _record_answered(chat: ChatSession, *, ip: str | None) -> WorkOrder:
    """A chat an agent held, ended with nothing left open, is kept as a work order answered
    in the chat — as a call answered on the phone is (``hotline_log``): received when the
    asker asked for a person, taken by the agent when they joined (so its waiting time is
    the queue's), answered with the agent's turns. It counts as received and handled in the
    statistics, and its asker rates it through the case engine (:func:`chat_rate`)."""
    from dangjian.desk.services.orders import SUMMARY_MAX, order_create

    conversation, agent = chat.conversation, chat.agent
    order = order_create(
        acting_user=agent,
        source=OrderSource.CHAT,
        summary=asked_question(conversation)[:SUMMARY_MAX],
        category=chat.category,
        asker=conversation.user,
        asker_org=conversation.org,
        conversation=conversation,
        now=chat.created_at,
        ip=ip,
    )
    turns = conversation.messages.filter(
        role=MessageRole.AGENT, created_at__gte=chat.created_at
    ).values_list("text", flat=True)
    reply = "\n".join(turns)[:REPLY_MAX] or MSG_CHAT_NO_REPLY
    cases.transition(order, "claim", actor=agent, now=chat.accepted_at or chat.created_at, ip=ip)
    cases.transition(order, "reply", actor=agent, text=reply, now=_now(), ip=ip)
    return order


def can_rate(chat: ChatSession) -> bool:
    """The chat's page asks its asker 满意/基本满意/不满意: ended, its answer not yet rated."""
    order = chat.work_order
    return (
        chat.status == ChatStatus.CLOSED
        and order is not None
        and order.status == OrderStatus.ANSWERED
        and order.rating is None
    )


@transaction.atomic
def chat_rate(
    *,
    acting_user,
    chat: ChatSession,
    rating: int,
    comment: str = "",
    session_ids=(),
    ip: str | None = None,
) -> WorkOrder:
    """The asker rates the service at the end of the chat, once: the rating of the chat's
    work order (``cases.rate``: 满意 and 基本满意 close it, 不满意 reopens it for the desk)."""
    _lock(chat)
    if chat_side(acting_user, chat, session_ids) != "asker":
        raise PermissionDenied(MSG_NOT_IN_CHAT)
    if chat.status != ChatStatus.CLOSED:
        raise_if({"rating": MSG_RATE_OPEN})
    order = chat.work_order
    if order is None:
        raise_if({"rating": MSG_RATE_NOTHING})
    if order.rating is not None and order.status != OrderStatus.ANSWERED:
        raise_if({"rating": MSG_RATE_DONE})
    if order.status != OrderStatus.ANSWERED:
        raise_if({"rating": MSG_RATE_PENDING})
    return cases.rate(order, rating, actor=_actor(acting_user), comment=comment, now=_now(), ip=ip)


def transfer_targets(chat: ChatSession) -> list:
    """The agents the chat may be handed to now: online, with room, covering the asker,
    not its agent."""
    return [
        p.user
        for p in _present(_chat_path(chat))
        if p.active < p.capacity and p.user_id != chat.agent_id
    ]


@transaction.atomic
def chat_transfer(*, acting_user, chat: ChatSession, to_agent, note: str, ip=None):
    """转接: the chat's agent asks another agent to take it over, with a note for them."""
    _lock(chat)
    if acting_user.pk != chat.agent_id or not getattr(acting_user, "is_authenticated", False):
        raise PermissionDenied(MSG_NOT_CHAT_AGENT)
    _open(chat, "to_agent")
    errors = {}
    note = one_line(note or "")
    if not TRANSFER_NOTE_MIN <= len(note) <= TRANSFER_NOTE_MAX:
        errors["note"] = MSG_TRANSFER_NOTE
    if chat.status != ChatStatus.ACTIVE:
        errors["to_agent"] = MSG_CHAT_WAITING
    elif to_agent is None or to_agent.pk not in {u.pk for u in transfer_targets(chat)}:
        errors["to_agent"] = MSG_TRANSFER_TARGET
    raise_if(errors)
    chat.transfer_to, chat.transfer_note = to_agent, note
    chat.save(update_fields=["transfer_to", "transfer_note", "updated_at"])
    audit.record(
        actor=acting_user,
        action="consult.chat.transfer",
        obj=chat,
        org=chat.conversation.org,
        after={"to": to_agent.pk},
        ip=ip,
    )
    return chat


@transaction.atomic
def chat_transfer_accept(*, acting_user, chat: ChatSession, ip=None) -> ChatSession:
    """The agent asked takes the chat over, if they are online with room for it."""
    _lock(chat)
    if chat.transfer_to_id is None or acting_user.pk != chat.transfer_to_id:
        raise PermissionDenied(MSG_NO_TRANSFER)
    _open(chat, "transfer")
    if acting_user.pk not in {p.user_id for p in online_agents(chat.conversation.org)}:
        raise_if({"transfer": MSG_TRANSFER_FULL})
    before = chat.agent_id
    chat.agent, chat.transfer_to, chat.agent_typing_at = acting_user, None, None
    chat.save(update_fields=["agent", "transfer_to", "agent_typing_at", "updated_at"])
    _system(chat, MSG_TRANSFERRED)
    audit.record(
        actor=acting_user,
        action="consult.chat.transfer_accept",
        obj=chat,
        org=chat.conversation.org,
        before={"agent": before},
        after={"agent": acting_user.pk},
        ip=ip,
    )
    chat_dispatch()  # the agent who handed it over has room again
    return chat


@transaction.atomic
def chat_transfer_decline(*, acting_user, chat: ChatSession, ip=None) -> ChatSession:
    """The agent asked declines (拒绝), or the chat's agent withdraws the request (撤回)."""
    _lock(chat)
    if chat.transfer_to_id is None or acting_user.pk not in (chat.transfer_to_id, chat.agent_id):
        raise PermissionDenied(MSG_NO_TRANSFER)
    target = chat.transfer_to_id
    chat.transfer_to = None
    chat.save(update_fields=["transfer_to", "updated_at"])
    audit.record(
        actor=acting_user,
        action="consult.chat.transfer_decline",
        obj=chat,
        org=chat.conversation.org,
        after={"to": target},
        ip=ip,
    )
    return chat


CANNED_FIELDS = ("title", "text", "category")
CANNED_TITLE_MAX = 60
MSG_CANNED_CATEGORY = "请选择列表中的咨询分类"


def _validate_canned(reply: CannedReply) -> None:
    """Clean the reply's fields in place; one ValidationError with every problem."""
    errors = {}
    title, problem = name_or_error(reply.title, field_label="标题", blank_message=MSG_CANNED_TITLE)
    reply.title, reply.text = title, _clean_text(reply.text)
    if problem or len(title) > CANNED_TITLE_MAX:
        errors["title"] = problem or MSG_CANNED_TITLE
    if len(reply.text) < REPLY_MIN or len(reply.text) > REPLY_MAX:
        errors["text"] = MSG_REPLY_SHORT if len(reply.text) < REPLY_MIN else MSG_REPLY_LONG
    if not rules.is_category(reply.category):
        errors["category"] = MSG_CANNED_CATEGORY
    raise_if(errors)


@transaction.atomic
def canned_create(*, acting_user, org: Organisation, title: str, text: str, category: str = ""):
    """A reply template (统一口径) for the agents of ``org``'s subtree."""
    authorize(acting_user, Perm.HANDLE_CONSULT, org.path, view_perm=Perm.VIEW_ORG)
    reply = CannedReply(org=org, title=title, text=text, category=category)
    _validate_canned(reply)
    reply.save()
    audit.record(actor=acting_user, action="consult.canned.create", obj=reply, org=org)
    return reply


def _authorize_canned(user, reply: CannedReply) -> None:
    """The desk admin over the reply's organisation keeps it (others: 404, as if absent)."""
    authorize(user, Perm.MANAGE_OFFICES, reply.org.path, view_perm=Perm.MANAGE_OFFICES)


@transaction.atomic
def canned_update(*, acting_user, reply: CannedReply, changes: dict, ip: str | None = None):
    """Edit a reply template: its title, text and 咨询分类 (the desk admin)."""
    check_editable(changes, CANNED_FIELDS)
    _authorize_canned(acting_user, reply)
    reply = CannedReply.objects.select_for_update().get(pk=reply.pk)
    model_update(
        acting_user=acting_user,
        instance=reply,
        changes=changes,
        snapshot=lambda r: audit.snapshot(r, CANNED_FIELDS),
        action="consult.canned.update",
        org=lambda: reply.org,
        validate=lambda: _validate_canned(reply),
        ip=ip,
    )
    return reply


@transaction.atomic
def canned_delete(*, acting_user, reply: CannedReply, ip: str | None = None) -> None:
    """Remove a reply template no longer in use (the desk admin; audited with its text)."""
    _authorize_canned(acting_user, reply)
    audit.record(
        actor=acting_user,
        action="consult.canned.delete",
        obj=reply,
        org=reply.org,
        before=audit.snapshot(reply, CANNED_FIELDS),
        ip=ip,
    )
    reply.delete()
