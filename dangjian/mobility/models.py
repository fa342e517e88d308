"""Mobile members (流动党员), lost contact (失联党员) and the inputs of the 自行脱党 flag.

No organisation path is copied here: a registration belongs to the member's home branch
(``member__branch``) and, through its ``also`` rule, to the host organisation
(``host_org``), both joined through their keys, so both sides' subtrees see it and a
moved branch or a transferred member takes it along.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from dangjian.core import scope
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager
from dangjian.mobility.choices import (
    LostOutcome,
    LostStatus,
    ParticipationKind,
    RegistrationStatus,
    SearchMethod,
)


def host_or_own(prefix: str, *, own: bool = True):
    """An ``also`` rule: rows whose host organisation (``<prefix>host_org``) lies in the
    user's subtrees for the permission — the host side sees what the home side sees —
    and, with ``own``, the member's own rows (their e-card)."""

    def rule(user, perm: Perm) -> Q | None:
        extra = scope.path_q(scope.scope_paths(user, perm), f"{prefix}host_org__path")
        member_id = getattr(user, "member_id", None)
        if own and member_id and perm == Perm.VIEW_MOBILITY:
            extra |= Q(**{f"{prefix}member_id": member_id})
        return extra

    return rule


def own_rows(user, perm: Perm) -> Q | None:
    """A member sees what is about themself (the work assigned to them)."""
    member_id = getattr(user, "member_id", None)
    return Q(member_id=member_id) if member_id and perm == Perm.VIEW_MOBILITY else None


class MobileGroup(TimeStampedModel):
    """A 流动党小组 set up at the host organisation for the mobile members there."""

    host_org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="流入地党组织",
        on_delete=models.PROTECT,
        related_name="mobile_groups",
    )
    name = models.CharField("名称", max_length=60)
    leader = models.ForeignKey(
        "members.Member",
        verbose_name="组长",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="host_org")

    class Meta:
        verbose_name = "流动党小组"
        verbose_name_plural = "流动党小组"
        ordering = ["host_org_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["host_org", "name"], name="mobile_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Registration(TimeStampedModel):
    """A member registered as 流动党员 by their home branch, and their 电子活动证.

    The host is an organisation of the platform (``host_org``) or, outside it, a name
    and place in free text. The card's QR code carries a signed token of the id and
    ``nonce``; the public verification page shows only the name, the two organisations
    and the validity.
    """

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="mobile_registrations",
    )
    host_org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="流入地党组织",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_mobile_members",
    )
    host_name = models.CharField("流入地党组织（平台外）", max_length=120, blank=True)
    host_place = models.CharField("流入地点", max_length=120, blank=True)
    host_contact = models.CharField("流入地联系人及电话", max_length=120, blank=True)
    reason = models.CharField("外出事由", max_length=200)
    away_since = models.DateField("外出日期")
    expected_until = models.DateField("预计返回日期")
    valid_from = models.DateField("活动证生效日期")
    valid_until = models.DateField("活动证有效期至")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.ACTIVE,
    )
    ended_on = models.DateField("结束日期", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=200, blank=True)
    group = models.ForeignKey(
        MobileGroup,
        verbose_name="流动党小组",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    nonce = models.CharField(max_length=24, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="member__branch", also=host_or_own(""))

    class Meta:
        verbose_name = "流动党员登记"
        verbose_name_plural = "流动党员登记"
        ordering = ["-away_since", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="active"),
                name="mobile_one_active_per_member",
            ),
            models.CheckConstraint(
                condition=Q(host_org__isnull=False) | ~Q(host_name=""),
                name="mobile_host_given",
            ),
            models.CheckConstraint(
                condition=Q(expected_until__gt=F("away_since")), name="mobile_return_after_away"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="mobile_card_valid_span"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.host_label}"

    @property
    def host_label(self) -> str:
        """The host as shown: the platform organisation's name, or the free text."""
        if self.host_org_id:
            return self.host_org.name
        return " ".join(part for part in (self.host_name, self.host_place) if part)

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.ACTIVE


