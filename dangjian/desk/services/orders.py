"""Every write to work orders; live chats and presence are in ``services.chats``.

An order moves only through the core case engine (dangjian.core.cases) by the table
declared in ``services.workflow``: each move is checked under a row lock, transactional,
audited and written to the order's history (:class:`OrderEvent`); notifications to the
asker go out on commit, so nothing is announced for a write that rolled back. The
periodic jobs (escalation, rating reminders) are idempotent: their effects are pure
functions of the slot's time, and their notifications carry dedupe keys.
"""

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.core import audit, cases, crypto, notify, warnings
from dangjian.core.errors import raise_if
from dangjian.core.phone import phone_or_blank
from dangjian.core.scope import ALL, Perm, Role, authorize, covers, scope_paths
from dangjian.core.services import model_update
from dangjian.core.text import name_or_error
from dangjian.desk import rules
from dangjian.desk.models import (
    OPEN_STATUSES,
    ChatSession,
    ChatStatus,
    Coordination,
    Office,
    OrderKind,
    OrderSource,
    OrderStatus,
    Priority,
    WorkOrder,
)
from dangjian.desk.services.chats import (  # noqa: F401 — public names of services.orders
    CHAT_OPEN,
    MSG_NOT_AGENT,
    PRESENCE_SECONDS,
    asked_question,
    canned_create,
    chat_close,
    chat_open,
    chat_post,
    heartbeat,
    online_agents,
    presence_set,
)
from dangjian.desk.services.workflow import (  # noqa: F401 — messages tests and pages name
    AUDITED,
    COMMENT_MAX,
    DETAIL_MAX,
    MSG_CATEGORY,
    MSG_CLAIMED,
    MSG_COMMENT_LONG,
    MSG_NO_OFFICES,
    MSG_NOT_ASSIGNEE,
    MSG_NOT_CLAIMABLE,
    MSG_NOT_COORDINATABLE,
    MSG_NOT_RATEABLE,
    MSG_NOT_REOPENABLE,
    MSG_NOT_REPLYABLE,
    MSG_OFFICE_INACTIVE,
    MSG_PENDING_OFFICES,
    MSG_QUESTION,
    MSG_RATING,
    MSG_REOPEN_REASON,
    MSG_REPLY_LONG,
    MSG_REPLY_SHORT,
    MSG_WORKDAYS,
    ORDER_FLOW,
    REPLY_MAX,
    REPLY_MIN,
    path_of,
    staff_at,
)
from dangjian.desk.services.workflow import clean_text as _clean_text
from dangjian.desk.services.workflow import one_line as _one_line
from dangjian.desk.warnings import CONSULTATION_OVERDUE
from dangjian.knowledge import handoff as kb_handoff
from dangjian.knowledge.models import Conversation
from dangjian.knowledge.services import kb as kb_services
from dangjian.orgs import tree
from dangjian.orgs.models import Organisation

log = logging.getLogger(__name__)

SUMMARY_MIN, SUMMARY_MAX = 2, 200
NAME_MAX = 50

MSG_SUMMARY_SHORT = f"问题摘要不能少于{SUMMARY_MIN}个字"
MSG_SUMMARY_LONG = f"问题摘要不能超过{SUMMARY_MAX}个字"
MSG_DETAIL_LONG = f"详细内容不能超过{DETAIL_MAX}个字"
MSG_CATEGORY_LONG = "分类不能超过40个字"
MSG_NAME_REQUIRED = "请填写姓名"
MSG_NAME_LONG = f"姓名不能超过{NAME_MAX}个字"
MSG_PHONE_REQUIRED = "请填写联系电话"
MSG_PHONE = "请输入正确的手机号或固定电话（如 13812345678、0871-12345678）"
MSG_CHOICE = "取值无效"
MSG_ALREADY_ANSWERED = "该处室已回复意见"
MSG_NOT_ASKER = "只有提问人可以评价或要求重新办理"
MSG_NOT_PUBLISHABLE = "只有已答复的工单可以公开"
MSG_PUBLIC_QUESTION = f"请填写公开的问题（{SUMMARY_MIN}–{SUMMARY_MAX}个字，勿含姓名、电话）"
MSG_ORG_OUTSIDE = "该组织不在您的受理范围内"


