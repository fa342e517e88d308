"""Every write to work orders, live chats and agents' presence.

Each state change is validated, transactional, audited and written to the order's
history (:class:`OrderEvent`); notifications to the asker go out on commit, so nothing
is announced for a write that rolled back. The periodic jobs (escalation, rating
reminders) are idempotent: their effects are pure functions of the slot's time, and
their notifications carry dedupe keys.
"""

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from dangjian.consult import rules
from dangjian.consult.models import (
    AgentPresence,
    CannedReply,
    ChatSession,
    ChatStatus,
    Conversation,
    Coordination,
    Message,
    MessageRole,
    OrderEvent,
    OrderKind,
    OrderSource,
    OrderStatus,
    Priority,
    WorkOrder,
)
from dangjian.consult.models.orders import OPEN_STATUSES, UNCLAIMED_STATUSES
from dangjian.core import audit, crypto, notify
from dangjian.core.errors import raise_if
from dangjian.core.phone import phone_or_blank
from dangjian.core.scope import ALL, Perm, Role, authorize, covers, scope_paths
from dangjian.core.text import name_or_error
from dangjian.orgs.models import Organisation

log = logging.getLogger(__name__)

SUMMARY_MIN, SUMMARY_MAX = 2, 200
DETAIL_MAX = 5000
REPLY_MIN, REPLY_MAX = 2, 5000
COMMENT_MAX = 500
NAME_MAX = 50
CHAT_TEXT_MAX = 1000
OFFICE_MAX = 60
PRESENCE_SECONDS = 60  # an agent unheard of for longer is offline, whatever the toggle

MSG_CANNED_TITLE = "请填写标题（不超过60个字）"
MSG_SUMMARY_SHORT = f"问题摘要不能少于{SUMMARY_MIN}个字"
MSG_SUMMARY_LONG = f"问题摘要不能超过{SUMMARY_MAX}个字"
MSG_DETAIL_LONG = f"详细内容不能超过{DETAIL_MAX}个字"
MSG_CATEGORY_LONG = "分类不能超过40个字"
MSG_NAME_REQUIRED = "请填写姓名"
MSG_NAME_LONG = f"姓名不能超过{NAME_MAX}个字"
MSG_PHONE_REQUIRED = "请填写联系电话"
MSG_PHONE = "请输入正确的手机号或固定电话（如 13812345678、0871-12345678）"
MSG_CHOICE = "取值无效"
MSG_CLAIMED = "该工单已由{name}受理"
MSG_NOT_CLAIMABLE = "该工单当前状态为“{status}”，不能受理"
MSG_NOT_ASSIGNEE = "请先受理该工单再答复"
MSG_NOT_REPLYABLE = "该工单当前状态为“{status}”，不能答复"
MSG_REPLY_SHORT = f"答复不能少于{REPLY_MIN}个字"
MSG_REPLY_LONG = f"答复不能超过{REPLY_MAX}个字"
MSG_PENDING_OFFICES = "还有{n}个处室未回复意见，请待其回复后再汇总答复"
MSG_NO_OFFICES = "请至少选择一个协办处室"
MSG_OFFICE = f"请填写处室名称（不超过{OFFICE_MAX}个字）"
MSG_QUESTION = "请填写需要征求意见的内容"
MSG_NOT_COORDINATABLE = "只有办理中的工单可以发起协商"
MSG_ALREADY_ANSWERED = "该处室已回复意见"
MSG_NOT_ASKER = "只有提问人可以评价或要求重新办理"
MSG_NOT_RATEABLE = "只能评价已答复的工单"
MSG_RATING = "评分应为 1 到 5 的整数"
MSG_COMMENT_LONG = f"评价意见不能超过{COMMENT_MAX}个字"
MSG_NOT_REOPENABLE = "只有已答复或已办结的工单可以重新办理"
MSG_REOPEN_REASON = "请说明不满意的原因"
MSG_NOT_PUBLISHABLE = "只有已答复的工单可以公开"
MSG_PUBLIC_QUESTION = f"请填写公开的问题（{SUMMARY_MIN}–{SUMMARY_MAX}个字，勿含姓名、电话）"
MSG_CHAT_CLOSED = "会话已结束"
MSG_CHAT_TEXT = f"请输入内容（不超过{CHAT_TEXT_MAX}个字）"
MSG_NOT_IN_CHAT = "您不是该会话的参与者"
MSG_NOT_AGENT = "您不是12371坐席"
MSG_ORG_OUTSIDE = "该组织不在您的受理范围内"


