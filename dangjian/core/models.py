"""Shared base models and the audit log (赖不掉)."""

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopedManager


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

    ``org_path`` is the organisation the file belongs to, so files scope like everything
    else; they are served only through views that check the owning object's scope.
    """

    key = models.UUIDField("存储编号", unique=True, editable=False)
    original_name = models.CharField("原文件名", max_length=120)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    org_path = models.CharField("所属组织路径", max_length=255, blank=True, db_index=True)
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

    A run that never finishes (the process was killed) stays ``running``; the slot is
    still due, so the next ``run_jobs --due`` runs it again — jobs are idempotent.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    name = models.CharField("任务", max_length=100)
    slot = models.DateTimeField("计划时间")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)

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
    org_path = models.CharField("所属组织路径", max_length=255, blank=True)
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