# --- Small helpers


def _now() -> dt.datetime:
    return timezone.now()


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


def _snapshot(order: WorkOrder) -> dict:
    return audit.snapshot(order, AUDITED)


def _notify_asker(order: WorkOrder, *, kind: str, title: str, body: str = "", key: str) -> None:
    """Tell the asker (in-app; by SMS when they have no account) once the write commits."""
    url = reverse("desk:my_order", args=[order.pk])

    def send():
        if order.asker_id:
            notify.send(
                [order.asker],
                kind=kind,
                title=title,
                body=body,
                url=url,
                dedupe_key=key,
            )
        elif order.phone:
            try:
                notify.sms_backend().send(order.phone, f"【12371】{title}（工单号 {order.number}）")
            except Exception:
                log.exception("SMS for work order %s failed", order.pk)

    transaction.on_commit(send)


# --- Routing


def _chain(org: Organisation | None) -> list[tuple[str, str]]:
    """The asker's organisation and everything above it, the root first."""
    if org is None:
        return []
    return [(each.path, each.org_type) for each in tree.ancestors(org, include_self=True)]


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
    if len(order.category) > rules.CATEGORY_MAX:
        errors["category"] = MSG_CATEGORY_LONG
    elif not rules.is_category(order.category):
        errors["category"] = MSG_CATEGORY
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
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> WorkOrder:
    """A new order, routed by category and the asker's organisation, timers started.

    ``org`` overrides the routing (an agent filing a call for a known office).
    Hotline calls need a number; the public site needs a name and a number. ``now``:
    when it was received, if earlier than its filing (a chat recorded as it ends).
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
        asker_org=asker_org,
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
    if source in AT_AGENTS_DESK and not covers(acting_user, Perm.HANDLE_CONSULT, target.path):
        if org is not None:
            raise_if({"org_id": MSG_ORG_OUTSIDE})
        desk = _top_handle_org(acting_user)  # the call or chat came to this agent's desk
        if desk is None and source == OrderSource.HOTLINE:
            raise PermissionDenied(MSG_NOT_AGENT)
        target = desk or target
    order.org = target
    received = now or _now()
    cases.open_case(order, actor=acting_user, now=received, ip=ip)
    if now is not None:  # created_at is set on insert; the statistics count from it
        WorkOrder.objects.filter(pk=order.pk).update(created_at=received)
        order.created_at = received
    return order


# An order an agent files from a call they took or a chat they held stays at their desk
# when central acceptance would send it where they cannot follow it up.
AT_AGENTS_DESK = (OrderSource.HOTLINE, OrderSource.CHAT)


@transaction.atomic
def handoff(
    conversation: Conversation, acting_user, *, category: str = ""
) -> ChatSession | WorkOrder:
    """转人工: a live chat with an online agent who covers the asker (in the queue while
    they are all busy), else a work order.

    The conversation stays attached either way, so the person sees what was asked.
    Asking again in a conversation already handed off returns the same chat or order.
    ``category`` (the knowledge-base category the bot came closest to) routes the order.
    """
    existing = ChatSession.objects.filter(conversation=conversation, status__in=CHAT_OPEN).first()
    if existing is not None:
        return existing
    open_order = conversation.work_orders.filter(status__in=OPEN_STATUSES).first()
    if open_order is not None:
        return open_order
    chat = chat_open(conversation, acting_user, category=category)
    if chat is not None:
        return chat
    source = OrderSource.APP if conversation.channel == "app" else OrderSource.HANDOFF
    asker = conversation.user
    asker_org = conversation.org
    return order_create(
        acting_user=acting_user,
        source=source,
        summary=asked_question(conversation)[:SUMMARY_MAX],
        category=rules.known_category(category),
        asker=asker,
        asker_org=asker_org,
        conversation=conversation,
    )


def _needs_contact(order: WorkOrder) -> bool:
    """Nobody can be notified of the reply: no account and no phone number on the order."""
    return order.asker_id is None and not order.phone


def _handoff_result(result, *, reused: bool, added: bool = False) -> kb_handoff.Handoff:
    if isinstance(result, WorkOrder):
        return kb_handoff.Handoff(
            work_order_id=result.pk,
            number=result.number,
            reused=reused,
            added=added,
            needs_contact=_needs_contact(result),
            phone_masked=result.phone_masked,
        )
    return kb_handoff.Handoff(
        chat_id=result.pk, reused=reused, waiting=result.status == ChatStatus.WAITING
    )


def bot_open_chat(conversation: Conversation) -> int | None:
    """The conversation's live chat, waiting or active (registered with the knowledge
    app: while it is open, what the asker types goes to the agent)."""
    return (
        ChatSession.objects.filter(conversation=conversation, status__in=CHAT_OPEN)
        .values_list("pk", flat=True)
        .first()
    )


def _open_of(conversation: Conversation):
    """The conversation's active chat or open order, if any (at most one of each)."""
    chat = ChatSession.objects.filter(conversation=conversation, status__in=CHAT_OPEN).first()
    if chat is not None:
        return chat
    return conversation.work_orders.filter(status__in=OPEN_STATUSES).first()