# --- Small helpers


def _now() -> dt.datetime:
    return timezone.now()


def _clean_text(value: str | None) -> str:
    return (value or "").strip()


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def normalize_phone(raw: str) -> str:
    """A mobile or a landline as core.phone writes it; '' when it is not a plausible number."""
    try:
        return phone_or_blank(raw, landline=True)
    except ValidationError:
        return ""


def phone_digests(raw: str) -> list[str]:
    """The blind-index digests a phone may be stored under (for caller history)."""
    value = normalize_phone(raw)
    return crypto.blind_indexes(value, purpose="consult.phone") if value else []


AUDITED = (
    "status",
    "category",
    "priority",
    "org",
    "assignee",
    "escalation_level",
    "rating",
    "public",
)


def _snapshot(order: WorkOrder) -> dict:
    return audit.snapshot(order, AUDITED)


def _record(order, *, actor, action: str, before_status: str, note: str = "", ip=None, before=None):
    """The history row and the audit entry of one change (inside the write's transaction)."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=before_status,
        to_status=order.status,
        actor=actor,
        note=note[:2000],
        at=_now(),
    )
    audit.record(
        actor=actor,
        action=f"consult.order.{action}",
        obj=order,
        org_path=order.org_path,
        before=before,
        after=_snapshot(order),
        ip=ip,
    )


def _notify_asker(order: WorkOrder, *, kind: str, title: str, body: str = "", key: str) -> None:
    """Tell the asker (in-app; by SMS when they have no account) once the write commits."""
    url = reverse("consult:my_order", args=[order.pk])

    def send():
        if order.asker_id:
            notify.send(
                [order.asker],
                kind=kind,
                title=title,
                body=body,
                url=url,
                org_path=order.asker_org_path,
                dedupe_key=key,
            )
        elif order.phone:
            try:
                notify.sms_backend().send(order.phone, f"【12371】{title}（工单号 {order.number}）")
            except Exception:
                log.exception("SMS for work order %s failed", order.pk)

    transaction.on_commit(send)


def staff_at(path: str, roles=(Role.AGENT,)):
    """Users holding one of ``roles`` exactly at the organisation ``path`` (its 12371 desk)."""
    from dangjian.accounts.models import User

    return User.objects.filter(
        is_active=True, role_assignments__org__path=path, role_assignments__role__in=roles
    ).distinct()


# --- Routing


def _chain(org: Organisation | None) -> list[tuple[str, str]]:
    if org is None:
        return []
    step = Organisation.steplen
    paths = [org.path[:i] for i in range(step, len(org.path) + 1, step)]
    return list(
        Organisation.objects.filter(path__in=paths)
        .order_by("depth")
        .values_list("path", "org_type")
    )


def route_org(category: str, asker_org: Organisation | None) -> Organisation:
    """The organisation department a question goes to (rules.route over the asker's chain)."""
    root = Organisation.objects.get_root_nodes().order_by("path").first()
    path = rules.route(category, _chain(asker_org), root.path)
    return Organisation.objects.get(path=path)


def _top_handle_org(user) -> Organisation | None:
    paths = scope_paths(user, Perm.HANDLE_CONSULT)
    if paths is ALL:
        return Organisation.objects.get_root_nodes().order_by("path").first()
    return Organisation.objects.filter(path__in=paths).order_by("depth", "path").first()


def _asker_org(user) -> Organisation | None:
    member = getattr(user, "member", None) if getattr(user, "is_authenticated", False) else None
    return member.branch if member is not None else None


# --- Creating orders


def _validate_new(order: WorkOrder, *, phone_raw: str, need_phone: bool, need_name: bool):
    errors: dict[str, str] = {}
    order.summary, summary_problem = name_or_error(
        order.summary, field_label="问题摘要", blank=True
    )
    order.detail = _clean_text(order.detail)
    order.category = _one_line(order.category)
    order.caller_name, name_problem = name_or_error(
        order.caller_name, field_label="姓名", blank=True
    )
    if summary_problem:
        errors["summary"] = summary_problem
    elif len(order.summary) < SUMMARY_MIN:
        errors["summary"] = MSG_SUMMARY_SHORT
    elif len(order.summary) > SUMMARY_MAX:
        errors["summary"] = MSG_SUMMARY_LONG
    if len(order.detail) > DETAIL_MAX:
        errors["detail"] = MSG_DETAIL_LONG
    if len(order.category) > 40:
        errors["category"] = MSG_CATEGORY_LONG
    if name_problem:
        errors["caller_name"] = name_problem
    elif need_name and not order.caller_name:
        errors["caller_name"] = MSG_NAME_REQUIRED
    elif len(order.caller_name) > NAME_MAX:
        errors["caller_name"] = MSG_NAME_LONG
    phone = normalize_phone(phone_raw)
    if _clean_text(phone_raw) and not phone:
        errors["phone"] = MSG_PHONE
    elif need_phone and not phone:
        errors["phone"] = MSG_PHONE_REQUIRED
    order.set_phone(phone)
    for name, choices in (
        ("source", OrderSource),
        ("kind", OrderKind),
        ("priority", Priority),
    ):
        if getattr(order, name) not in choices.values:
            errors[name] = MSG_CHOICE
    raise_if(errors)


def _start_timers(order: WorkOrder, start: dt.datetime) -> None:
    sla = rules.sla_for(order.priority, order.category)
    order.first_response_due, order.resolution_due = rules.deadlines(start, sla)


@transaction.atomic
def order_create(
    *,
    acting_user,
    source: str,
    summary: str,
    detail: str = "",
    category: str = "",
    kind: str = OrderKind.ASK,
    priority: str = Priority.NORMAL,
    asker=None,
    asker_org: Organisation | None = None,
    caller_name: str = "",
    phone: str = "",
    conversation: Conversation | None = None,
    org: Organisation | None = None,
    ip: str | None = None,
) -> WorkOrder:
    """A new order, routed by category and the asker's organisation, timers started.

    ``org`` overrides the routing (an agent filing a call for a known office).
    Hotline calls need a number; the public site needs a name and a number.
    """
    asker = asker if getattr(asker, "is_authenticated", False) else None
    asker_org = asker_org or _asker_org(asker)
    order = WorkOrder(
        source=source,
        kind=kind,
        category=category,
        summary=summary,
        detail=detail,
        priority=priority,
        asker=asker,
        asker_org_path=asker_org.path if asker_org is not None else "",
        caller_name=caller_name,
        conversation=conversation,
    )
    _validate_new(
        order,
        phone_raw=phone,
        need_phone=source in (OrderSource.HOTLINE, OrderSource.PUBLIC),
        need_name=source == OrderSource.PUBLIC,
    )
    target = org or route_org(order.category, asker_org)
    if source == OrderSource.HOTLINE and not covers(acting_user, Perm.HANDLE_CONSULT, target.path):
        if org is not None:
            raise_if({"org_id": MSG_ORG_OUTSIDE})
        target = _top_handle_org(acting_user)  # the call came to this agent's desk
        if target is None:
            raise PermissionDenied(MSG_NOT_AGENT)
    order.org, order.org_path = target, target.path
    now = _now()
    _start_timers(order, now)
    order.save()
    _record(order, actor=acting_user, action="create", before_status="", ip=ip)
    return order


def _last_question(conversation: Conversation) -> str:
    message = (
        conversation.messages.filter(role=MessageRole.USER)
        .exclude(text="转人工")
        .order_by("-id")
        .first()
    )
    return message.text if message is not None else "转人工咨询"


def online_agents(path: str):
    """Agents online now (heartbeat within a minute) whose scope covers ``path``, least busy
    first, with their count of active chats."""
    since = _now() - dt.timedelta(seconds=PRESENCE_SECONDS)
    presences = (
        AgentPresence.objects.filter(online=True, last_seen__gte=since, user__is_active=True)
        .select_related("user")
        .annotate(
            active=Count("user__consult_chats", filter=Q(user__consult_chats__status="active"))
        )
        .order_by("active", "last_seen")
    )
    target = path or _root_path()
    return [
        p
        for p in presences
        if p.active < p.capacity and covers(p.user, Perm.HANDLE_CONSULT, target)
    ]


def _root_path() -> str:
    root = Organisation.objects.get_root_nodes().order_by("path").first()
    return root.path if root is not None else ""


@transaction.atomic
def handoff(
    conversation: Conversation, acting_user, *, category: str = ""
) -> ChatSession | WorkOrder:
    """转人工: a live chat with an online agent who covers the asker, else a work order.

    The conversation stays attached either way, so the person sees what was asked.
    Asking again in a conversation already handed off returns the same chat or order.
    ``category`` (the knowledge-base category the bot came closest to) routes the order.
    """
    existing = ChatSession.objects.filter(conversation=conversation, status="active").first()
    if existing is not None:
        return existing
    open_order = conversation.work_orders.filter(status__in=OPEN_STATUSES).first()
    if open_order is not None:
        return open_order
    agents = online_agents(conversation.org_path)
    if agents:
        chat = ChatSession.objects.create(
            conversation=conversation,
            asker=conversation.user,
            agent=agents[0].user,
            org_path=conversation.org_path,
        )
        audit.record(
            actor=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            action="consult.chat.start",
            obj=chat,
            org_path=conversation.org_path,
            after={"agent": chat.agent_id, "conversation": conversation.pk},
        )
        return chat
    source = OrderSource.APP if conversation.channel == "app" else OrderSource.HANDOFF
    asker = conversation.user
    asker_org = Organisation.objects.filter(path=conversation.org_path).first()
    return order_create(
        acting_user=acting_user,
        source=source,
        summary=_last_question(conversation)[:SUMMARY_MAX],
        category=category,
        asker=asker,
        asker_org=asker_org,
        conversation=conversation,
    )


@transaction.atomic
def hotline_log(
    *,
    acting_user,
    caller_name: str,
    phone: str,
    category: str,
    summary: str,
    detail: str = "",
    priority: str = Priority.NORMAL,
    asker_org: Organisation | None = None,
    reply: str = "",
    ip: str | None = None,
) -> WorkOrder:
    """登记来电: an agent logs a call; answered on the phone, it is replied at once."""
    if not scope_paths(acting_user, Perm.HANDLE_CONSULT):
        raise PermissionDenied(MSG_NOT_AGENT)
    order = order_create(
        acting_user=acting_user,
        source=OrderSource.HOTLINE,
        caller_name=caller_name,
        phone=phone,
        category=category,
        summary=summary,
        detail=detail,
        priority=priority,
        asker_org=asker_org,
        ip=ip,
    )
    if _clean_text(reply):
        order_claim(acting_user=acting_user, order=order, ip=ip)
        order_reply(acting_user=acting_user, order=order, text=reply, ip=ip)
    return order


# --- Handling


def _authorize_handle(user, order: WorkOrder) -> None:
    """Staff over the order's organisation; its asker sees it but may not act on it (403)."""
    is_asker = order.asker_id is not None and order.asker_id == getattr(user, "pk", None)
    if is_asker and not covers(user, Perm.HANDLE_CONSULT, order.org_path):
        raise PermissionDenied("您没有权限办理该工单")
    authorize(user, Perm.HANDLE_CONSULT, order.org_path, view_perm=Perm.VIEW_CONSULT)


def _lock(order: WorkOrder) -> WorkOrder:
    """Re-read the order under a row lock: two agents claiming at once, one wins."""
    fresh = WorkOrder.objects.select_for_update().get(pk=order.pk)
    order.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return order


@transaction.atomic
def order_claim(*, acting_user, order: WorkOrder, ip: str | None = None) -> WorkOrder:
    """受理: the agent takes the order; the first claim is the first response."""
    _authorize_handle(acting_user, order)
    _lock(order)
    if order.status not in UNCLAIMED_STATUSES:
        if order.assignee_id and order.assignee_id != acting_user.pk:
            raise_if({"status": MSG_CLAIMED.format(name=order.assignee)})
        raise_if({"status": MSG_NOT_CLAIMABLE.format(status=order.get_status_display())})
    before, status = _snapshot(order), order.status
    order.status = OrderStatus.CLAIMED
    order.assignee = acting_user
    order.first_response_at = order.first_response_at or _now()
    order.save()
    _record(order, actor=acting_user, action="claim", before_status=status, ip=ip, before=before)
    _notify_asker(
        order,
        kind="consult.claimed",
        title="您的咨询已受理",
        body=order.summary,
        key=f"consult.claimed:{order.pk}:{order.reopen_count}",
    )
    return order


def _clean_reply(text: str) -> str:
    text = _clean_text(text)
    if len(text) < REPLY_MIN:
        raise_if({"text": MSG_REPLY_SHORT})
    if len(text) > REPLY_MAX:
        raise_if({"text": MSG_REPLY_LONG})
    return text


@transaction.atomic
def order_reply(*, acting_user, order: WorkOrder, text: str, ip: str | None = None) -> WorkOrder:
    """答复: the assignee answers (after every consulted office has given its input)."""
    _authorize_handle(acting_user, order)
    _lock(order)
    if order.status not in (OrderStatus.CLAIMED, OrderStatus.COORDINATING):
        raise_if({"status": MSG_NOT_REPLYABLE.format(status=order.get_status_display())})
    if order.assignee_id != acting_user.pk:
        raise_if({"status": MSG_NOT_ASSIGNEE})
    text = _clean_reply(text)
    pending = order.coordinations.filter(answered_at__isnull=True).count()
    if pending:
        raise_if({"text": MSG_PENDING_OFFICES.format(n=pending)})
    before, status = _snapshot(order), order.status
    order.status = OrderStatus.ANSWERED
    order.reply = text
    order.replied_by = acting_user
    order.answered_at = _now()
    order.answer_count += 1
    order.rating = None
    order.rated_at = None
    order.save()
    _record(order, actor=acting_user, action="reply", before_status=status, ip=ip, before=before)
    _notify_asker(
        order,
        kind="consult.reply",
        title="您的咨询已答复，请查看并评价",
        body=text[:200],
        key=f"consult.reply:{order.pk}:{order.answer_count}",
    )
    return order


@transaction.atomic
def order_coordinate(
    *,
    acting_user,
    order: WorkOrder,
    offices: list[tuple[Organisation, str]],
    question: str,
    ip: str | None = None,
) -> list[Coordination]:
    """协商联动: ask several offices for their input; the assignee merges the answers."""
    _authorize_handle(acting_user, order)
    _lock(order)
    if order.status not in (OrderStatus.CLAIMED, OrderStatus.COORDINATING):
        raise_if({"status": MSG_NOT_COORDINATABLE})
    if order.assignee_id != acting_user.pk:
        raise_if({"status": MSG_NOT_ASSIGNEE})
    question = _clean_text(question)
    errors = {}
    if not offices:
        errors["offices"] = MSG_NO_OFFICES
    if any(not _one_line(name) or len(_one_line(name)) > OFFICE_MAX for _, name in offices):
        errors["offices"] = MSG_OFFICE
    if not question or len(question) > DETAIL_MAX:
        errors["question"] = MSG_QUESTION
    raise_if(errors)
    created = []
    for org, name in offices:
        name = _one_line(name)
        open_one = order.coordinations.filter(org=org, office=name, answered_at__isnull=True)
        if open_one.exists():
            continue
        created.append(
            Coordination.objects.create(
                order=order,
                org=org,
                org_path=org.path,
                office=name,
                question=question,
                requested_by=acting_user,
            )
        )
    before, status = _snapshot(order), order.status
    order.status = OrderStatus.COORDINATING
    order.save(update_fields=["status", "updated_at"])
    offices_text = "、".join(c.office for c in created)
    _record(
        order,
        actor=acting_user,
        action="coordinate",
        before_status=status,
        note=f"征求意见：{offices_text}",
        ip=ip,
        before=before,
    )
    url = reverse("consult:order_detail", args=[order.pk])
    for item in created:
        recipients = staff_at(item.org_path, roles=(Role.HANDLER, Role.AGENT))
        transaction.on_commit(
            lambda item=item, recipients=recipients: notify.send(
                recipients,
                kind="consult.coordination",
                title=f"请就工单 {order.number} 回复{item.office}意见",
                body=item.question[:200],
                url=url,
                org_path=item.org_path,
                dedupe_key=f"consult.coordination:{item.pk}",
            )
        )
    return created


@transaction.atomic
def coordination_answer(
    *, acting_user, coordination: Coordination, answer: str, ip: str | None = None
) -> Coordination:
    """An office's input on an order (handlers of that office's organisation)."""
    authorize(acting_user, Perm.HANDLE_CONSULT, coordination.org_path, view_perm=Perm.VIEW_CONSULT)
    coordination = Coordination.objects.select_for_update().get(pk=coordination.pk)
    if coordination.answered_at is not None:
        raise_if({"answer": MSG_ALREADY_ANSWERED})
    answer = _clean_text(answer)
    if len(answer) < REPLY_MIN or len(answer) > REPLY_MAX:
        raise_if({"answer": MSG_REPLY_SHORT if len(answer) < REPLY_MIN else MSG_REPLY_LONG})
    coordination.answer = answer
    coordination.answered_by = acting_user
    coordination.answered_at = _now()
    coordination.save()
    order = coordination.order
    _record(
        order,
        actor=acting_user,
        action="office_answer",
        before_status=order.status,
        note=f"{coordination.office}：{answer[:500]}",
        ip=ip,
    )
    if order.assignee_id:
        transaction.on_commit(
            lambda: notify.send(
                [order.assignee],
                kind="consult.coordination_answer",
                title=f"{coordination.office}已回复工单 {order.number} 的意见",
                url=reverse("consult:order_detail", args=[order.pk]),
                org_path=order.org_path,
                dedupe_key=f"consult.coordination_answer:{coordination.pk}",
            )
        )
    return coordination


def merged_draft(order: WorkOrder) -> str:
    """The offices' answers gathered into a first draft of the merged reply."""
    parts = [
        f"【{c.office}】{c.answer}" for c in order.coordinations.filter(answered_at__isnull=False)
    ]
    return "\n".join(parts)


# --- The asker's side


def _authorize_asker(user, order: WorkOrder) -> None:
    if not getattr(user, "is_authenticated", False) or order.asker_id != user.pk:
        raise_if({"__all__": MSG_NOT_ASKER})


def _reopen(order: WorkOrder, *, acting_user, reason: str, ip, action: str) -> None:
    before, status = _snapshot(order), order.status
    order.status = OrderStatus.REOPENED
    order.reopen_count += 1
    order.closed_at = None
    _start_timers(order, _now())
    order.first_response_at = None
    order.escalation_level = 0
    order.escalated_path = ""
    order.save()
    _record(
        order,
        actor=acting_user,
        action=action,
        before_status=status,
        note=reason,
        ip=ip,
        before=before,
    )
    if order.assignee_id:
        recipient = order.assignee
        transaction.on_commit(
            lambda: notify.send(
                [recipient],
                kind="consult.reopened",
                title=f"工单 {order.number} 提问人不满意，已重新办理",
                body=reason[:200],
                url=reverse("consult:order_detail", args=[order.pk]),
                org_path=order.org_path,
                dedupe_key=f"consult.reopened:{order.pk}:{order.reopen_count}",
            )
        )


@transaction.atomic
def order_rate(
    *, acting_user, order: WorkOrder, rating: int, comment: str = "", ip: str | None = None
) -> WorkOrder:
    """评价: 1–5 and a comment; 3 or more closes the order, 2 or less reopens it."""
    _authorize_asker(acting_user, order)
    _lock(order)
    if order.status != OrderStatus.ANSWERED:
        raise_if({"rating": MSG_NOT_RATEABLE})
    errors = {}
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors["rating"] = MSG_RATING
    comment = _clean_text(comment)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = MSG_COMMENT_LONG
    raise_if(errors)
    before, status = _snapshot(order), order.status
    order.rating, order.rating_comment, order.rated_at = rating, comment, _now()
    if rules.reopens(rating):
        order.save()
        _record(
            order,
            actor=acting_user,
            action="rate",
            before_status=status,
            note=f"{rating}分 {comment}",
            ip=ip,
            before=before,
        )
        _reopen(
            order,
            acting_user=acting_user,
            reason=comment or f"评分{rating}分",
            ip=ip,
            action="reopen",
        )
        return order
    order.status = OrderStatus.CLOSED
    order.closed_at = order.rated_at
    order.save()
    _record(
        order,
        actor=acting_user,
        action="rate",
        before_status=status,
        note=f"{rating}分 {comment}".strip(),
        ip=ip,
        before=before,
    )
    return order


@transaction.atomic
def order_reopen(*, acting_user, order: WorkOrder, reason: str, ip: str | None = None) -> WorkOrder:
    """要求重新办理: the asker is not satisfied with the answer."""
    _authorize_asker(acting_user, order)
    _lock(order)
    if order.status not in (OrderStatus.ANSWERED, OrderStatus.CLOSED):
        raise_if({"status": MSG_NOT_REOPENABLE})
    reason = _clean_text(reason)
    if not reason:
        raise_if({"reason": MSG_REOPEN_REASON})
    if len(reason) > COMMENT_MAX:
        raise_if({"reason": MSG_COMMENT_LONG})
    _reopen(order, acting_user=acting_user, reason=reason, ip=ip, action="reopen")
    return order


# --- Publishing and the knowledge base


@transaction.atomic
def order_publish(
    *,
    acting_user,
    order: WorkOrder,
    public: bool,
    public_question: str = "",
    ip: str | None = None,
) -> WorkOrder:
    """Show (or withdraw) an answered order in the public 咨询列表, asker anonymised."""
    _authorize_handle(acting_user, order)
    if public:
        if order.status not in (OrderStatus.ANSWERED, OrderStatus.CLOSED):
            raise_if({"public": MSG_NOT_PUBLISHABLE})
        question, problem = name_or_error(public_question, field_label="公开问题", blank=True)
        if problem:
            raise_if({"public_question": problem})
        question = question or order.public_question or order.summary
        if not SUMMARY_MIN <= len(question) <= SUMMARY_MAX:
            raise_if({"public_question": MSG_PUBLIC_QUESTION})
        order.public_question = question
    before = _snapshot(order)
    order.public = public
    order.save(update_fields=["public", "public_question", "updated_at"])
    _record(
        order,
        actor=acting_user,
        action="publish" if public else "unpublish",
        before_status=order.status,
        ip=ip,
        before=before,
    )
    return order


def order_to_kb(*, acting_user, order: WorkOrder, question: str = "", answer: str = "", ip=None):
    """把答复转为知识条目: a draft entry of the order's office from its question and reply."""
    from dangjian.consult.services.kb import entry_create_from_answer

    _authorize_handle(acting_user, order)
    return entry_create_from_answer(
        acting_user=acting_user,
        org=order.org,
        question=_one_line(question) or order.public_question or order.summary,
        answer=_clean_text(answer) or order.reply,
        category=order.category,
        source=f"12371 工单 {order.number}",
        ip=ip,
    )


# --- Jobs: escalation and rating reminders


def _max_escalation(order: WorkOrder) -> int:
    """Levels above the routed organisation that hold a 12371 desk (up to the province)."""
    return order.org.depth - 1


def _escalation_path(order: WorkOrder, level: int) -> str:
    steplen = Organisation.steplen
    return order.org_path[: (order.org.depth - level) * steplen]


@transaction.atomic
def order_escalate(*, order: WorkOrder, now: dt.datetime) -> bool:
    """Raise a breached order to the level its breach has reached by ``now``, telling that
    level's agents. Already there: nothing happens (the job may run twice for a slot)."""
    _lock(order)
    if not order.is_open:
        return False
    breach = rules.breached_at(
        first_response_due=order.first_response_due,
        resolution_due=order.resolution_due,
        first_response_at=order.first_response_at,
        answered_at=order.answered_at,
        now=now,
    )
    level = rules.escalation_level(breach, now, max_level=_max_escalation(order))
    if level <= order.escalation_level:
        return False
    before, status = _snapshot(order), order.status
    order.escalation_level = level
    order.escalated_path = _escalation_path(order, level)
    order.save(update_fields=["escalation_level", "escalated_path", "updated_at"])
    upper = Organisation.objects.get(path=order.escalated_path)
    _record(
        order,
        actor=None,
        action="escalate",
        before_status=status,
        note=f"超时未办，升级至{upper.name}",
        before=before,
    )
    notify.send(
        staff_at(order.escalated_path),
        kind="consult.escalated",
        title=f"工单 {order.number} 超时未办，已升级至{upper.name}",
        body=order.summary,
        url=reverse("consult:order_detail", args=[order.pk]),
        org_path=order.escalated_path,
        dedupe_key=f"consult.escalate:{order.pk}:{order.reopen_count}:{level}",
    )
    return True


def escalate_breached(*, now: dt.datetime) -> int:
    """Every open order past a deadline climbs the tree; returns how many moved."""
    candidates = WorkOrder.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(first_response_at__isnull=True, first_response_due__lt=now) | Q(resolution_due__lt=now)
    )
    moved = 0
    for order in candidates.select_related("org").iterator(chunk_size=500):
        moved += order_escalate(order=order, now=now)
    return moved


