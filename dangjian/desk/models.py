"""Work orders (工单), their history and coordination, live chats, agents' presence.

Each scoped model declares once, with its manager, how it belongs to the organisation
tree (``core.scope``): a work order by the organisation department it is routed to (a
county agent sees its county's orders; the province sees all), a coordination request
by the office asked, a live chat by its conversation's branch. Nothing here copies an
organisation's path: visibility is computed through the keys, so it follows the tree as
it is now (after 五华区委 moves from 昆明 to 曲靖, 昆明 sees none of its orders).

The ``also`` rules widen *reading* (``Perm.VIEW_CONSULT``) only — the asker's own
questions, the office consulted, a chat's two participants; handling
(``Perm.HANDLE_CONSULT``) is the subtree rule alone.

The caller's phone is encrypted at rest with a blind index for the caller-history
lookup, like a member's phone.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from dangjian.core import crypto
from dangjian.core.cases import CaseEvent, CaseModel
from dangjian.core.fields import BlindIndex, EncryptedTextField
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import ALL, Perm, ScopedManager, ancestor_paths, path_q, scope_paths

__all__ = [
    "AgentPresence",
    "CannedReply",
    "ChatSession",
    "ChatStatus",
    "Coordination",
    "IvrOption",
    "Office",
    "OrderEvent",
    "OrderKind",
    "OrderSource",
    "OrderStatus",
    "PlatformFeedback",
    "PlatformFeedbackKind",
    "PlatformFeedbackStatus",
    "Priority",
    "WorkOrder",
]

PHONE_INDEX = "consult.phone"


class OrderSource(models.TextChoices):
    HANDOFF = "handoff", "智能应答转人工"
    HOTLINE = "hotline", "热线电话"
    WEB = "web", "网站留言"
    APP = "app", "App留言"
    PUBLIC = "public", "公众网站"
    CHAT = "chat", "在线人工"


class OrderKind(models.TextChoices):
    ASK = "ask", "党务咨询"
    SPEAK = "speak", "有话向党说"
    HELP = "help", "有事找党帮"


class OrderStatus(models.TextChoices):
    NEW = "new", "待受理"
    CLAIMED = "claimed", "办理中"
    COORDINATING = "coordinating", "协商办理中"
    ANSWERED = "answered", "已答复"
    REOPENED = "reopened", "重新办理"
    CLOSED = "closed", "已办结"


OPEN_STATUSES = (
    OrderStatus.NEW,
    OrderStatus.CLAIMED,
    OrderStatus.COORDINATING,
    OrderStatus.REOPENED,
)
UNCLAIMED_STATUSES = (OrderStatus.NEW, OrderStatus.REOPENED)


class Priority(models.TextChoices):
    URGENT = "urgent", "紧急"
    NORMAL = "normal", "一般"
    LOW = "low", "较缓"


def _office_contact(prefix: str, user) -> Q:
    """Rows of an office (业务处室) whose 责任人 or 联络员 is ``user``."""
    return Q(**{f"{prefix}lead": user}) | Q(**{f"{prefix}liaison": user})


def _asked_or_consulted(user, perm: Perm) -> Q | None:
    """Besides the orders routed into one's subtrees, one reads one's own questions and
    the orders one's office was asked for its input on (协商联动): through one's scope
    over the office's organisation, or as the office's 责任人 or 联络员."""
    if perm != Perm.VIEW_CONSULT:
        return None
    rows = Q(asker=user)
    paths = scope_paths(user, perm)
    if paths and paths is not ALL:
        consulted = Coordination.objects.filter(path_q(paths, "org__path"), order=OuterRef("pk"))
        rows |= Q(Exists(consulted))
    named = Coordination.objects.filter(_office_contact("unit__", user), order=OuterRef("pk"))
    return rows | Q(Exists(named))


def _over_the_order(user, perm: Perm) -> Q | None:
    """A request for input is read by the office asked (its organisation's staff, its
    责任人 and 联络员) and by the staff over the order."""
    if perm != Perm.VIEW_CONSULT:
        return None
    return path_q(scope_paths(user, perm), "order__org__path") | _office_contact("unit__", user)


def _offices_above_or_named(user, perm: Perm) -> Q | None:
    """The offices of the organisations above one's 12371 desks serve them too (a county
    in 分级受理 consults the province's offices); an office's 责任人 and 联络员 read it."""
    if perm != Perm.VIEW_CONSULT:
        return None
    rows = _office_contact("", user)
    paths = scope_paths(user, perm)
    if paths and paths is not ALL:
        above = {prefix for path in paths for prefix in ancestor_paths(path)}
        rows |= Q(org__path__in=above)
    return rows


def _participant(user, perm: Perm) -> Q | None:
    """A live chat is read by its asker, its agent and the agent asked to take it over
    (转接), wherever they sit in the tree."""
    if perm != Perm.VIEW_CONSULT:
        return None
    return Q(asker=user) | Q(agent=user) | Q(transfer_to=user)


def _from_above(user, perm: Perm) -> Q | None:
    """Reply templates of the organisations above one's 12371 desks serve them too."""
    paths = scope_paths(user, perm)
    if not paths or paths is ALL or perm != Perm.HANDLE_CONSULT:
        return None
    above = {prefix for path in paths for prefix in ancestor_paths(path)}
    return Q(org__path__in=above)