def bot_handoff(
    conversation: Conversation,
    acting_user,
    *,
    category: str = "",
    question: str = "",
    repeat: bool = False,
):
    """The bot's 转人工, registered with the knowledge app (``knowledge.handoff``).

    One conversation has at most one open order: a question asked again goes to the order
    already open (the same question once only, a new one added to it).
    """
    existing = _open_of(conversation)
    if isinstance(existing, WorkOrder):
        added = bool(_clean_text(question)) and not repeat
        if added:
            order_add_question(acting_user=acting_user, order=existing, text=question)
        return _handoff_result(existing, reused=True, added=added)
    if existing is not None:
        return _handoff_result(existing, reused=True)
    return _handoff_result(handoff(conversation, acting_user, category=category), reused=False)


MSG_NO_OPEN_ORDER = "该会话没有待答复的工单"


def bot_contact(conversation: Conversation, acting_user, *, phone: str):
    """A visitor leaves a phone number on the conversation's open order (registered with the
    knowledge app): the reply is then sent to it by SMS."""
    order = conversation.work_orders.filter(status__in=OPEN_STATUSES).first()
    if order is None:
        raise_if({"conversation_id": MSG_NO_OPEN_ORDER})
    order = order_set_phone(acting_user=acting_user, order=order, phone=phone)
    return _handoff_result(order, reused=True)


@transaction.atomic
def order_add_question(*, acting_user, order: WorkOrder, text: str, ip: str | None = None):
    """A further question of the same asker, added to the order's details (dated)."""
    order = WorkOrder.objects.select_for_update().get(pk=order.pk)
    line = f"追加问题（{timezone.localtime(_now()):%m-%d %H:%M}）：{_one_line(text)}"
    model_update(
        acting_user=_actor(acting_user),
        instance=order,
        changes={"detail": "\n".join(p for p in (order.detail, line) if p)},
        snapshot=lambda o: audit.snapshot(o, ("detail",)),
        action="consult.order.add_question",
        org=lambda: order.org,
        ip=ip,
    )
    return order


