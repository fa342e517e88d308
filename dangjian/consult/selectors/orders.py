"""Every read of work orders, chats and the 12371 statistics, through core.scope.

A work order is seen by the 12371 staff over the organisation it is routed to
(Perm.VIEW_CONSULT on ``org``), by the office asked for its input (协商联动), and by its
asker — the rules each model declares with its manager (``consult.models.orders``), read
through ``visible_to``. Out of scope answers 404, in lists and counts alike.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dangjian.consult.models import (
    AgentPresence,
    CannedReply,
    ChatSession,
    ChatStatus,
    Conversation,
    Coordination,
    Feedback,
    Message,
    MessageRole,
    OrderEvent,
    OrderSource,
    OrderStatus,
    WorkOrder,
)
from dangjian.consult.models.orders import UNCLAIMED_STATUSES
from dangjian.consult.services.orders import phone_digests
from dangjian.core import scope
from dangjian.core.scope import ALL, Perm
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
    return list(order.conversation.messages.order_by("id"))


# --- Chats, presence, canned replies


def chat_get(user, chat_id) -> ChatSession:
    """A chat its asker or its agent may open (staff over it may read it too)."""
    chats = ChatSession.objects.visible_to(user, Perm.VIEW_CONSULT)
    return scope.get_or_404(chats.select_related("agent", "conversation"), pk=chat_id)


def active_chats(user) -> QuerySet[ChatSession]:
    return ChatSession.objects.filter(agent=user, status=ChatStatus.ACTIVE).order_by("created_at")


def chat_messages(chat: ChatSession, *, after: int = 0) -> QuerySet[Message]:
    return chat.conversation.messages.filter(id__gt=after).order_by("id")


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


# --- Statistics


def stats_orgs(user) -> QuerySet[Organisation]:
    """Organisations whose statistics the user may read (the tops of their scope)."""
    paths = scope.scope_paths(user, Perm.VIEW_CONSULT)
    if paths is ALL:
        return Organisation.objects.get_root_nodes()
    return Organisation.objects.filter(path__in=paths)


def stats_org(user, org_id=None) -> Organisation:
    """The subtree to count: the one asked for (404 outside scope) or the user's top."""
    if org_id is None:
        org = stats_orgs(user).order_by("depth", "path").first()
        if org is None:
            return scope.get_or_404(Organisation.objects.none(), pk=0)
        return org
    visible = Organisation.objects.visible_to(user, Perm.VIEW_CONSULT)
    return scope.get_or_404(visible, pk=org_id)


@dataclass
class Stats:
    org: Organisation
    since: dt.datetime
    until: dt.datetime
    orders: int
    by_source: dict[str, int]
    by_status: dict[str, int]
    by_category: list[dict]
    conversations: int
    bot_resolved: int
    handed_off: int
    first_response_met: int
    first_response_total: int
    resolution_met: int
    resolution_total: int
    rated: int
    satisfied: int
    rating_avg: float | None
    top_questions: list[dict]
    unanswered: list[dict]

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def bot_resolution_rate(self):
        return self._rate(self.bot_resolved, self.conversations)

    @property
    def handoff_rate(self):
        return self._rate(self.handed_off, self.conversations)

    @property
    def first_response_rate(self):
        return self._rate(self.first_response_met, self.first_response_total)

    @property
    def resolution_rate(self):
        return self._rate(self.resolution_met, self.resolution_total)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.rated)


def _subtree(org: Organisation) -> Q:
    """Rows whose organisation lies under ``org`` now (by the key, never a copied path)."""
    q = Q(org__path__startswith=org.path)
    if org.depth == 1:  # visitors without an organisation count at the top
        q |= Q(org__isnull=True)
    return q


def _bot_messages(conversations, since, until) -> QuerySet[Message]:
    return Message.objects.filter(
        conversation__in=conversations,
        role=MessageRole.BOT,
        created_at__gte=since,
        created_at__lt=until,
    )


def order_stats(orders: QuerySet[WorkOrder]) -> dict:
    now = timezone.now()
    return orders.aggregate(
        total=Count("id"),
        fr_total=Count(
            "id", filter=Q(first_response_at__isnull=False) | Q(first_response_due__lt=now)
        ),
        fr_met=Count("id", filter=Q(first_response_at__lte=F("first_response_due"))),
        res_total=Count("id", filter=Q(answered_at__isnull=False) | Q(resolution_due__lt=now)),
        res_met=Count("id", filter=Q(answered_at__lte=F("resolution_due"))),
        rated=Count("id", filter=Q(rating__isnull=False)),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        rating_avg=Avg("rating"),
    )


def stats(user, *, org: Organisation, since: dt.datetime, until: dt.datetime) -> Stats:
    """The 12371 figures of ``org``'s subtree over [since, until) (org already in scope).

    SLA attainment counts orders whose deadline has passed or that met it; satisfaction
    is the share of ratings of 4 or 5.
    """
    orders = staff_order_queryset(user).filter(
        org__path__startswith=org.path, created_at__gte=since, created_at__lt=until
    )
    figures = order_stats(orders)
    by_source = dict(orders.values_list("source").annotate(n=Count("id")).order_by())
    by_status = dict(orders.values_list("status").annotate(n=Count("id")).order_by())
    by_category = list(
        orders.values("category").annotate(n=Count("id")).order_by("-n", "category")[:TOP_LIMIT]
    )
    conversations = Conversation.objects.filter(  # org is in scope: its subtree is too
        _subtree(org), created_at__gte=since, created_at__lt=until
    )
    answered = Message.objects.filter(
        conversation=OuterRef("pk"), role=MessageRole.BOT, confident=True
    )
    conv = conversations.aggregate(
        total=Count("id"),
        handed_off=Count("id", filter=Q(handed_off_at__isnull=False)),
        resolved=Count("id", filter=Q(Exists(answered), handed_off_at__isnull=True)),
    )
    bot = _bot_messages(conversations, since, until)
    top = list(
        bot.filter(entry__isnull=False, confident=True)
        .values("entry_id", question=F("entry__question"))
        .annotate(n=Count("id"))
        .order_by("-n", "entry_id")[:TOP_LIMIT]
    )
    return Stats(
        org=org,
        since=since,
        until=until,
        orders=figures["total"],
        by_source={s: by_source.get(s, 0) for s in OrderSource.values},
        by_status={s: by_status.get(s, 0) for s in OrderStatus.values},
        by_category=by_category,
        conversations=conv["total"],
        bot_resolved=conv["resolved"],
        handed_off=conv["handed_off"],
        first_response_met=figures["fr_met"],
        first_response_total=figures["fr_total"],
        resolution_met=figures["res_met"],
        resolution_total=figures["res_total"],
        rated=figures["rated"],
        satisfied=figures["satisfied"],
        rating_avg=round(figures["rating_avg"], 2) if figures["rating_avg"] is not None else None,
        top_questions=top,
        unanswered=unanswered(bot),
    )


def unanswered(bot_messages: QuerySet[Message]) -> list[dict]:
    """Gaps in the base: questions the bot handed off unsure of, or whose answer was 没用."""
    asked = (
        Message.objects.filter(
            conversation=OuterRef("conversation"), role=MessageRole.USER, id__lt=OuterRef("id")
        )
        .order_by("-id")
        .values("text")[:1]
    )
    return list(
        bot_messages.filter(
            Q(handed_off=True, confidence__isnull=False) | Q(feedback=Feedback.UNHELPFUL)
        )
        .annotate(question=Subquery(asked))
        .values("question")
        .annotate(n=Count("id"))
        .order_by("-n", "question")[:TOP_LIMIT]
    )