class WorkOrder(TimeStampedModel, CaseModel):
    """One consultation a person must answer, from any channel, with its SLA timers.

    A case of the core case engine (its workflow: ``consult.services.workflow``); the
    status, assignee, timers, escalation level and rating columns come from CaseModel.
    """

    BLIND_INDEXES = (BlindIndex(source="phone", digest="phone_digest", purpose=PHONE_INDEX),)

    source = models.CharField("来源", max_length=10, choices=OrderSource.choices)
    kind = models.CharField("类型", max_length=8, choices=OrderKind.choices, default="ask")
    category = models.CharField("咨询分类", max_length=40, blank=True, db_index=True)
    summary = models.CharField("问题摘要", max_length=200)
    detail = models.TextField("详细内容", blank=True)
    priority = models.CharField(
        "紧急程度", max_length=8, choices=Priority.choices, default="normal"
    )
    status = models.CharField(
        "状态", max_length=14, choices=OrderStatus.choices, default="new", db_index=True
    )
    org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="承办组织部门",
        on_delete=models.PROTECT,
        related_name="+",
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提问人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consult_orders",
    )
    asker_org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="提问人所在组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    caller_name = models.CharField("来电人/留言人", max_length=50, blank=True)
    phone = EncryptedTextField("联系电话", blank=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    conversation = models.ForeignKey(
        "knowledge.Conversation",
        verbose_name="关联会话",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    escalated_to = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="升级至组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply = models.TextField("答复内容", blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer_count = models.PositiveSmallIntegerField("答复次数", default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="合并至工单",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    lookup_digest = models.CharField("查询码（散列）", max_length=128, blank=True, editable=False)
    public = models.BooleanField("公开到咨询列表", default=False)
    public_question = models.CharField("公开问题（已隐去个人信息）", max_length=200, blank=True)

    objects = ScopedManager(org="org", also=_asked_or_consulted)

    class Meta(CaseModel.Meta):
        db_table = "consult_workorder"  # the table it had in the consult app
        verbose_name = "咨询工单"
        verbose_name_plural = "咨询工单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "first_response_due"], name="consult_order_queue"),
            models.Index(fields=["org", "created_at"], name="consult_order_org"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary[:30]}"

    @property
    def number(self) -> str:
        """工单编号: the day it came in and its id (what a caller quotes on the phone)."""
        created = self.created_at.strftime("%Y%m%d") if self.created_at else "0"
        return f"GD{created}{self.pk or 0:06d}"

    def set_phone(self, value: str) -> None:
        self.phone = value
        self.phone_digest = crypto.blind_index(value, purpose=PHONE_INDEX) if value else ""

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone) if self.phone else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OrderEvent(CaseEvent):
    """One step of an order's history (状态记录): who did what, when, from which status."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")

    class Meta:
        db_table = "consult_orderevent"  # the table it had in the consult app
        verbose_name = "工单记录"
        verbose_name_plural = "工单记录"
        ordering = ["order_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class Office(TimeStampedModel):
    """业务处室: an office of the organisation department that answers questions of its
    categories when the centre consults it (协商联动), with a named 责任人 and 联络员.

    Linked to user accounts they are told of each request in their inbox and answer in
    the platform; the names and phones are what the agents call. Kept per organisation
    (the province centre's, or a county's in 分级受理).
    """

    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="所属组织", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("处室名称", max_length=60)
    categories = models.JSONField("负责的咨询分类", default=list, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_name = models.CharField("责任人", max_length=50, blank=True)
    lead_phone = EncryptedTextField("责任人电话", blank=True)
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="联络员账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    liaison_name = models.CharField("联络员", max_length=50, blank=True)
    liaison_phone = EncryptedTextField("联络员电话", blank=True)
    active = models.BooleanField("启用", default=True)

    objects = ScopedManager(org="org", also=_offices_above_or_named)

    class Meta:
        verbose_name = "业务处室"
        verbose_name_plural = "业务处室"
        ordering = ["org_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="desk_office_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def contacts(self) -> list:
        """The accounts told of a request: the 联络员 first, then the 责任人."""
        return [u for u in (self.liaison, self.lead) if u is not None]


class Coordination(TimeStampedModel):
    """协商联动: one office asked for its input on an order; the coordinator merges them.

    ``unit`` is the office of the registry (:class:`Office`); ``office`` keeps its name
    as asked (requests made before the registry have the name alone). ``due`` is the
    office's deadline on the workday calendar.
    """

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="coordinations")
    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="协办组织", on_delete=models.PROTECT, related_name="+"
    )
    office = models.CharField("协办处室", max_length=60)
    unit = models.ForeignKey(
        Office,
        verbose_name="业务处室",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    question = models.TextField("征求意见内容")
    due = models.DateTimeField("回复时限", null=True, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.TextField("处室意见", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回复人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField("回复时间", null=True, blank=True)

    objects = ScopedManager(org="org", also=_over_the_order)

    class Meta:
        db_table = "consult_coordination"  # the table it had in the consult app
        verbose_name = "协商联动"
        verbose_name_plural = "协商联动"
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "org", "office"],
                condition=Q(answered_at__isnull=True),
                name="consult_coordination_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.office}"

    def overdue(self, now) -> bool:
        return self.answered_at is None and self.due is not None and self.due < now


class ChatStatus(models.TextChoices):
    WAITING = "waiting", "排队中"
    ACTIVE = "active", "进行中"
    CLOSED = "closed", "已结束"


class ChatSession(TimeStampedModel):
    """A live chat between an asker and an online agent, continuing the bot conversation.

    Its messages are the conversation's (role ``agent`` for the agent's turns); it
    belongs where its conversation does (the asker's branch). A chat waits in the queue
    (no agent yet) while every agent who covers the asker is at capacity; an agent may
    ask another to take it over (``transfer_to``, with a note for that agent only).
    """

    conversation = models.ForeignKey(
        "knowledge.Conversation", on_delete=models.CASCADE, related_name="chats"
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提问人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="坐席",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consult_chats",
    )
    status = models.CharField(
        "状态", max_length=8, choices=ChatStatus.choices, default="active", db_index=True
    )
    accepted_at = models.DateTimeField("接入时间", null=True, blank=True)
    agent_typing_at = models.DateTimeField("坐席最近输入", null=True, blank=True)
    asker_typing_at = models.DateTimeField("提问人最近输入", null=True, blank=True)
    transfer_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="转接给",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    transfer_note = models.CharField("转接说明", max_length=200, blank=True)
    # The knowledge-base category the bot came closest to; the agent may change it when
    # ending the chat, and the order the chat becomes is filed under it.
    category = models.CharField("咨询分类", max_length=40, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name="转为工单",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(org="conversation__org", also=_participant)

    class Meta:
        db_table = "consult_chatsession"  # the table it had in the consult app
        verbose_name = "在线人工会话"
        verbose_name_plural = "在线人工会话"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(  # a conversation is handed to one live chat at a time
                fields=["conversation"],
                condition=~Q(status="closed"),
                name="consult_chat_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"在线会话 {self.pk}"


class AgentPresence(models.Model):
    """Whether an agent takes live chats now: online and heard from within a minute."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consult_presence"
    )
    online = models.BooleanField("在线", default=False)
    last_seen = models.DateTimeField("最近心跳", null=True, blank=True, db_index=True)
    capacity = models.PositiveSmallIntegerField("同时接待上限", default=3)

    class Meta:
        db_table = "consult_agentpresence"  # the table it had in the consult app
        verbose_name = "坐席在线状态"
        verbose_name_plural = "坐席在线状态"
        ordering = ["user_id"]

    def __str__(self) -> str:
        return f"{self.user} {'在线' if self.online else '离线'}"


