"""Shared base models, the audit log (赖不掉), jobs, notifications, the ledger (账不错),
warnings (预警) and rollups (subtree figures)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scope import ScopedManager, ScopedManagerMixin, ScopedQuerySet


class TimeStampedModel(models.Model):
    """Creation and last-change time on every domain row."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One audited action. Append-only; each entry carries the hash of the one before it
    on its chain (see ``core.audit``: parallel chains, each a sequence 1, 2, 3 …).

    ``org`` is the organisation the action concerns: the log is scoped like everything
    else, through the tree as it is now (entries without one are for superusers only).
    ``org_path`` is where that organisation stood when the action happened — history,
    kept for entries written before ``org`` existed and for reading the log as it was.
    The foreign keys carry no database constraint: appending to the log must take no
    lock on the rows it describes (see the lock order in ``core.audit``); their ids are
    covered by the entry's hash, and deleting a referenced user or organisation is still
    refused (PROTECT, enforced by Django).
    """

    chain = models.PositiveSmallIntegerField("链")
    seq = models.PositiveBigIntegerField("链内序号")
    key_id = models.CharField("密钥编号", max_length=16, blank=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField("操作人名称", max_length=150, blank=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    org = models.ForeignKey(
        settings.ORG_MODEL,
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    org_path = models.CharField("所属组织路径", max_length=255, blank=True, db_index=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    request_id = models.CharField("请求编号", max_length=64, blank=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("本条哈希", max_length=64, unique=True)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_entry_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"


class AuditHead(models.Model):
    """The end of one audit chain: its last sequence number and hash.

    A writer locks one head (the first free one, ``SKIP LOCKED``) for the rest of its
    transaction, so writers spread over the chains instead of queueing on one row.
    """

    chain = models.PositiveSmallIntegerField("链", primary_key=True)
    seq = models.PositiveBigIntegerField("最后序号", default=0)
    last_hash = models.CharField("最后哈希", max_length=64)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"
        ordering = ["chain"]

    def __str__(self) -> str:
        return f"链 {self.chain} #{self.seq} {self.last_hash[:12]}"


class StoredFile(TimeStampedModel):
    """An uploaded file (see ``core.uploads``): kept outside the web root as
    ``<key>.<ext>``; the client's file name is only metadata.

    A file belongs to the object that holds it (a member's photo, a meeting's photos) and
    is served only through views that check that object's scope, so it follows that
    object through moves and transfers (no organisation path is copied here).
    """

    key = models.UUIDField("存储编号", unique=True, editable=False)
    original_name = models.CharField("原文件名", max_length=120)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    purpose = models.CharField("用途", max_length=40)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    width = models.PositiveIntegerField("宽度", null=True, blank=True)
    height = models.PositiveIntegerField("高度", null=True, blank=True)

    class Meta:
        verbose_name = "上传文件"
        verbose_name_plural = "上传文件"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.content_type}, {self.size} B)"


class ImportJob(TimeStampedModel):
    """Progress of one file's import, so a killed import resumes and never duplicates.

    ``rows_done`` advances in the same transaction as the batch it counts: after a
    crash it says exactly which rows are in the database. A file is known by its
    SHA-256, per kind of import.
    """

    class State(models.TextChoices):
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"

    kind = models.CharField("导入类型", max_length=40)
    file_sha256 = models.CharField("文件 SHA-256", max_length=64)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    total_rows = models.PositiveIntegerField("总行数")
    rows_done = models.PositiveIntegerField("已导入行数", default=0)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.RUNNING)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "file_sha256"], name="import_job_file_once"),
            models.CheckConstraint(
                condition=models.Q(rows_done__lte=models.F("total_rows")),
                name="import_job_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} {self.rows_done}/{self.total_rows}"


class JobRun(models.Model):
    """One run of a periodic job for one scheduled slot (see ``core.jobs``).

    A running run renews its lease (``heartbeat_at``) while it works. One whose lease
    ran out, or whose process (``owner``, host:pid) is gone, died with its worker: it is
    marked ``lost`` and its slot run again (``attempt`` + 1) — jobs are idempotent.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        LOST = "lost", "进程中断（已重跑）"

    name = models.CharField("任务", max_length=100)
    slot = models.DateTimeField("计划时间")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    heartbeat_at = models.DateTimeField("租约续期时间", null=True, blank=True)
    owner = models.CharField("运行进程", max_length=200, blank=True)
    attempt = models.PositiveSmallIntegerField("第几次运行", default=1)

    class Meta:
        verbose_name = "定时任务记录"
        verbose_name_plural = "定时任务记录"
        indexes = [models.Index(fields=["name", "slot", "status"])]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M} {self.status}"


