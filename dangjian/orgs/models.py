"""The organisation tree (组织树) and positions (班子职务)."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import STEPLEN, ScopedManagerMixin, ScopedQuerySet
from dangjian.core.text import NameField
from dangjian.orgs.choices import OrgType, PositionTitle
from dangjian.orgs.rules import LEVEL_OF_TYPE

code_validator = RegexValidator(r"^[0-9A-Z]{6,24}$", "组织代码应为6到24位数字或大写字母")


class OrganisationQuerySet(ScopedQuerySet, MP_NodeQuerySet):
    """Tree queries (treebeard) that also know the access rule (``visible_to``)."""


class OrganisationManager(ScopedManagerMixin, MP_NodeManager):
    def get_queryset(self) -> OrganisationQuerySet:
        return OrganisationQuerySet(self.model, using=self._db).order_by("path")


class Organisation(MP_Node, TimeStampedModel):
    """A party organisation: a node of the materialized-path tree.

    ``path`` (from treebeard) is the key of the access rule: a subtree is a path prefix.
    """

    steplen = STEPLEN

    name = NameField("名称", max_length=120)
    org_type = models.CharField("类型", max_length=20, choices=OrgType.choices)
    code = models.CharField("组织代码", max_length=24, unique=True, validators=[code_validator])
    founded_on = models.DateField("成立日期")
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    dissolve_reason = models.CharField("撤销原因", max_length=200, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)

    # An organisation is its own place in the tree.
    objects = OrganisationManager(org="")

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(dissolved_on__gte=models.F("founded_on")),
                name="org_dissolved_after_founded",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return LEVEL_OF_TYPE[self.org_type]

    @property
    def level_label(self) -> str:
        from dangjian.orgs.choices import Level

        return Level(self.level).label

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None


class Position(TimeStampedModel):
    """A member holding a post (书记, 委员...) in an organisation for a period."""

    org = models.ForeignKey(
        Organisation, verbose_name="党组织", on_delete=models.CASCADE, related_name="positions"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="positions"
    )
    title = models.CharField("职务", max_length=20, choices=PositionTitle.choices)
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)

    class Meta:
        verbose_name = "班子职务"
        verbose_name_plural = "班子职务"
        ordering = ["org", "title", "started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "title"],
                condition=Q(ended_on__isnull=True, title="secretary"),
                name="one_current_secretary",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="position_ended_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.get_title_display()} {self.member}"
