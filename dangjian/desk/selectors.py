"""Every read of work orders, chats and the 12371 statistics, through core.scope.

A work order is seen by the 12371 staff over the organisation it is routed to
(Perm.VIEW_CONSULT on ``org``), by the office asked for its input (协商联动), and by its
asker — the rules each model declares with its manager (``desk.models``), read
through ``visible_to``. Out of scope answers 404, in lists and counts alike.
"""

import re

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.scope import ALL, Perm
from dangjian.desk import rules
from dangjian.desk.models import (
    OPEN_STATUSES,
    UNCLAIMED_STATUSES,
    AgentPresence,
    CannedReply,
    ChatSession,
    ChatStatus,
    Coordination,
    IvrOption,
    Office,
    OrderEvent,
    OrderStatus,
    PlatformFeedback,
    Priority,
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


# --- The console's queue

WHO_CHOICES = [
    ("todo", "未受理和我在办"),
    ("unassigned", "未受理"),
    ("mine", "我在办"),
    ("all", "全部"),
]
NUMBER = re.compile(r"GD(\d{8})(\d{6,18})")
PRIORITY_RANK = {Priority.URGENT: 0, Priority.NORMAL: 1, Priority.LOW: 2}


def _search(q: str) -> Q:
    """An order number (GD20261207000123, also in lower case), a phone number, a caller's
    or asker's name, or words of the question."""
    text = q.strip()
    match = NUMBER.fullmatch(text.upper())
    if match:
        return Q(pk=int(match.group(2)))
    found = (
        Q(summary__icontains=text)
        | Q(detail__icontains=text)
        | Q(caller_name__icontains=text)
        | Q(asker__display_name__icontains=text)
        | Q(asker__username__iexact=text)
    )
    digests = phone_digests(text) if any(ch.isdigit() for ch in text) else []
    if digests:
        found |= Q(phone_digest__in=digests)
    return found


def console_queue(
    user,
    *,
    q: str = "",
    status: str = "",
    category: str = "",
    source: str = "",
    who: str = "todo",
    overdue: bool = False,
    now=None,
) -> QuerySet[WorkOrder]:
    """坐席工作台的队列: the orders the user may handle, most urgent first — overdue ones,
    then by priority, then by the deadline that runs now (受理时限 until claimed, then 答复
    时限). Each row carries ``due`` and ``overdue``.

    ``status`` one status (default: every open one; a search without a status also finds
    answered and closed orders, as a caller asking about an old number expects);
    ``who`` todo (unclaimed and mine, the default), unassigned, mine or all;
    ``overdue`` only those past their deadline.
    """
    now = now or timezone.now()
    qs = WorkOrder.objects.visible_to(user, Perm.HANDLE_CONSULT).select_related("org", "assignee")
    if status:
        qs = qs.filter(status=status)
    elif not q.strip():
        qs = qs.filter(status__in=OPEN_STATUSES)
    if q.strip():
        qs = qs.filter(_search(q))
    if category:
        qs = qs.filter(category=category)
    if source:
        qs = qs.filter(source=source)
    me = getattr(user, "pk", None)
    unclaimed = Q(status__in=UNCLAIMED_STATUSES)
    if who == "todo":
        qs = qs.filter(unclaimed | Q(assignee_id=me))
    elif who == "unassigned":
        qs = qs.filter(unclaimed)
    elif who == "mine":
        qs = qs.filter(assignee_id=me).exclude(unclaimed)
    running = Q(status__in=OPEN_STATUSES)
    qs = qs.annotate(
        due=Case(
            When(unclaimed, then=F("first_response_due")),
            When(running, then=F("resolution_due")),
            default=Value(None),
        )
    ).annotate(
        late_rank=Case(
            When(running & (Q(due__lt=now) | Q(escalation_level__gt=0)), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        urgency_rank=Case(
            *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
            default=Value(1),
            output_field=IntegerField(),
        ),
    )
    if overdue:
        qs = qs.filter(late_rank=0)
    return qs.order_by(
        "late_rank", "urgency_rank", F("due").asc(nulls_last=True), "-created_at", "id"
    )


def queue_categories(user) -> list[str]:
    """The categories of the open orders the user may handle (the console's filter)."""
    return list(
        WorkOrder.objects.visible_to(user, Perm.HANDLE_CONSULT)
        .filter(status__in=OPEN_STATUSES)
        .exclude(category="")
        .values_list("category", flat=True)
        .distinct()
        .order_by("category")[:100]
    )


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
    "reroute": "重新分类/转办",
    "merge": "合并至主工单",
    "merge_in": "并入重复工单",
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
    return order.coordinations.select_related(
        "org", "answered_by", "unit__lead", "unit__liaison"
    ).order_by("id")


# --- Central acceptance: offices, re-routing, duplicates


def office_queryset(user) -> QuerySet[Office]:
    """The offices of the organisations in one's 12371 scope and above it (those one may
    consult), and the offices one is 责任人 or 联络员 of."""
    return Office.objects.visible_to(user, Perm.VIEW_CONSULT).select_related(
        "org", "lead", "liaison"
    )


def office_get(user, office_id) -> Office:
    return scope.get_or_404(office_queryset(user), pk=office_id)


def consultable_offices(user) -> QuerySet[Office]:
    """The active offices an agent may send a question to, by organisation and name."""
    return office_queryset(user).filter(active=True).order_by("org__depth", "org_id", "name")


def can_manage_offices(user, org=None) -> bool:
    if org is None:
        return bool(scope.scope_paths(user, Perm.MANAGE_OFFICES))
    return scope.covers(user, Perm.MANAGE_OFFICES, org.path)


def offices_for(category: str, offices) -> list[Office]:
    """The offices responsible for ``category`` among ``offices`` (the picker's hint)."""
    return [o for o in offices if category and category in o.categories]


def is_office_contact(user) -> bool:
    """Whether ``user`` is 责任人 or 联络员 of an office of the registry (their menu's
    协商联动, whatever roles they hold). Asked once per request: kept on the user object."""
    if not _authenticated(user):
        return False
    if "_desk_office_contact" not in user.__dict__:
        user._desk_office_contact = Office.objects.filter(Q(liaison=user) | Q(lead=user)).exists()
    return user._desk_office_contact


def my_consultations(user, *, answered: bool | None = None) -> QuerySet[Coordination]:
    """Requests for input addressed to an office one is 联络员 or 责任人 of, or to one's
    organisation as its handler. All of them (``answered`` None) the unanswered first by
    deadline; the open ones alone (False) by deadline; the answered (True) latest first."""
    if not _authenticated(user):
        return Coordination.objects.none()
    named = Q(unit__liaison=user) | Q(unit__lead=user)
    paths = scope.scope_paths(user, Perm.HANDLE_CONSULT)
    if paths:
        named |= scope.path_q(paths, "org__path")
    found = (
        Coordination.objects.visible_to(user, Perm.VIEW_CONSULT)
        .filter(named)
        .select_related("order", "org", "unit")
    )
    if answered is None:
        return found.order_by(F("answered_at").asc(nulls_first=True), "due", "id")
    if answered:
        return found.filter(answered_at__isnull=False).order_by("-answered_at", "-id")
    return found.filter(answered_at__isnull=True).order_by(F("due").asc(nulls_last=True), "id")


def duplicate_candidates(user, order: WorkOrder) -> list[WorkOrder]:
    """Other open orders of the same asker or phone the user handles (疑似重复)."""
    if order.status not in OPEN_STATUSES:
        return []
    match = Q(pk__in=[])
    if order.phone_digest:
        match |= Q(phone_digest=order.phone_digest)
    if order.asker_id:
        match |= Q(asker_id=order.asker_id)
    qs = (
        WorkOrder.objects.visible_to(user, Perm.HANDLE_CONSULT)
        .filter(match, status__in=OPEN_STATUSES, merged_into__isnull=True)
        .exclude(pk=order.pk)
        .select_related("org")
        .order_by("created_at", "id")
    )
    return list(qs[:HISTORY_LIMIT])


def office_people(user) -> QuerySet:
    """Accounts an admin may name 责任人 or 联络员: active users holding a role at an
    organisation the admin maintains offices for."""
    from dangjian.accounts.models import User

    paths = scope.scope_paths(user, Perm.MANAGE_OFFICES)
    rows = User.objects.filter(is_active=True)
    if paths is not ALL:
        holding = scope.path_q(paths, "role_assignments__org__path")
        rows = rows.filter(holding) if paths else rows.none()
    return rows.distinct().order_by("username")


def office_orgs(user) -> QuerySet[Organisation]:
    """The organisation departments whose offices the user maintains."""
    paths = scope.scope_paths(user, Perm.MANAGE_OFFICES)
    return Organisation.objects.filter(
        scope.path_q(paths, "path"), org_type__in=rules.LEVELS
    ).order_by("depth", "path")


def office_person_get(user, user_id):
    return scope.get_or_404(office_people(user), pk=user_id)


def reroute_target_get(user, org_id) -> Organisation:
    """An organisation department within one's 12371 desks or above them."""
    paths = scope.scope_paths(user, Perm.HANDLE_CONSULT)
    rows = Organisation.objects.filter(org_type__in=rules.LEVELS)
    if paths is not ALL:
        above = {p for path in paths for p in scope.ancestor_paths(path)}
        rows = rows.filter(Q(path__in=above) | scope.path_q(paths, "path"))
    return scope.get_or_404(rows, pk=org_id)


def merged_orders(order: WorkOrder) -> QuerySet[WorkOrder]:
    return order.merged.order_by("created_at", "id")


def reroute_targets(user, order: WorkOrder) -> QuerySet[Organisation]:
    """Organisation departments an order may go to: within one's desks, or up its line."""
    paths = scope.scope_paths(user, Perm.HANDLE_CONSULT)
    up = Q(path__in=scope.ancestor_paths(order.org.path, include_self=True))
    rows = Organisation.objects.filter(org_type__in=rules.LEVELS)
    rows = rows if paths is ALL else rows.filter(up | scope.path_q(paths, "path"))
    return rows.order_by("depth", "path")


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
    return scope.get_or_404(chats.select_related("agent", "conversation", "work_order"), pk=chat_id)


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


def canned_managed(user) -> QuerySet[CannedReply]:
    """The templates the desk admin keeps (their organisation departments and below)."""
    return (
        CannedReply.objects.visible_to(user, Perm.MANAGE_OFFICES)
        .select_related("org")
        .order_by("org__depth", "org__path", "title", "id")
    )


def canned_get(user, reply_id) -> CannedReply:
    return scope.get_or_404(canned_managed(user), pk=reply_id)


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