@transaction.atomic
def order_set_phone(*, acting_user, order: WorkOrder, phone: str, ip: str | None = None):
    """The asker's phone number for the reply's SMS (validated; stored encrypted)."""
    value = normalize_phone(phone)
    if not value:
        raise_if({"phone": MSG_PHONE})
    order = WorkOrder.objects.select_for_update().get(pk=order.pk)
    order.set_phone(value)
    order.save(update_fields=["phone", "phone_digest", "updated_at"])
    audit.record(
        actor=_actor(acting_user),
        action="consult.order.contact",
        obj=order,
        org=order.org,
        after={"phone": order.phone_masked},
        ip=ip,
    )
    return order


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


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
    if is_asker and not covers(user, Perm.HANDLE_CONSULT, order.org.path):
        raise PermissionDenied("您没有权限办理该工单")
    authorize(user, Perm.HANDLE_CONSULT, order.org.path, view_perm=Perm.VIEW_CONSULT)


@transaction.atomic
def order_claim(*, acting_user, order: WorkOrder, ip: str | None = None) -> WorkOrder:
    """受理: the agent takes the order; the first claim is the first response."""
    _authorize_handle(acting_user, order)
    cases.transition(order, "claim", actor=acting_user, now=_now(), ip=ip)
    _notify_asker(
        order,
        kind="consult.claimed",
        title="您的咨询已受理",
        body=order.summary,
        key=f"consult.claimed:{order.pk}:{order.reopen_count}",
    )
    return order


@transaction.atomic
def order_reply(*, acting_user, order: WorkOrder, text: str, ip: str | None = None) -> WorkOrder:
    """答复: the assignee answers (after every consulted office has given its input)."""
    _authorize_handle(acting_user, order)
    cases.transition(order, "reply", actor=acting_user, text=text, now=_now(), ip=ip)
    _notify_asker(
        order,
        kind="consult.reply",
        title="您的咨询已答复，请查看并评价",
        body=order.reply[:200],
        key=f"consult.reply:{order.pk}:{order.answer_count}",
    )
    for duplicate in order.merged.all():  # the askers of the duplicates merged into it
        _notify_asker(
            duplicate,
            kind="consult.reply",
            title=f"您的咨询已与工单 {order.number} 合并办理，现已答复",
            body=order.reply[:200],
            key=f"consult.reply:{duplicate.pk}:merged:{order.pk}:{order.answer_count}",
        )
    return order


@transaction.atomic
def order_coordinate(
    *,
    acting_user,
    order: WorkOrder,
    offices: list[Office],
    question: str,
    workdays: int | None = None,
    ip: str | None = None,
) -> list[Coordination]:
    """协商联动: ask offices of the registry for their input, each due in ``workdays``
    (the default of rules) on the workday calendar; their 联络员 and 责任人 are told (an
    office with neither linked to an account: the handlers of its organisation). The
    assignee merges the answers."""
    _authorize_handle(acting_user, order)
    created: list[Coordination] = []
    cases.transition(
        order,
        "coordinate",
        actor=acting_user,
        offices=offices,
        question=question,
        workdays=workdays,
        created=created,
        now=_now(),
        ip=ip,
    )
    url = reverse("desk:order_detail", args=[order.pk])
    for item in created:
        recipients = item.unit.contacts or list(
            staff_at(item.org, roles=(Role.HANDLER, Role.AGENT))
        )
        due = timezone.localtime(item.due)
        transaction.on_commit(
            lambda item=item, recipients=recipients, due=due: notify.send(
                recipients,
                kind="consult.coordination",
                title=f"请于{due:%m月%d日 %H:%M}前就工单 {order.number} 回复{item.office}意见",
                body=item.question[:200],
                url=url,
                dedupe_key=f"consult.coordination:{item.pk}",
            )
        )
    return created


def answers_for_office(user, coordination: Coordination) -> bool:
    """The office's 联络员 or 责任人, or a handler over the office's organisation."""
    unit = coordination.unit
    if unit is not None and user.pk in (unit.lead_id, unit.liaison_id):
        return True
    return covers(user, Perm.HANDLE_CONSULT, coordination.org.path)


