"""The vocabularies of a transfer."""

from django.db import models


class TransferStatus(models.TextChoices):
    PENDING = "pending", "审批中"
    APPROVED = "approved", "已开具介绍信，待接收"
    COMPLETED = "completed", "已转接"
    REJECTED = "rejected", "已退回"
    WITHDRAWN = "withdrawn", "已撤回"


OPEN_STATUSES = (TransferStatus.PENDING, TransferStatus.APPROVED)


class TransferScope(models.TextChoices):
    """How far the member moves (党内统计: 县内、市内跨县、省内跨市、跨省)."""

    COUNTY = "county", "县（市、区）内"
    CITY = "city", "市（州）内跨县"
    PROVINCE = "province", "省内跨市"
    OUT_OF_PROVINCE = "out_of_province", "转出省外"


class Decision(models.TextChoices):
    WAITING = "", "待审批"
    APPROVED = "approved", "同意"
    REJECTED = "rejected", "退回"


class IncomingStatus(models.TextChoices):
    """A member arriving from outside the platform (组织关系转入)."""

    PENDING = "pending", "审核中"
    ACCEPTED = "accepted", "已接收"
    REJECTED = "rejected", "不予接收"


class Origin(models.TextChoices):
    """Where a member arriving from outside the platform comes from (the systems whose
    letters the receiving side registers by hand)."""

    OTHER_PROVINCE = "other_province", "外省（区、市）"
    CENTRAL = "central", "中央和国家机关"
    MILITARY = "military", "军队"
    ABROAD = "abroad", "国外（境外）"
