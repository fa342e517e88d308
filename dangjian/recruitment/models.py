"""发展党员: an applicant's way from 入党申请 to 转正, as a case on core.cases.

An :class:`Applicant` is a case (its status is the last of the 25 steps done); each step
done is a :class:`StepRecord` (date, actor, what was decided) with its documents
(:class:`Document`, core uploads), and the case engine keeps the history
(:class:`ApplicantEvent`) and the audit entries. The applicant belongs to a 党支部
(``branch``): the branch's admins run the steps, the upper organisations see their
subtree's applicants. On approval the applicant becomes a member (``member``, through
members' services); the application stays as the record of how.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from dangjian.core import crypto
from dangjian.core.cases import CaseEvent, CaseModel
from dangjian.core.fields import BlindIndex, EncryptedTextField
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager
from dangjian.core.text import NameField
from dangjian.members.choices import ETHNICITY_CHOICES, Education, Gender
from dangjian.recruitment import rules

ID_INDEX = "recruitment.id_number"
STATUS_CHOICES = [(s.key, s.label) for s in rules.SEQUENCE] + [(rules.TERMINATED, "终止发展")]
DOC_CHOICES = list(rules.DOC_LABELS.items())


def own_application(user, perm: Perm) -> Q | None:
    """An applicant with an account follows their own application (全程纪实)."""
    if not getattr(user, "is_authenticated", False) or perm != Perm.VIEW_RECRUITMENT:
        return None
    return Q(user=user)


class Applicant(TimeStampedModel, CaseModel):
    """One person's application to join the Party, from 入党申请书 to archiving."""

    BLIND_INDEXES = (BlindIndex(source="id_number", digest="id_number_digest", purpose=ID_INDEX),)

    status = models.CharField("当前步骤", max_length=20, choices=STATUS_CHOICES, db_index=True)
    branch = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="党支部",
        on_delete=models.PROTECT,
        related_name="applicants",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
    )
    name = NameField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=10, choices=ETHNICITY_CHOICES)
    birth_date = models.DateField("出生日期")
    id_number = EncryptedTextField("公民身份号码")
    id_number_digest = models.CharField(max_length=64, db_index=True, editable=False)
    phone = EncryptedTextField("手机号", blank=True)
    education = models.CharField("学历", max_length=24, choices=Education.choices)
    occupation = models.CharField("职业/岗位", max_length=60, blank=True)
    applied_on = models.DateField("申请日期")
    talked_on = models.DateField("谈话日期", null=True, blank=True)
    activist_on = models.DateField("确定为入党积极分子日期", null=True, blank=True)
    last_review_on = models.DateField("最近一次考察日期", null=True, blank=True)
    review_count = models.PositiveSmallIntegerField("考察次数", default=0)
    candidate_on = models.DateField("确定为发展对象日期", null=True, blank=True)
    vote_on = models.DateField("支部大会通过日期", null=True, blank=True)
    approved_on = models.DateField("上级党委批准日期", null=True, blank=True)
    probation_ends_on = models.DateField("预备期届满日期", null=True, blank=True)
    extended_months = models.PositiveSmallIntegerField("延长预备期（月）", default=0)
    conversion_vote_on = models.DateField("支部大会讨论转正日期", null=True, blank=True)
    converted_on = models.DateField("转正批准日期", null=True, blank=True)
    last_step_on = models.DateField("最近步骤日期", null=True, blank=True)
    contacts = models.ManyToManyField(
        "members.Member", verbose_name="培养联系人", blank=True, related_name="+"
    )
    sponsors = models.ManyToManyField(
        "members.Member", verbose_name="入党介绍人", blank=True, related_name="+"
    )
    member = models.OneToOneField(
        "members.Member",
        verbose_name="党员档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
    )

    objects = ScopedManager(org="branch", also=own_application)

    class Meta(CaseModel.Meta):
        verbose_name = "发展党员"
        verbose_name_plural = "发展党员"
        ordering = ["branch_id", "applied_on", "id"]
        indexes = [models.Index(fields=["branch", "status"], name="applicant_branch_status")]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        self.id_number = value
        self.id_number_digest = crypto.blind_index(value, purpose=ID_INDEX)

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone) if self.phone else ""

    @property
    def step(self) -> rules.Step | None:
        return rules.STEP.get(self.status)

    @property
    def upcoming(self) -> rules.Step | None:
        return rules.next_step(self.status)

    @property
    def stage(self) -> int | None:
        return rules.stage_of(self.status)

    @property
    def stage_label(self) -> str:
        if self.status == rules.TERMINATED:
            return "已终止"
        if self.status == "archive":
            return "已归档"
        return rules.STAGE_SHORT[self.stage]

    @property
    def is_open(self) -> bool:
        return self.status not in ("archive", rules.TERMINATED)

    def facts(self) -> rules.Facts:
        last = rules.STEP.get(self.status)
        return rules.Facts(
            birth_date=self.birth_date,
            applied_on=self.applied_on,
            talked_on=self.talked_on,
            activist_on=self.activist_on,
            last_review_on=self.last_review_on,
            review_count=self.review_count,
            candidate_on=self.candidate_on,
            vote_on=self.vote_on,
            approved_on=self.approved_on,
            probation_ends_on=self.probation_ends_on,
            extended_months=self.extended_months,
            conversion_vote_on=self.conversion_vote_on,
            last_step_on=self.last_step_on,
            last_step_label=last.label if last else "",
        )


class ApplicantEvent(CaseEvent):
    """The case engine's history of an application."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="events")

    class Meta:
        verbose_name = "发展党员记录"
        verbose_name_plural = "发展党员记录"
        ordering = ["applicant_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.action}"


class StepRecord(models.Model):
    """One step done (全程纪实): its number (1–25), the date it happened, who recorded it
    and what was decided (votes, training hours, sponsors …, in ``data``)."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(
        "步骤", validators=[MinValueValidator(1), MaxValueValidator(25)]
    )
    key = models.CharField("步骤代码", max_length=24)
    label = models.CharField("步骤名称", max_length=40)
    done_on = models.DateField("日期")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField("情况说明", blank=True)
    data = models.JSONField("记录内容", default=dict, blank=True)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "发展步骤"
        verbose_name_plural = "发展步骤"
        ordering = ["applicant_id", "done_on", "number", "id"]

    def __str__(self) -> str:
        return f"{self.number}. {self.label}"


class Document(models.Model):
    """A document of an application (入党申请书, 思想汇报, 政审材料, 表决票 …): a stored
    PDF or image, served only through the application it belongs to."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="documents")
    step = models.ForeignKey(
        StepRecord,
        verbose_name="所属步骤",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    kind = models.CharField("材料类型", max_length=24, choices=DOC_CHOICES)
    title = models.CharField("标题", max_length=120, blank=True)
    file = models.ForeignKey(
        "core.StoredFile", verbose_name="文件", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "发展党员材料"
        verbose_name_plural = "发展党员材料"
        ordering = ["applicant_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


class RecruitmentPlan(TimeStampedModel):
    """An organisation's plan for the year: how many probationary members its subtree
    expects to admit (发展党员计划), set by its own admins or those above."""

    org = models.ForeignKey(
        "orgs.Organisation", verbose_name="党组织", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quota = models.PositiveIntegerField("计划发展人数", validators=[MaxValueValidator(1_000_000)])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="制定人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(org="org")

    class Meta:
        verbose_name = "发展党员计划"
        verbose_name_plural = "发展党员计划"
        ordering = ["org_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="recruitment_plan_org_year")
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}: {self.quota}"