def remind_unrated(*, now: dt.datetime) -> int:
    """Remind askers of answers still unrated after N workdays (once per answer)."""
    today = timezone.localdate(now)
    sent = 0
    pending = WorkOrder.objects.filter(
        status=OrderStatus.ANSWERED, rating__isnull=True, asker__isnull=False
    ).select_related("asker")
    for order in pending.iterator(chunk_size=500):
        if not rules.rating_reminder_due(timezone.localdate(order.answered_at), today):
            continue
        sent += notify.send(
            [order.asker],
            kind="consult.rate_reminder",
            title="您的咨询已答复，请对答复进行评价",
            body=order.summary,
            url=reverse("consult:my_order", args=[order.pk]),
            org_path=order.asker_org_path,
            dedupe_key=f"consult.rate_reminder:{order.pk}:{order.answer_count}",
        )
    return sent


# --- Live chats and presence


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
    message = Message.objects.create(
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
        conversation = chat.conversation
        chat.work_order = order_create(
            acting_user=acting_user,
            source=OrderSource.CHAT,
            summary=_last_question(conversation)[:SUMMARY_MAX],
            asker=conversation.user,
            asker_org=Organisation.objects.filter(path=conversation.org_path).first(),
            conversation=conversation,
            ip=ip,
        )
    chat.save()
    Message.objects.create(
        conversation=chat.conversation, role=MessageRole.SYSTEM, text="人工会话已结束"
    )
    audit.record(
        actor=acting_user,
        action="consult.chat.close",
        obj=chat,
        org_path=chat.org_path,
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
    audit.record(actor=acting_user, action="consult.canned.create", obj=reply, org_path=org.path)
    return reply