class Participation(TimeStampedModel):
    """An activity or meeting a mobile member took part in at the host, recorded by the
    host (or by the home branch when the host is outside the platform)."""

    registration = models.ForeignKey(
        Registration,
        verbose_name="流动党员登记",
        on_delete=models.CASCADE,
        related_name="participations",
    )
    held_on = models.DateField("日期")
    kind = models.CharField("类别", max_length=12, choices=ParticipationKind.choices)
    title = models.CharField("活动名称", max_length=120)
    note = models.CharField("情况说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="registration__member__branch", also=host_or_own("registration__"))

    class Meta:
        verbose_name = "流动党员参加活动记录"
        verbose_name_plural = "流动党员参加活动记录"
        ordering = ["registration", "-held_on", "-id"]
        indexes = [models.Index(fields=["registration", "held_on"], name="participation_reg_day")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class LostContact(TimeStampedModel):
    """A member the branch lost contact with (失联党员): the search, then the outcome."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="lost_contacts",
    )
    since = models.DateField("失联日期")
    circumstances = models.CharField("失联情况", max_length=500)
    status = models.CharField(
        "状态", max_length=10, choices=LostStatus.choices, default=LostStatus.SEARCHING
    )
    outcome = models.CharField("结果", max_length=12, choices=LostOutcome.choices, blank=True)
    outcome_on = models.DateField("结果日期", null=True, blank=True)
    outcome_note = models.CharField("结果说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="member__branch")

    class Meta:
        verbose_name = "失联党员"
        verbose_name_plural = "失联党员"
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="searching"),
                name="lost_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=Q(status="searching", outcome="")
                | (Q(status="closed") & ~Q(outcome="") & Q(outcome_on__isnull=False)),
                name="lost_outcome_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}（{self.since}起失联）"


class SearchAttempt(TimeStampedModel):
    """One attempt to find a lost member: when, how, and what came of it."""

    case = models.ForeignKey(
        LostContact, verbose_name="失联党员", on_delete=models.CASCADE, related_name="attempts"
    )
    tried_on = models.DateField("查找日期")
    method = models.CharField("查找方式", max_length=12, choices=SearchMethod.choices)
    result = models.CharField("查找结果", max_length=300)
    reached = models.BooleanField("已取得联系", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="case__member__branch")

    class Meta:
        verbose_name = "查找记录"
        verbose_name_plural = "查找记录"
        ordering = ["case", "tried_on", "id"]

    def __str__(self) -> str:
        return f"{self.tried_on} {self.get_method_display()}"


class WorkAssignment(TimeStampedModel):
    """Work the branch assigned to a member (党所分配的工作) and whether it was done: the
    input of the third condition of 党章第九条. Kept here, beside the flag it feeds —
    no other module records work given to a member."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="work_assignments",
    )
    title = models.CharField("工作内容", max_length=120)
    assigned_on = models.DateField("分配日期")
    due_on = models.DateField("完成期限")
    done_on = models.DateField("完成日期", null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="member__branch", also=own_rows)

    class Meta:
        verbose_name = "分配的工作"
        verbose_name_plural = "分配的工作"
        ordering = ["member", "-assigned_on", "-id"]
        indexes = [models.Index(fields=["member", "done_on"], name="work_member_done")]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("assigned_on")), name="work_due_after_assigned"
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(done_on__gte=F("assigned_on")),
                name="work_done_after_assigned",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LapseExcuse(TimeStampedModel):
    """A good reason (正当理由) the branch recorded for one condition of 党章第九条 (ill,
    abroad with leave …): while it holds, that condition does not flag the member."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="lapse_excuses",
    )
    condition = models.CharField("情形", max_length=32)
    reason = models.CharField("正当理由", max_length=300)
    valid_from = models.DateField("起始日期")
    valid_until = models.DateField("截止日期", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(org="member__branch")

    class Meta:
        verbose_name = "正当理由"
        verbose_name_plural = "正当理由"
        ordering = ["member", "-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="excuse_valid_span",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}：{self.reason}"