class CannedReply(TimeStampedModel):
    """A reply template (常用答复) an agent inserts and adapts."""

    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="所属组织", on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField("标题", max_length=60)
    text = models.TextField("内容")
    category = models.CharField("咨询分类", max_length=40, blank=True)

    objects = ScopedManager(org="org", also=_from_above)

    class Meta:
        db_table = "consult_cannedreply"  # the table it had in the consult app
        verbose_name = "常用答复"
        verbose_name_plural = "常用答复"
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


def _submitted_by(user, perm: Perm) -> Q | None:
    """Everyone reads what they submitted to the 问题优化清单."""
    return Q(user=user)


class IvrOption(models.Model):
    """One option of the hotline's voice menu (IVR), in the order the caller hears it."""

    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="热线所属组织", on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField("顺序")
    key = models.CharField("按键", max_length=2)
    label = models.CharField("播报内容", max_length=60)
    queue = models.CharField("转接队列", max_length=40)
    category = models.CharField("咨询分类", max_length=40, blank=True)
    script = models.TextField("坐席话术", blank=True)

    objects = ScopedManager(org="org")

    class Meta:
        db_table = "consult_ivroption"  # the table it had in the consult app
        verbose_name = "语音菜单选项"
        verbose_name_plural = "语音菜单选项"
        ordering = ["org_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "key"], name="kb_ivr_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.label}"


class PlatformFeedbackKind(models.TextChoices):
    SUGGESTION = "suggestion", "功能建议"
    PROBLEM = "problem", "使用问题"


class PlatformFeedbackStatus(models.TextChoices):
    RECEIVED = "received", "已收到"
    ACCEPTED = "accepted", "已采纳"
    DONE = "done", "已优化"
    DECLINED = "declined", "不予采纳"


class PlatformFeedback(TimeStampedModel):
    """问题优化清单: a suggestion or problem about the platform itself, filed under the
    submitter's branch (none for a user without one): admins over it manage it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField("类型", max_length=12, choices=PlatformFeedbackKind.choices)
    text = models.TextField("内容")
    status = models.CharField(
        "状态", max_length=10, choices=PlatformFeedbackStatus.choices, default="received"
    )
    reply = models.TextField("处理说明", blank=True)

    objects = ScopedManager(org="org", also=_submitted_by)

    class Meta:
        db_table = "consult_platformfeedback"  # the table it had in the consult app
        verbose_name = "平台意见"
        verbose_name_plural = "问题优化清单"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]
