"""The knowledge base (知识库) and the bot's conversations (智能应答).

Entries are versioned: every change writes an :class:`EntryVersion` row with its author
and time, so the history page can show who changed what. The live retrieval index is
kept in step with the published entries through :class:`KbGeneration` — a counter every
index-relevant change bumps, and each entry remembers the generation of its last such
change, so a process holding an older index fetches just the entries changed since
(see ``dangjian.knowledge.index``).

Answers are Markdown (CommonMark, raw HTML disabled) rendered at display time by
``selectors.kb.answer_html``: nothing an editor types can become a script.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager

__all__ = [
    "Channel",
    "Conversation",
    "DailyAnswer",
    "DailySchedule",
    "Entry",
    "EntryKind",
    "EntryStatus",
    "EntryTier",
    "EntryVersion",
    "Feedback",
    "KbGeneration",
    "Message",
    "MessageRole",
    "PolicyArticle",
    "PolicyStatus",
]


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已停用"


class EntryTier(models.TextChoices):
    """Curated entries (written by the editors) are answered first; entries imported from
    public question banks are a lower tier the bot answers from only when sure, and never
    above a curated entry that fits the question (``dangjian.knowledge.index``)."""

    CURATED = "curated", "精编问答"
    IMPORTED = "imported", "题库导入"


class EntryKind(models.TextChoices):
    FAQ = "faq", "问答"
    CASE = "case", "案例选编"  # a resolved consultation published as a case


def _own_conversation(user, perm: Perm) -> Q | None:
    """The asker reads their own conversations, wherever their branch now sits."""
    return Q(user=user) if perm == Perm.VIEW_CONSULT else None


class Entry(TimeStampedModel):
    """One question and its answer, owned by an organisation's office.

    Published entries are public; drafts are seen only by knowledge-base editors at or
    above the owning organisation (``visible_to(user, Perm.EDIT_KB)``).
    """

    kind = models.CharField("类型", max_length=8, choices=EntryKind.choices, default="faq")
    question = models.CharField("标准问题", max_length=200)
    answer = models.TextField("答案（Markdown）")
    alternatives = models.JSONField("相似问法", default=list, blank=True)
    category = models.CharField("分类", max_length=40, blank=True, db_index=True)
    tags = models.JSONField("标签", default=list, blank=True)
    source = models.CharField("依据/出处", max_length=200, blank=True)
    office = models.CharField("责任处室", max_length=60, blank=True)
    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="所属组织", on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_until = models.DateField("失效日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=EntryStatus.choices, default="draft", db_index=True
    )
    tier = models.CharField(
        "层级", max_length=10, choices=EntryTier.choices, default="curated", editable=False
    )
    version = models.PositiveIntegerField("版本", default=1)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    generation = models.BigIntegerField("索引代数", default=0, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(org="org")

    class Meta:
        db_table = "consult_entry"  # the table it had in the consult app
        verbose_name = "知识条目"
        verbose_name_plural = "知识条目"
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "category"], name="kb_entry_status_cat")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="kb_entry_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.question

    def is_valid_on(self, day) -> bool:
        """Within its validity dates on ``day`` (an expired rule is no longer answered)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class EntryVersion(models.Model):
    """The entry as it stood after one change (the history; never edited)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    action = models.CharField("操作", max_length=20)  # create/edit/publish/retire/import …
    data = models.JSONField("内容")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        db_table = "consult_entryversion"  # the table it had in the consult app
        verbose_name = "条目版本"
        verbose_name_plural = "条目版本"
        ordering = ["entry_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="kb_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.number}"


class KbGeneration(models.Model):
    """The single row counting index-relevant changes to the knowledge base.

    ``epoch`` changes when the row is created anew (a fresh database), so an index
    saved against another database is never mistaken for a current one.
    """

    value = models.BigIntegerField("代数", default=0)
    epoch = models.UUIDField("纪元", default=uuid.uuid4, editable=False)

    class Meta:
        db_table = "consult_kbgeneration"  # the table it had in the consult app
        verbose_name = "知识库索引代数"
        verbose_name_plural = "知识库索引代数"

    def __str__(self) -> str:
        return str(self.value)


class Channel(models.TextChoices):
    WEB = "web", "网页"
    APP = "app", "App"
    API = "api", "接口"
    CLI = "cli", "命令行"


class Conversation(TimeStampedModel):
    """A member's (or an anonymous visitor's) exchange with the bot.

    ``org`` is the asker's branch when the conversation started (none for a visitor), so
    the 12371 staff over that branch — as the tree stands now — may read it (a hand-off
    attaches it to a work order).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提问人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices, default="web")
    org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handed_off_at = models.DateTimeField("转人工时间", null=True, blank=True)

    objects = ScopedManager(org="org", also=_own_conversation)

    class Meta:
        db_table = "consult_conversation"  # the table it had in the consult app
        verbose_name = "咨询会话"
        verbose_name_plural = "咨询会话"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"会话 {self.pk}"


