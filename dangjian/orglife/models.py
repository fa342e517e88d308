"""Organisational life (组织生活): meetings, attendance, resolutions, village assignments.

Its warnings (预警) are core warnings (``dangjian.core.warnings``; kinds in ``warnings.py``).

A meeting belongs to a 党支部 (``branch``); a 党小组会 also names its 党小组 (``group``).
Every row is scoped by ``branch.path`` (上级看下级): members of the branch see their
branch's meetings, upper organisations the minutes of their subtree.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager
from dangjian.orglife.choices import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingStatus,
    ResolutionStatus,
    VoteChoice,
)

DEFAULT_RADIUS_M = 300
MAX_RADIUS_M = 5000


def called_to(user, perm: Perm) -> Q | None:
    """A member sees the meetings they are called to, whatever their roles."""
    own = getattr(user, "member_id", None)
    if not own or perm != Perm.VIEW_ORGLIFE:
        return None
    return Q(pk__in=Attendance.objects.filter(member_id=own).values("meeting_id"))


class Meeting(TimeStampedModel):
    """One meeting of 三会一课, a 主题党日, 组织生活会 or 民主评议党员.

    Planned (已安排) → held (已召开, once the minutes are recorded) or cancelled.
    Only held meetings count for compliance (支部工作条例 requires the meeting to
    have taken place and be recorded, not merely scheduled).
    """

    branch = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="党支部",
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    group = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="党小组",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_meetings",
    )
    kind = models.CharField("会议类型", max_length=20, choices=MeetingKind.choices)
    topic = models.CharField("主题", max_length=120)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    place = models.CharField("地点", max_length=120, blank=True)
    latitude = models.FloatField(
        "纬度",
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        "经度",
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    checkin_radius_m = models.PositiveIntegerField(
        "签到半径（米）",
        default=DEFAULT_RADIUS_M,
        validators=[MinValueValidator(20), MaxValueValidator(MAX_RADIUS_M)],
    )
    host = models.ForeignKey(
        "members.Member",
        verbose_name="主持人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorder = models.ForeignKey(
        "members.Member",
        verbose_name="记录人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    online_link = models.URLField("线上会议链接", blank=True)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="安排人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedManager(org="branch", also=called_to)

    class Meta:
        verbose_name = "组织生活会议"
        verbose_name_plural = "组织生活会议"
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["branch", "kind", "starts_at"], name="meeting_branch_kind_start"),
            models.Index(fields=["status", "starts_at"], name="meeting_status_start"),
            # the list's order: a page of the newest meetings (or the page after a
            # cursor) is read from the index, not sorted out of the whole table
            models.Index(fields=["-starts_at", "-id"], name="meeting_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="meeting_lat_lng_together",
            ),
            models.CheckConstraint(
                condition=Q(kind=MeetingKind.GROUP, group__isnull=False)
                | (~Q(kind=MeetingKind.GROUP) & Q(group__isnull=True)),
                name="meeting_group_iff_group_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.topic}"

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def org(self):
        """The organisation holding the meeting: the group for 党小组会, else the branch."""
        return self.group or self.branch


class Attendance(TimeStampedModel):
    """One expected attendee of a meeting (应到) and what became of them.

    Created for the roster when the meeting is planned. ``phone_exempt``: aged 60 or
    over on the meeting day, so never required to check in by phone (the recorder marks
    them). ``voting``: a full member (正式党员) with the right to vote; 预备党员 have
    none (党章第七条). ``counted``: whether this attendance counts in the member's own
    attendance rate (rest-day meetings are voluntary, except for 驻村工作队员).
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendances"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.CASCADE,
        related_name="meeting_attendances",
    )
    status = models.CharField(
        "出席情况",
        max_length=12,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.EXPECTED,
    )
    method = models.CharField("签到方式", max_length=12, choices=CheckinMethod.choices, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    distance_m = models.PositiveIntegerField("签到距离（米）", null=True, blank=True)
    leave_reason = models.CharField("请假事由", max_length=200, blank=True)
    online = models.BooleanField("线上参会", default=False)
    phone_exempt = models.BooleanField("免手机签到（60岁以上）", default=False)
    voting = models.BooleanField("有表决权", default=False)
    counted = models.BooleanField("计入个人出勤", default=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="标记人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "会议考勤"
        verbose_name_plural = "会议考勤"
        ordering = ["meeting", "member__name", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_each"),
            models.CheckConstraint(
                condition=~Q(status=AttendanceStatus.PRESENT) | Q(checked_in_at__isnull=False),
                name="attendance_present_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.member} · {self.get_status_display()}"


class Resolution(TimeStampedModel):
    """A matter put to the vote at a meeting (表决事项) and its tallied result.

    ``eligible`` is fixed when voting closes: the members with voting rights on the
    roster. It passes when more than half of them vote for it (党章第十条、第十六条:
    表决要有超过应到会有表决权的党员的半数同意).
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="resolutions"
    )
    title = models.CharField("表决事项", max_length=120)
    text = models.TextField("内容", blank=True)
    status = models.CharField(
        "结果", max_length=12, choices=ResolutionStatus.choices, default=ResolutionStatus.OPEN
    )
    votes_for = models.PositiveIntegerField("赞成", default=0)
    votes_against = models.PositiveIntegerField("反对", default=0)
    votes_abstain = models.PositiveIntegerField("弃权", default=0)
    eligible = models.PositiveIntegerField("有表决权人数", default=0)
    closed_at = models.DateTimeField("表决结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "表决事项"
        verbose_name_plural = "表决事项"
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    """One member's vote on a resolution: one each, never changed once cast."""

    resolution = models.ForeignKey(
        Resolution, verbose_name="表决事项", on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="+"
    )
    choice = models.CharField("表决意见", max_length=8, choices=VoteChoice.choices)
    cast_at = models.DateTimeField("表决时间", auto_now_add=True)

    class Meta:
        verbose_name = "表决票"
        verbose_name_plural = "表决票"
        ordering = ["resolution", "cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "member"], name="one_vote_each"),
        ]

    def __str__(self) -> str:
        return f"{self.resolution} · {self.get_choice_display()}"


class Comment(TimeStampedModel):
    """A remark by a participant (online participants comment on the agenda)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发言人", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField("内容", max_length=1000)

    class Meta:
        verbose_name = "会议留言"
        verbose_name_plural = "会议留言"
        ordering = ["meeting", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author}：{self.text[:20]}"


class MeetingPhoto(TimeStampedModel):
    """A photo of the meeting (现场照片), stored through ``core.uploads``."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="photos"
    )
    file = models.ForeignKey(
        "core.StoredFile", verbose_name="文件", on_delete=models.PROTECT, related_name="+"
    )
    caption = models.CharField("说明", max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "会议照片"
        verbose_name_plural = "会议照片"
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.caption or f"照片 {self.pk}"


class VillageAssignment(TimeStampedModel):
    """A member's posting to a village work team (驻村工作队) for a period.

    Their check-ins on rest days count (省委组织部 decision reported in seed 000:
    驻村工作队员节假日到村工作也能计入工作时长).
    """

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.CASCADE,
        related_name="village_assignments",
    )
    village = models.CharField("驻村", max_length=120)
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "驻村工作队员"
        verbose_name_plural = "驻村工作队员"
        ordering = ["member", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="village_ended_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.village}"
