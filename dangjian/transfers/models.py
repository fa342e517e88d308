"""组织关系转接: a member's move to another organisation, a case on core.cases.

A transfer belongs to the branch the member leaves (``from_branch``); the receiving
branch's side sees it too (``also``), and so does the member. Nothing copies an
organisation path: visibility joins through the keys, so it follows the tree as it is.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.cases import CaseEvent, CaseModel
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager, path_q, scope_paths
from dangjian.transfers.choices import OPEN_STATUSES, Decision, TransferScope, TransferStatus


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


class TransferStep(models.Model):
    """One organisation of the approval chain (``orgs.tree.approval_chain``), in order;
    fixed when the member applies."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveSmallIntegerField("顺序")
    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="审批组织", on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(
        "审批意见", max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    note = models.CharField("意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "转接审批环节"
        verbose_name_plural = "转接审批环节"
        ordering = ["transfer_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "seq"], name="transfer_step_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.seq + 1}. {self.org}"


class TransferEvent(CaseEvent):
    """One step of a transfer's history (what the member follows)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = "转接记录"
        verbose_name_plural = "转接记录"
        ordering = ["transfer_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action}"
