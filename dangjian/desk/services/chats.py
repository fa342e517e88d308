"""Live chats with online agents (在线人工), agents' presence, and reply templates.

A chat continues the bot conversation with an agent who covers the asker; closing it
may file what was left open as a work order (services.orders). The turns are the
conversation's messages, written through the knowledge app's services. The public names are
re-exported by ``services.orders``, which the views and the API import.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, authorize, covers, scope_paths
from dangjian.core.text import name_or_error
from dangjian.desk.models import AgentPresence, CannedReply, ChatSession, ChatStatus, OrderSource
from dangjian.desk.services.workflow import MSG_REPLY_LONG, MSG_REPLY_SHORT, REPLY_MAX, REPLY_MIN
from dangjian.desk.services.workflow import clean_text as _clean_text
from dangjian.knowledge import selectors as kb_selectors
from dangjian.knowledge.models import Message, MessageRole
from dangjian.knowledge.services import bot as bot_services
from dangjian.orgs.models import Organisation

CHAT_TEXT_MAX = 1000
MSG_CANNED_TITLE = "请填写标题（不超过60个字）"
PRESENCE_SECONDS = 60  # an agent unheard of for longer is offline, whatever the toggle

MSG_CHAT_CLOSED = "会话已结束"
MSG_CHAT_TEXT = f"请输入内容（不超过{CHAT_TEXT_MAX}个字）"
MSG_NOT_IN_CHAT = "您不是该会话的参与者"
MSG_NOT_AGENT = "您不是12371坐席"


def _now() -> dt.datetime:
    return timezone.now()


def online_agents(org: Organisation | None):
    """Agents online now (heartbeat within a minute) whose scope covers ``org`` (the root
    for a visitor), least busy first, with their count of active chats."""
    since = _now() - dt.timedelta(seconds=PRESENCE_SECONDS)
    presences = (
        AgentPresence.objects.filter(online=True, last_seen__gte=since, user__is_active=True)
        .select_related("user")
        .annotate(
            active=Count("user__consult_chats", filter=Q(user__consult_chats__status="active"))
        )
        .order_by("active", "last_seen")
    )
    target = org.path if org is not None else _root_path()
    return [
        p
        for p in presences
        if p.active < p.capacity and covers(p.user, Perm.HANDLE_CONSULT, target)
    ]


def _root_path() -> str:
    root = Organisation.objects.get_root_nodes().order_by("path").first()
    return root.path if root is not None else ""


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
    return presence


def heartbeat(user) -> None:
    """The console's poll: the agent is still there (no audit: it runs every 20 s)."""
    AgentPresence.objects.filter(user=user).update(last_seen=_now())


def _clean_chat_text(text: str) -> str:
    text = _clean_text(text)
    if not text or len(text) > CHAT_TEXT_MAX:
        raise_if({"text": MSG_CHAT_TEXT})
    return text


@transaction.atomic
def chat_post(*, acting_user, chat: ChatSession, text: str) -> Message:
    """One turn of a live chat, by the asker or the agent."""
    if chat.status != ChatStatus.ACTIVE:
        raise_if({"text": MSG_CHAT_CLOSED})
    if acting_user.pk == chat.agent_id:
        role = MessageRole.AGENT
    elif chat.asker_id is not None and acting_user.pk == chat.asker_id:
        role = MessageRole.USER
    else:
        raise PermissionDenied(MSG_NOT_IN_CHAT)
    message = bot_services.conversation_post(
        conversation=chat.conversation, role=role, text=_clean_chat_text(text)
    )
    chat.save(update_fields=["updated_at"])
    return message


@transaction.atomic
def chat_close(
    *, acting_user, chat: ChatSession, to_order: bool = False, ip: str | None = None
) -> ChatSession:
    """End the chat; ``to_order`` files what was left open as a work order (转工单)."""
    if acting_user.pk not in (chat.agent_id, chat.asker_id):
        raise PermissionDenied(MSG_NOT_IN_CHAT)
    if chat.status != ChatStatus.ACTIVE:
        raise_if({"status": MSG_CHAT_CLOSED})
    chat.status = ChatStatus.CLOSED
    chat.closed_at = _now()
    if to_order:
        from dangjian.desk.services.orders import SUMMARY_MAX, order_create

        conversation = chat.conversation
        chat.work_order = order_create(
            acting_user=acting_user,
            source=OrderSource.CHAT,
            summary=kb_selectors.last_question(conversation)[:SUMMARY_MAX],
            asker=conversation.user,
            asker_org=conversation.org,
            conversation=conversation,
            ip=ip,
        )
    chat.save()
    bot_services.conversation_post(
        conversation=chat.conversation, role=MessageRole.SYSTEM, text="人工会话已结束"
    )
    audit.record(
        actor=acting_user,
        action="consult.chat.close",
        obj=chat,
        org=chat.conversation.org,
        after={"work_order": chat.work_order_id},
        ip=ip,
    )
    return chat


@transaction.atomic
def canned_create(*, acting_user, org: Organisation, title: str, text: str, category: str = ""):
    """A reply template for the agents of ``org``'s subtree."""
    authorize(acting_user, Perm.HANDLE_CONSULT, org.path, view_perm=Perm.VIEW_ORG)
    errors = {}
    title, problem = name_or_error(title, field_label="标题", blank_message=MSG_CANNED_TITLE)
    text = _clean_text(text)
    if problem or len(title) > 60:
        errors["title"] = problem or MSG_CANNED_TITLE
    if len(text) < REPLY_MIN or len(text) > REPLY_MAX:
        errors["text"] = MSG_REPLY_SHORT if len(text) < REPLY_MIN else MSG_REPLY_LONG
    raise_if(errors)
    reply = CannedReply.objects.create(org=org, title=title, text=text, category=category)
    audit.record(actor=acting_user, action="consult.canned.create", obj=reply, org=org)
    return reply
