"""组织关系转接: a member's move to another organisation, a case on core.cases.

A transfer belongs to the branch the member leaves (``from_branch``); the receiving
branch's side sees it too (``also``), and so does the member. Nothing copies an
organisation path: visibility joins through the keys, so it follows the tree as it is.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core import crypto
from dangjian.core.cases import CaseEvent, CaseModel
from dangjian.core.fields import BlindIndex, EncryptedTextField
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager, path_q, scope_paths
from dangjian.core.text import NameField
from dangjian.members.choices import ETHNICITY_CHOICES, Education, Gender, Status
from dangjian.transfers.choices import (
    OPEN_STATUSES,
    Decision,
    IncomingStatus,
    Origin,
    TransferScope,
    TransferStatus,
)

INCOMING_ID_INDEX = "transfers.incoming.id_number"
LETTER_STATUSES = [(s.value, s.label) for s in (Status.FULL, Status.PROBATIONARY)]


def own_or_receiving(user, perm: Perm) -> Q | None:
    """The member sees their own transfers; the receiving side sees those coming to it."""
    extra = None
    own = getattr(user, "member_id", None)
    if own and perm == Perm.VIEW_TRANSFER:
        extra = Q(member_id=own)
    paths = scope_paths(user, perm)
    if paths:
        receiving = path_q(paths, "to_branch__path")
        extra = receiving if extra is None else extra | receiving
    return extra


class Transfer(TimeStampedModel, CaseModel):
    """A member's 组织关系转接, from their branch to a branch on the platform or to an
    organisation outside it (``external_org``, free text)."""

    status = models.CharField(
        "状态",
        max_length=20,
        choices=TransferStatus.choices,
        default=TransferStatus.PENDING,
        db_index=True,
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="transfers"
    )
    from_branch = models.ForeignKey(
        "orgs.Organisation", verbose_name="转出党支部", on_delete=models.PROTECT, related_name="+"
    )
    to_branch = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="转入党支部",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_org = models.CharField("转入组织（平台外）", max_length=120, blank=True)
    scope = models.CharField("转接范围", max_length=20, choices=TransferScope.choices)
    reason = models.CharField("转接原因", max_length=200)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    current_org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="当前办理组织",
        on_delete=models.PROTECT,
        related_name="+",
    )
    steps_done = models.PositiveSmallIntegerField("已通过审批环节", default=0)
    letter_no = models.CharField("介绍信编号", max_length=32, null=True, blank=True, unique=True)
    letter_issued_on = models.DateField("开具日期", null=True, blank=True)
    letter_valid_until = models.DateField("有效期至", null=True, blank=True)
    received_on = models.DateField("接收日期", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回执登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    receipt_note = models.CharField("回执说明", max_length=200, blank=True)
    escalated_to = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="超时升级至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager(org="from_branch", also=own_or_receiving)

    class Meta(CaseModel.Meta):
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-created_at", "-id"]
        constraints = [
            *CaseModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="transfer_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=(Q(to_branch__isnull=False) & Q(external_org=""))
                | (Q(to_branch__isnull=True) & ~Q(external_org="")),
                name="transfer_one_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.destination}"

    @property
    def destination(self) -> str:
        return self.to_branch.name if self.to_branch_id else self.external_org

    @property
    def external(self) -> bool:
        return not self.to_branch_id


class ChainStep(models.Model):
    """One organisation of a case's chain, in order, fixed when the case opens, and what
    it decided: a transfer's 审批 (``TransferStep``) and an incoming letter's 审核
    (``IncomingStep``) keep the same facts; each adds the key to its case."""

    seq = models.PositiveSmallIntegerField("顺序")
    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="办理组织", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(
        "意见", max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("办理时间", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.seq + 1}. {self.org}"


class TransferStep(ChainStep):
    """One organisation of the approval chain (``orgs.tree.approval_chain``), in order;
    fixed when the member applies."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        verbose_name = "转接审批环节"
        verbose_name_plural = "转接审批环节"
        ordering = ["transfer_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "seq"], name="transfer_step_seq"),
        ]


