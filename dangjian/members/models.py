"""Member records (党员信息)."""

import datetime as dt

from django.db import models
from django.db.models import Q

from dangjian.core import crypto
from dangjian.core.fields import BlindIndex, EncryptedTextField
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager
from dangjian.core.text import NameField
from dangjian.members.choices import ETHNICITY_CHOICES, Education, Gender, Status
from dangjian.members.rules import age_on

ID_INDEX = "member.id_number"
PHONE_INDEX = "member.phone"


def own_record(user, perm: Perm) -> Q | None:
    """A member always sees their own whole record, whatever roles they hold (and only
    sees)."""
    own = getattr(user, "member_id", None)
    return Q(pk=own) if own and perm in (Perm.VIEW_MEMBER, Perm.VIEW_MEMBER_DETAILS) else None


class Member(TimeStampedModel):
    """A party member. Belongs to exactly one 党支部 (``branch``), optionally a 党小组.

    The citizen ID number, mobile phone and home address are encrypted at rest; the
    ``*_digest`` columns are blind indexes (HMAC) for uniqueness and exact lookup.
    """

    BLIND_INDEXES = (
        BlindIndex(source="id_number", digest="id_number_digest", purpose=ID_INDEX),
        BlindIndex(source="phone", digest="phone_digest", purpose=PHONE_INDEX),
    )

    name = NameField("姓名", max_length=50, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=10, choices=ETHNICITY_CHOICES)
    birth_date = models.DateField("出生日期")
    id_number = EncryptedTextField("公民身份号码")
    id_number_digest = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField("手机号", blank=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = EncryptedTextField("家庭住址", blank=True)
    education = models.CharField("学历", max_length=24, choices=Education.choices)
    occupation = models.CharField("职业/岗位", max_length=60, blank=True)
    joined_on = models.DateField("入党日期", help_text="成为预备党员的日期")
    full_member_on = models.DateField("转正日期", null=True, blank=True)
    status = models.CharField("党籍状态", max_length=16, choices=Status.choices)
    transferred_out_on = models.DateField(
        "转出日期", null=True, blank=True, editable=False, help_text="转出到平台外党组织的日期"
    )
    transferred_out_to = models.CharField("转往党组织", max_length=120, blank=True, editable=False)
    branch = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="所在党支部",
        on_delete=models.PROTECT,
        related_name="members",
    )
    group = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="所在党小组",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="group_members",
    )
    photo = models.ForeignKey(
        "core.StoredFile",
        verbose_name="证件照",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ScopedManager(org="branch", also=own_record)

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["branch_id", "name", "id"]
        indexes = [
            models.Index(fields=["branch", "status"], name="member_branch_status"),
            # the list's order: a page of a large scope is read off the index, not sorted
            models.Index(fields=["branch", "name", "id"], name="member_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True)
                | Q(full_member_on__gt=models.F("joined_on")),
                name="member_full_after_joined",
            ),
            models.CheckConstraint(
                condition=Q(status="transferred_out", transferred_out_on__isnull=False)
                | (~Q(status="transferred_out") & Q(transferred_out_on__isnull=True)),
                name="member_transferred_out_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        self.id_number = value
        self.id_number_digest = crypto.blind_index(value, purpose=ID_INDEX)

    def set_phone(self, value: str) -> None:
        self.phone = value
        self.phone_digest = crypto.blind_index(value, purpose=PHONE_INDEX) if value else ""

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone) if self.phone else ""

    @property
    def address_masked(self) -> str:
        return crypto.mask_address(self.address) if self.address else ""

    def age(self, today: dt.date | None = None) -> int:
        return age_on(self.birth_date, today or dt.date.today())
