"""Fixed vocabularies of organisational life (组织生活)."""

from django.db import models


class MeetingKind(models.TextChoices):
    """The kinds of 三会一课 and the other basic systems (支部工作条例 第十六条至第十九条)."""

    MEMBER_ASSEMBLY = "member_assembly", "支部党员大会"
    COMMITTEE = "committee", "支部委员会"
    GROUP = "group", "党小组会"
    LECTURE = "lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    APPRAISAL = "appraisal", "民主评议党员"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "已安排"
    HELD = "held", "已召开"  # minutes recorded (已记录)
    CANCELLED = "cancelled", "已取消"


class AttendanceStatus(models.TextChoices):
    EXPECTED = "expected", "未签到"  # 应到，尚未签到或标记
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class CheckinMethod(models.TextChoices):
    QR = "qr", "扫码签到"
    LOCATION = "location", "定位签到"
    RECORDER = "recorder", "记录人标记"
    ONLINE = "online", "线上参会"


class VoteChoice(models.TextChoices):
    FOR = "for", "赞成"
    AGAINST = "against", "反对"
    ABSTAIN = "abstain", "弃权"


class ResolutionStatus(models.TextChoices):
    OPEN = "open", "表决中"
    PASSED = "passed", "通过"
    REJECTED = "rejected", "未通过"