class TransferEvent(CaseEvent):
    """One step of a transfer's history (what the member follows)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = "转接记录"
        verbose_name_plural = "转接记录"
        ordering = ["transfer_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action}"


# --- 组织关系转入: a member arriving from an organisation outside the platform


class IncomingTransfer(TimeStampedModel, CaseModel):
    """A member arriving from outside the platform (外省、中央和国家机关、军队、国外) with a
    paper 介绍信: the letter, the person and the 党员身份 facts it states, the receiving
    side's checks (``IncomingStep``, from the 县委 down to the branch) and, once accepted,
    the member record it created or reopened and the 回执 sent back.

    It belongs to the receiving branch (``to_branch``): that branch and its superiors see
    it. The ID number is encrypted like a member's, with a blind index of its own.
    """

    BLIND_INDEXES = (
        BlindIndex(source="id_number", digest="id_number_digest", purpose=INCOMING_ID_INDEX),
    )

    status = models.CharField(
        "状态",
        max_length=20,
        choices=IncomingStatus.choices,
        default=IncomingStatus.PENDING,
        db_index=True,
    )
    to_branch = models.ForeignKey(
        "orgs.Organisation", verbose_name="接收党支部", on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField("转入来源", max_length=20, choices=Origin.choices)
    from_org = models.CharField("原所在党组织", max_length=120)
    issuing_org = models.CharField("介绍信开具单位", max_length=120)
    letter_no = models.CharField("介绍信编号", max_length=60)
    letter_issued_on = models.DateField("开具日期")
    letter_valid_until = models.DateField("有效期至")
    reported_on = models.DateField("报到日期", help_text="党员持介绍信到接收方报到的日期")
    name = NameField("姓名", max_length=50)
    id_number = EncryptedTextField("公民身份号码")
    id_number_digest = models.CharField(max_length=64, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=10, choices=ETHNICITY_CHOICES)
    education = models.CharField("学历", max_length=24, choices=Education.choices)
    phone = EncryptedTextField("手机号", blank=True)
    joined_on = models.DateField("入党日期")
    full_member_on = models.DateField("转正日期", null=True, blank=True)
    member_status = models.CharField("党员类别", max_length=16, choices=LETTER_STATUSES)
    dues_paid_until = models.DateField(
        "党费交到", null=True, blank=True, help_text="介绍信所写党费交到的月份（该月1日）"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    current_org = models.ForeignKey(
        "orgs.Organisation", verbose_name="当前办理组织", on_delete=models.PROTECT, related_name="+"
    )
    steps_done = models.PositiveSmallIntegerField("已通过审核环节", default=0)
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reopened = models.BooleanField("恢复原党员档案", default=False)
    accepted_on = models.DateField("接收日期", null=True, blank=True)
    escalated_to = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="超时升级至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager(org="to_branch")

    class Meta(CaseModel.Meta):
        verbose_name = "组织关系转入"
        verbose_name_plural = "组织关系转入"
        ordering = ["-created_at", "-id"]
        constraints = [
            *CaseModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=Q(status=IncomingStatus.PENDING),
                name="incoming_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=Q(letter_valid_until__gte=models.F("letter_issued_on")),
                name="incoming_letter_valid_span",
            ),
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True)
                | Q(full_member_on__gt=models.F("joined_on")),
                name="incoming_full_after_joined",
            ),
            models.CheckConstraint(
                condition=Q(status=IncomingStatus.ACCEPTED, member__isnull=False)
                | ~Q(status=IncomingStatus.ACCEPTED),
                name="incoming_accepted_has_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ← {self.from_org}"

    def set_id_number(self, value: str) -> None:
        self.id_number = value
        self.id_number_digest = crypto.blind_index(value, purpose=INCOMING_ID_INDEX)

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)

    @property
    def receipt_no(self) -> str:
        """The 回执's number: the year accepted and the case's id."""
        return f"ZR{self.accepted_on:%Y}-{self.pk:06d}" if self.accepted_on else ""


class IncomingStep(ChainStep):
    """One organisation of the receiving side's checks, in order (the 县委 first, the
    branch last); fixed when the letter is registered."""

    incoming = models.ForeignKey(IncomingTransfer, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        verbose_name = "转入审核环节"
        verbose_name_plural = "转入审核环节"
        ordering = ["incoming_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["incoming", "seq"], name="incoming_step_seq"),
        ]


class IncomingEvent(CaseEvent):
    """One step of an incoming transfer's history."""

    incoming = models.ForeignKey(IncomingTransfer, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = "转入记录"
        verbose_name_plural = "转入记录"
        ordering = ["incoming_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.incoming_id} {self.action}"
