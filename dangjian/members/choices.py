"""Member attributes with fixed vocabularies (党内统计 usage)."""

from django.db import models


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中专"
    HIGH_SCHOOL = "high_school", "高中"
    JUNIOR_OR_BELOW = "junior_or_below", "初中及以下"


class Status(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"
    MOBILE = "mobile", "流动党员"
    LOST_CONTACT = "lost_contact", "失联党员"
    SUSPENDED = "suspended", "停止党籍"
    EXPELLED = "left", "出党"
    DECEASED = "deceased", "去世"
    TRANSFERRED_OUT = "transferred_out", "已转出"


# Where a current member is (流动、失联): set by dangjian.mobility through
# members.services.member_set_situation; their standing (正式/预备) is kept by the
# 转正日期 meanwhile and comes back when the situation ends.
SITUATIONS = (Status.MOBILE, Status.LOST_CONTACT)


# Statuses that count as current members of an organisation (党员人数).
CURRENT_STATUSES = (Status.FULL, Status.PROBATIONARY, Status.MOBILE, Status.LOST_CONTACT)


class AgeBand(models.TextChoices):
    """Age bands used in 党内统计年报."""

    UP_TO_35 = "-35", "35岁及以下"
    FROM_36_TO_45 = "36-45", "36至45岁"
    FROM_46_TO_60 = "46-60", "46至60岁"
    OVER_60 = "61-", "61岁及以上"


# 中国56个民族 (GB 3304-91 order).
ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
ETHNICITY_CHOICES = [(e, e) for e in ETHNICITIES]