class MessageRole(models.TextChoices):
    USER = "user", "提问"
    BOT = "bot", "智能应答"
    AGENT = "agent", "人工坐席"
    SYSTEM = "system", "系统"


class Feedback(models.TextChoices):
    HELPFUL = "helpful", "有用"
    UNHELPFUL = "unhelpful", "没用"


class Message(models.Model):
    """One turn of a conversation; a bot turn records what it answered and how sure."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField("角色", max_length=8, choices=MessageRole.choices)
    text = models.TextField("内容")
    entry = models.ForeignKey(
        Entry,
        verbose_name="所答条目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confidence = models.FloatField("置信度", null=True, blank=True)
    confident = models.BooleanField("有把握", default=False)
    candidates = models.JSONField("候选问题", default=list, blank=True)
    handed_off = models.BooleanField("已转人工", default=False)
    feedback = models.CharField(
        "评价", max_length=10, choices=Feedback.choices, blank=True, db_index=True
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        db_table = "consult_message"  # the table it had in the consult app
        verbose_name = "会话消息"
        verbose_name_plural = "会话消息"
        ordering = ["conversation_id", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class DailyAnswer(models.Model):
    """每日一答: the entry pushed to members on one day (one row per day)."""

    day = models.DateField("日期", unique=True)
    entry = models.ForeignKey(Entry, verbose_name="条目", on_delete=models.PROTECT)
    sent = models.PositiveIntegerField("已推送人数", default=0)
    last_user_id = models.BigIntegerField("已推送至用户编号", default=0, editable=False)
    finished_at = models.DateTimeField("推送完成时间", null=True, blank=True)

    class Meta:
        db_table = "consult_dailyanswer"  # the table it had in the consult app
        verbose_name = "每日一答"
        verbose_name_plural = "每日一答"
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.entry_id}"


class DailySchedule(TimeStampedModel):
    """每日一答 chosen by an editor: the entry an organisation's members get on one day.

    A member gets the schedule of the nearest organisation above their branch that has
    one for the day, else the automatic pick (``services.daily``)."""

    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField("日期")
    entry = models.ForeignKey(
        Entry, verbose_name="条目", on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("编者按", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="安排人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "每日一答安排"
        verbose_name_plural = "每日一答安排"
        ordering = ["day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "day"], name="kb_daily_schedule_one_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.entry_id}"


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


class PolicyArticle(TimeStampedModel):
    """One article of the 政策解读 column, written by an editor of ``org``.

    Published articles (from their publish date) are read by every logged-in user; drafts
    and withdrawn ones only by editors (``Perm.EDIT_KB``) over ``org``."""

    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="发布组织", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("标题", max_length=120)
    summary = models.CharField("摘要", max_length=200, blank=True)
    body = models.TextField("正文（Markdown）")
    source = models.CharField("依据/出处", max_length=200, blank=True)
    publish_date = models.DateField("发布日期")
    status = models.CharField(
        "状态", max_length=10, choices=PolicyStatus.choices, default="draft", db_index=True
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "政策解读"
        verbose_name_plural = "政策解读"
        ordering = ["-publish_date", "-id"]
        indexes = [
            models.Index(fields=["status", "publish_date"], name="kb_policy_status_date"),
        ]

    def __str__(self) -> str:
        return self.title
