"""Every read of work orders, chats and the 12371 statistics, through core.scope.

A work order is seen by the 12371 staff over the organisation it is routed to
(Perm.VIEW_CONSULT on ``org``), by the office asked for its input (协商联动), and by its
asker — the rules each model declares with its manager (``desk.models``), read
through ``visible_to``. Out of scope answers 404, in lists and counts alike.
"""

from django.db.models import Q, QuerySet

from dangjian.core import scope
from dangjian.core.scope import ALL, Perm
from dangjian.desk.models import (
    UNCLAIMED_STATUSES,
    AgentPresence,
    CannedReply,
    ChatSession,
    ChatStatus,
    Coordination,
    IvrOption,
    OrderEvent,
    OrderStatus,
    PlatformFeedback,
    WorkOrder,
)
from dangjian.desk.services.orders import phone_digests
from dangjian.knowledge import selectors as kb_selectors
from dangjian.knowledge.models import Message
from dangjian.orgs.models import Organisation

HISTORY_LIMIT = 20
TOP_LIMIT = 20


def _authenticated(user) -> bool:
    return getattr(user, "is_authenticated", False)


def order_queryset(user) -> QuerySet[WorkOrder]:
    """Orders routed into the user's 12371 scope, those their office was consulted on,
    and their own questions."""
    return WorkOrder.objects.visible_to(user, Perm.VIEW_CONSULT).select_related(
        "org", "assignee", "asker"
    )


def staff_order_queryset(user) -> QuerySet[WorkOrder]:
    """Only what the user sees as 12371 staff (not their own questions)."""
    return WorkOrder.objects.visible_to(user, Perm.VIEW_CONSULT, also=False).select_related(
        "org", "assignee"
    )


def order_get(user, order_id) -> WorkOrder:
    return scope.get_or_404(order_queryset(user), pk=order_id)


def own_order(user, order_id) -> WorkOrder:
    """One of the user's own questions (the member's 我的咨询)."""
    if not _authenticated(user):
        return scope.get_or_404(WorkOrder.objects.none(), pk=order_id)
    return scope.get_or_404(WorkOrder.objects.filter(asker=user), pk=order_id)


def asked_orders(user) -> QuerySet[WorkOrder]:
    if not _authenticated(user):
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(asker=user).order_by("-created_at", "-id")


def can_handle(user, order: WorkOrder) -> bool:
    return scope.covers(user, Perm.HANDLE_CONSULT, order.org.path)


def is_staff(user) -> bool:
    """Holds a 12371 role somewhere (agent, handler, admin): sees the console."""
    return bool(scope.scope_paths(user, Perm.HANDLE_CONSULT))


def queue(user) -> QuerySet[WorkOrder]:
    """Unclaimed orders the user may take, escalated first, then by first-response deadline."""
    return (
        WorkOrder.objects.visible_to(user, Perm.HANDLE_CONSULT)
        .filter(status__in=UNCLAIMED_STATUSES)
        .select_related("org")
        .order_by("-escalation_level", "first_response_due", "id")
    )


def assigned(user) -> QuerySet[WorkOrder]:
    """Orders the agent has claimed and not yet answered and still covers (one whose
    county has moved out of the agent's scope has left it), by resolution deadline."""
    return (
        WorkOrder.objects.visible_to(user, Perm.HANDLE_CONSULT)
        .filter(assignee=user, status__in=[OrderStatus.CLAIMED, OrderStatus.COORDINATING])
        .select_related("org")
        .order_by("resolution_due", "id")
    )


def escalated_to_me(user) -> QuerySet[WorkOrder]:
    """Open orders escalated to an organisation where the user holds a 12371 desk and
    still under it (an order whose county moved away has left that desk's view)."""
    paths = scope.scope_paths(user, Perm.HANDLE_CONSULT)
    qs = (
        WorkOrder.objects.visible_to(user, Perm.HANDLE_CONSULT)
        .filter(escalation_level__gt=0)
        .exclude(status__in=[OrderStatus.ANSWERED, OrderStatus.CLOSED])
    )
    if paths is not ALL:
        qs = qs.filter(escalated_to__path__in=paths)
    return qs.select_related("org").order_by("resolution_due")


def caller_history(user, *, phone: str = "", asker_id=None, exclude=None) -> list[WorkOrder]:
    """The same caller's earlier orders (by phone or account), within the user's scope."""
    match = Q(pk__in=[])
    digests = phone_digests(phone)
    if digests:
        match |= Q(phone_digest__in=digests)
    if asker_id:
        match |= Q(asker_id=asker_id)
    qs = staff_order_queryset(user).filter(match)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("-created_at")[:HISTORY_LIMIT])


ACTION_LABELS = {
    "create": "提交",
    "claim": "受理",
    "reply": "答复",
    "coordinate": "征求处室意见",
    "office_answer": "处室回复意见",
    "rate": "评价",
    "reopen": "重新办理",
    "escalate": "超时升级",
    "publish": "公开到咨询列表",
    "unpublish": "取消公开",
}


