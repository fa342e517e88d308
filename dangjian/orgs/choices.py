"""Organisation types and positions."""

from django.db import models


class OrgType(models.TextChoices):
    PROVINCIAL_COMMITTEE = "province", "省委"
    CITY_COMMITTEE = "city", "市（州）委"
    COUNTY_COMMITTEE = "county", "县（市、区）委"
    COMMITTEE = "committee", "党委"  # 基层党委
    WORKING_COMMITTEE = "working", "党工委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


class Level(models.TextChoices):
    """The tier shown to people; several types share a tier."""

    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"
    GRASSROOTS_COMMITTEE = "grassroots", "基层党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


class PositionTitle(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANISATION = "organisation", "组织委员"
    PROPAGANDA = "propaganda", "宣传委员"
    DISCIPLINE = "discipline", "纪检委员"
    YOUTH = "youth", "青年委员"
    WOMEN = "women", "妇女委员"
    MEMBER = "member", "委员"
    GROUP_LEADER = "group_leader", "党小组长"
