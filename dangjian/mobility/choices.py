"""Fixed vocabularies of mobile and lost-contact members."""

from django.db import models


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", "在外流动"
    ENDED = "ended", "已结束"


class ParticipationKind(models.TextChoices):
    MEETING = "meeting", "组织生活会议"
    STUDY = "study", "学习教育"
    VOLUNTEER = "volunteer", "志愿服务"
    OTHER = "other", "其他活动"


class LostStatus(models.TextChoices):
    SEARCHING = "searching", "查找中"
    CLOSED = "closed", "已有结果"


class LostOutcome(models.TextChoices):
    FOUND = "found", "已取得联系"
    RETURNED = "returned", "已恢复组织生活"
    SUSPENSION = "suspension", "建议停止党籍"
    OTHER = "other", "其他"


class SearchMethod(models.TextChoices):
    PHONE = "phone", "电话、短信联系"
    VISIT = "visit", "上门走访"
    RELATIVES = "relatives", "联系亲属"
    EMPLOYER = "employer", "联系工作单位"
    COMMUNITY = "community", "社区、村委会协查"
    NOTICE = "notice", "登报、网络寻人"
    OTHER = "other", "其他方式"