def order_events(order: WorkOrder) -> list[OrderEvent]:
    """The order's history, each step with Chinese labels for its action and status."""
    statuses = dict(OrderStatus.choices)
    events = list(order.events.select_related("actor").order_by("at", "id"))
    for event in events:
        event.action_label = ACTION_LABELS.get(event.action, event.action)
        event.status_label = statuses.get(event.to_status, "")
    return events


def order_coordinations(order: WorkOrder) -> QuerySet[Coordination]:
    return order.coordinations.select_related("org", "answered_by").order_by("id")


def coordination_queryset(user) -> QuerySet[Coordination]:
    """Requests for input seen by the office asked and by the staff over the order."""
    return Coordination.objects.visible_to(user, Perm.VIEW_CONSULT).select_related("order", "org")


def coordination_get(user, coordination_id) -> Coordination:
    return scope.get_or_404(coordination_queryset(user), pk=coordination_id)


def pending_coordinations(user) -> QuerySet[Coordination]:
    """Requests addressed to the user's offices that still wait for an answer."""
    return (
        Coordination.objects.visible_to(user, Perm.HANDLE_CONSULT)
        .filter(answered_at__isnull=True)
        .select_related("order", "org")
        .order_by("created_at")
    )


def conversation_transcript(order: WorkOrder) -> list[Message]:
    if order.conversation_id is None:
        return []
    return list(kb_selectors.conversation_messages(order.conversation))


# --- Chats, presence, canned replies


def chat_get(user, chat_id, *, session_ids=()) -> ChatSession:
    """A chat its asker or its agent may open (staff over it may read it too, the agent
    asked to take it over too); a visitor's, by the conversation kept in their browser
    session."""
    if _authenticated(user):
        chats = ChatSession.objects.visible_to(user, Perm.VIEW_CONSULT)
    else:
        chats = ChatSession.objects.filter(
            asker__isnull=True,
            conversation__user__isnull=True,
            conversation_id__in=list(session_ids),
        )
    return scope.get_or_404(chats.select_related("agent", "conversation"), pk=chat_id)


def active_chats(user) -> QuerySet[ChatSession]:
    return ChatSession.objects.filter(agent=user, status=ChatStatus.ACTIVE).order_by("created_at")


def transfers_to(user) -> QuerySet[ChatSession]:
    """Chats another agent asks this agent to take over (转接), oldest first."""
    return (
        ChatSession.objects.filter(transfer_to=user, status=ChatStatus.ACTIVE)
        .select_related("agent")
        .order_by("updated_at", "id")
    )


def chat_messages(chat: ChatSession, *, after: int = 0) -> QuerySet[Message]:
    return kb_selectors.conversation_messages(chat.conversation).filter(id__gt=after)


def presence(user) -> AgentPresence | None:
    return AgentPresence.objects.filter(user=user).first()


def canned_replies(user) -> QuerySet[CannedReply]:
    """Templates of the organisations at and above the user's 12371 desks, and below."""
    return CannedReply.objects.visible_to(user, Perm.HANDLE_CONSULT)


# --- The public 咨询列表


def public_questions() -> QuerySet[WorkOrder]:
    """Answered questions an agent chose to publish: question, category, reply — no asker."""
    return (
        WorkOrder.objects.filter(public=True, status__in=[OrderStatus.ANSWERED, OrderStatus.CLOSED])
        .only("id", "public_question", "category", "reply", "answered_at", "created_at")
        .order_by("-answered_at", "-id")
    )


def public_question_get(order_id) -> WorkOrder:
    return scope.get_or_404(public_questions(), pk=order_id)


# --- The hotline menu (IVR) and the 问题优化清单


def ivr_org(user) -> Organisation | None:
    """The hotline whose menu the user sees: the nearest one at or above their scope."""
    top = kb_selectors.editor_orgs(user).order_by("depth").first() or _consult_root(user)
    if top is None:
        return None
    owners = set(IvrOption.objects.values_list("org__path", flat=True).distinct())
    for path in reversed(scope.ancestor_paths(top.path, include_self=True)):
        if path in owners:
            return Organisation.objects.get(path=path)
    return top


def _consult_root(user) -> Organisation | None:
    paths = scope.scope_paths(user, Perm.HANDLE_CONSULT)
    if paths is scope.ALL:
        return Organisation.objects.get_root_nodes().first()
    return Organisation.objects.filter(path__in=paths).order_by("depth").first()


def ivr_options(org: Organisation) -> QuerySet[IvrOption]:
    return IvrOption.objects.filter(org=org).order_by("position", "id")


def is_admin(user) -> bool:
    return bool(scope.scope_paths(user, Perm.CHANGE_ORG))


def feedback_queryset(user) -> QuerySet[PlatformFeedback]:
    """Admins see the list for their subtree; everyone sees what they submitted."""
    return PlatformFeedback.objects.visible_to(user, Perm.CHANGE_ORG).select_related("user")


def feedback_get(user, feedback_id) -> PlatformFeedback:
    return scope.get_or_404(feedback_queryset(user), pk=feedback_id)


def can_manage_feedback(user, item: PlatformFeedback) -> bool:
    paths = scope.scope_paths(user, Perm.CHANGE_ORG)
    return paths is scope.ALL or (
        item.org_id is not None and scope.covers(user, Perm.CHANGE_ORG, item.org.path)
    )