class Notification(models.Model):
    """An in-app message in a user's inbox (see ``core.notify``).

    ``dedupe_key`` makes a send idempotent per user: a job re-run after a crash, or the
    same warning raised twice, never puts a second copy in the inbox.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类别", max_length=40)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    dedupe_key = models.CharField("去重键", max_length=120, null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once_per_key")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


# --- Ledger (see core.ledger: every write goes through its services) -------------------


class LedgerAccount(models.Model):
    """One holder's balance in one book (党费 in fen, 红能量 in points).

    ``holder`` is a key such as ``member:123``: core names no domain model. ``balance``
    is a cache of the sum of the account's entries, changed only by ``core.ledger`` in
    the transaction that adds the entry (``ledger.verify`` recomputes it). ``org`` is the
    organisation the account is read under (scope), kept current by ``account_for``.
    """

    book = models.CharField("账簿", max_length=32)
    holder = models.CharField("持有人", max_length=64)
    org = models.ForeignKey(
        settings.ORG_MODEL,
        verbose_name="所属组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    balance = models.BigIntegerField("余额", default=0)
    created_at = models.DateTimeField("开户时间", auto_now_add=True)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "账户"
        verbose_name_plural = "账户"
        ordering = ["book", "holder"]
        constraints = [
            models.UniqueConstraint(fields=["book", "holder"], name="ledger_account_once"),
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="ledger_account_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book}/{self.holder}: {self.balance}"


class ImmutableError(Exception):
    """A ledger entry was about to be changed or deleted: reverse it with a new entry."""


MSG_IMMUTABLE = "账目分录不可修改或删除，请记一笔冲正分录"


class LedgerEntryQuerySet(ScopedQuerySet):
    """Entries are written once: bulk update and delete are refused too."""

    def update(self, **kwargs):
        raise ImmutableError(MSG_IMMUTABLE)

    def delete(self):
        raise ImmutableError(MSG_IMMUTABLE)

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableError(MSG_IMMUTABLE)


class LedgerEntryManager(ScopedManagerMixin, models.Manager.from_queryset(LedgerEntryQuerySet)):
    """Scoped through the account's organisation; refuses updates and deletes."""