@transaction.atomic
def coordination_answer(
    *, acting_user, coordination: Coordination, answer: str, ip: str | None = None
) -> Coordination:
    """An office's input on an order: its 联络员 or 责任人, or the handlers of its
    organisation. The overdue warning, if one was raised, is cleared."""
    if not answers_for_office(acting_user, coordination):
        authorize(
            acting_user, Perm.HANDLE_CONSULT, coordination.org.path, view_perm=Perm.VIEW_CONSULT
        )
    coordination = Coordination.objects.select_for_update(no_key=True, of=("self",)).get(
        pk=coordination.pk
    )
    if coordination.answered_at is not None:
        raise_if({"answer": MSG_ALREADY_ANSWERED})
    answer = _clean_text(answer)
    if len(answer) < REPLY_MIN or len(answer) > REPLY_MAX:
        raise_if({"answer": MSG_REPLY_SHORT if len(answer) < REPLY_MIN else MSG_REPLY_LONG})
    coordination.answer = answer
    coordination.answered_by = acting_user
    coordination.answered_at = _now()
    coordination.save()
    warnings.warnings_clear(
        kind=CONSULTATION_OVERDUE.name, subject=coordination, now=coordination.answered_at
    )
    order = coordination.order
    cases.record(
        order,
        "office_answer",
        actor=acting_user,
        note=f"{coordination.office}：{answer[:500]}",
        now=_now(),
        ip=ip,
    )
    if order.assignee_id:
        transaction.on_commit(
            lambda: notify.send(
                [order.assignee],
                kind="consult.coordination_answer",
                title=f"{coordination.office}已回复工单 {order.number} 的意见",
                url=reverse("desk:order_detail", args=[order.pk]),
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


@transaction.atomic
def order_rate(
    *, acting_user, order: WorkOrder, rating: int, comment: str = "", ip: str | None = None
) -> WorkOrder:
    """评价: 1–5 and a comment; 3 or more closes the order, 2 or less reopens it."""
    _authorize_asker(acting_user, order)
    return cases.rate(order, rating, actor=acting_user, comment=comment, now=_now(), ip=ip)


@transaction.atomic
def order_reopen(*, acting_user, order: WorkOrder, reason: str, ip: str | None = None) -> WorkOrder:
    """要求重新办理: the asker is not satisfied with the answer."""
    _authorize_asker(acting_user, order)
    return cases.transition(order, "reopen", actor=acting_user, reason=reason, now=_now(), ip=ip)


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
    cases.record(
        order,
        "publish" if public else "unpublish",
        actor=acting_user,
        now=_now(),
        before=before,
        ip=ip,
    )
    return order


def order_to_kb(*, acting_user, order: WorkOrder, question: str = "", answer: str = "", ip=None):
    """把答复转为知识条目: a draft entry of the order's office from its question and reply."""
    _authorize_handle(acting_user, order)
    return kb_services.entry_create_from_answer(
        acting_user=acting_user,
        org=order.org,
        question=_one_line(question) or order.public_question or order.summary,
        answer=_clean_text(answer) or order.reply,
        category=order.category,
        source=f"12371 工单 {order.number}",
        ip=ip,
    )


# --- Jobs: escalation and rating reminders


def order_escalate(*, order: WorkOrder, now: dt.datetime) -> bool:
    """Raise a breached order to the level its breach has reached by ``now``, telling that
    level's agents. Already there: nothing happens (the job may run twice for a slot)."""
    return cases.escalate(order, now=now)


def escalate_breached(*, now: dt.datetime) -> int:
    """Every open order past a deadline climbs the tree; returns how many moved."""
    return cases.escalate_overdue(ORDER_FLOW, now=now)


def remind_unrated(*, now: dt.datetime) -> int:
    """Remind askers of answers still unrated after N workdays (once per answer)."""
    with_asker = WorkOrder.objects.filter(asker__isnull=False).select_related("asker")
    return cases.remind_unrated(ORDER_FLOW, now=now, queryset=with_asker)