class LedgerEntry(models.Model):
    """One immutable movement on an account: a signed amount and the balance after it.

    ``key`` makes a write idempotent within a book: a retried request, job or task with
    the same key finds the entry it already wrote. A transfer is two entries under one
    key: the debit, and the credit pointing to it through ``transfer_from`` (the only
    entry allowed to share the debit's key). ``book`` repeats the account's book so the
    database can hold the key unique per book.
    """

    account = models.ForeignKey(
        LedgerAccount, verbose_name="账户", on_delete=models.PROTECT, related_name="entries"
    )
    book = models.CharField("账簿", max_length=32)
    amount = models.BigIntegerField("金额")
    balance_after = models.BigIntegerField("记账后余额")
    key = models.CharField("幂等键", max_length=120)
    kind = models.CharField("类别", max_length=32)
    memo = models.CharField("摘要", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("记账时间")
    transfer_from = models.OneToOneField(
        "self",
        verbose_name="转出分录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfer_to",
    )

    objects = LedgerEntryManager(org="account__org")

    class Meta:
        verbose_name = "账目分录"
        verbose_name_plural = "账目分录"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["book", "key"],
                condition=models.Q(transfer_from__isnull=True),
                name="ledger_entry_key_once_per_book",
            ),
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="ledger_entry_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="ledger_entry_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book}/{self.key}: {self.amount:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError(MSG_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError(MSG_IMMUTABLE)


class Warning(TimeStampedModel):
    """One automatic warning (预警), whatever raised it (see ``core.warnings``).

    Raised by a job or a service against an organisation, about a subject (a branch's
    month, a work order ...), open until resolved: automatically when the condition
    ends, or by a person who handled or dismissed it with a note. ``(kind, dedupe_key)``
    is unique, so a job re-run raises each warning once. It is read through the tree
    like everything else: visibility follows the organisation's place in the tree now.
    """

    class Severity(models.IntegerChoices):
        NOTICE = 1, "提示"
        WARNING = 2, "预警"
        SERIOUS = 3, "严重"

    class Resolution(models.TextChoices):
        AUTO = "auto", "情况已消除，自动解除"
        HANDLED = "handled", "已处理"
        DISMISSED = "dismissed", "已忽略"

    kind = models.CharField("预警类型", max_length=64)
    org = models.ForeignKey(
        settings.ORG_MODEL, verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField("对象类型", max_length=64, blank=True)
    subject_id = models.CharField("对象编号", max_length=64, blank=True)
    subject_label = models.CharField("对象", max_length=200, blank=True)
    title = models.CharField("内容", max_length=200)
    period = models.CharField("期间", max_length=7, blank=True)  # "2026-11", "2026Q4"
    severity = models.PositiveSmallIntegerField(
        "等级", choices=Severity.choices, default=Severity.WARNING
    )
    raised_at = models.DateTimeField("预警时间")
    due = models.DateTimeField("处理期限", null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_warnings",
    )
    resolved_at = models.DateTimeField("解除时间", null=True, blank=True)
    resolution = models.CharField("解除方式", max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField("处理说明", max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dedupe_key = models.CharField("去重键", max_length=120)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "dedupe_key"], name="warning_once_per_key"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="warning_resolved_with_how",
            ),
        ]
        indexes = [
            models.Index(fields=["resolved_at", "raised_at"]),
            models.Index(fields=["kind", "subject_type", "subject_id"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def kind_label(self) -> str:
        from dangjian.core.warnings import kind_label  # the registry imports this module

        return kind_label(self.kind)


class Rollup(models.Model):
    """One figure of an organisation's whole subtree (see ``core.rollups``).

    ``value`` counts the organisation *and everything under it*, so the province's
    breakdown is a handful of rows, not a scan of its members. ``own`` is the part that
    hangs on the organisation itself (a branch's own members): a recomputation compares
    it with a fresh count and sends only the difference up the tree. Rows are read
    through the organisation, so they follow it when it moves and scope like it.
    """

    org = models.ForeignKey(
        settings.ORG_MODEL, verbose_name="党组织", on_delete=models.CASCADE, related_name="+"
    )
    metric = models.CharField("指标", max_length=60)
    period = models.CharField("期间", max_length=7, blank=True, help_text="空为当前；2026-11 为月")
    key = models.CharField("分项", max_length=60)
    value = models.BigIntegerField("本级及下级合计")
    own = models.BigIntegerField("本级", default=0)

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "汇总数"
        verbose_name_plural = "汇总数"
        ordering = ["org", "metric", "period", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "metric", "period", "key"], name="rollup_one_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(own__gte=0, value__gte=models.F("own")),
                name="rollup_value_covers_own",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.period or '当前'} {self.key}={self.value}"


class RollupDirty(models.Model):
    """An organisation whose own figures changed since they were last summed up.

    Written in the same transaction as the change (so a crash loses no mark) and
    cleared by the job that folds the change into the subtree totals.
    """

    org = models.OneToOneField(
        settings.ORG_MODEL, verbose_name="党组织", on_delete=models.CASCADE, related_name="+"
    )
    marked_at = models.DateTimeField("标记时间", db_index=True)

    class Meta:
        verbose_name = "待汇总组织"
        verbose_name_plural = "待汇总组织"
        ordering = ["marked_at", "org"]

    def __str__(self) -> str:
        return f"{self.org_id} @ {self.marked_at:%Y-%m-%d %H:%M:%S}"


class RollupRebuild(models.Model):
    """Progress of a full rebuild (``dangjian rollups_rebuild``), one subtree at a time:
    a killed rebuild resumes after ``last_path``."""

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    chunks_total = models.PositiveIntegerField("分段数")
    chunks_done = models.PositiveIntegerField("已完成分段", default=0)
    last_path = models.CharField("最后完成的组织路径", max_length=255, blank=True)

    class Meta:
        verbose_name = "汇总重建"
        verbose_name_plural = "汇总重建"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.chunks_done}/{self.chunks_total}"


class RateCounter(models.Model):
    """A rate-limit window counted in the database while the shared cache (Redis) is
    unreachable (see ``core.ratelimit``): limits hold across every app server even
    then. Expired windows are reused by their key and swept daily."""

    key = models.CharField("键", max_length=100, unique=True)
    count = models.PositiveIntegerField("次数", default=0)
    started_at = models.DateTimeField("窗口开始")
    expires_at = models.DateTimeField("窗口结束", db_index=True)

    class Meta:
        verbose_name = "限流计数"
        verbose_name_plural = "限流计数"
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
