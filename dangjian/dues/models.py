"""党费 data: bases, branch settings, monthly bills, payments and provider notices.

Money is integer fen. Balances live on ``core.ledger`` (book ``dues``: what a member has
paid and not yet applied, and what each branch collected; book ``dues.owed``: what each
member owes); these tables say what each entry was for.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import Perm, ScopedManager
from dangjian.dues.rules import FARMER_MAX_FEN, FARMER_MIN_FEN, FIXED_FEN, Category


def own_dues(user, perm: Perm) -> Q | None:
    """A member always sees their own bases, bills and payments."""
    own = getattr(user, "member_id", None)
    return Q(member_id=own) if own and perm == Perm.VIEW_DUES else None


class DuesBase(TimeStampedModel):
    """A member's dues base from ``effective_month`` on (a new row when income changes)."""

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="dues_bases"
    )
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    base_fen = models.BigIntegerField("交纳基数（分）", null=True, blank=True)
    voluntary_fen = models.BigIntegerField("自愿交纳额（分）", null=True, blank=True)
    effective_month = models.DateField("起始月份")
    amount_fen = models.BigIntegerField("月交纳额（分）")
    rule = models.CharField("适用规定", max_length=120)

    objects = ScopedManager(org="member__branch", also=own_dues)

    class Meta:
        verbose_name = "党费基数"
        verbose_name_plural = "党费基数"
        ordering = ["member_id", "-effective_month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "effective_month"], name="dues_base_once"),
        ]


class BranchSetting(TimeStampedModel):
    """A branch's own dues settings: the farmers' monthly amount (0.2–1 元)."""

    branch = models.OneToOneField(
        "orgs.Organisation", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    farmer_fen = models.PositiveIntegerField("农民党员月交纳额（分）", default=FIXED_FEN)

    objects = ScopedManager(org="branch")

    class Meta:
        verbose_name = "党支部党费设置"
        verbose_name_plural = "党支部党费设置"
        constraints = [
            models.CheckConstraint(
                condition=Q(farmer_fen__gte=FARMER_MIN_FEN, farmer_fen__lte=FARMER_MAX_FEN),
                name="dues_farmer_range",
            )
        ]


class BillStatus(models.TextChoices):
    UNPAID = "unpaid", "未缴"
    PAID = "paid", "已缴"


class Bill(TimeStampedModel):
    """One member's dues for one month. Paid at most once (``payment`` set once)."""

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="dues_bills"
    )
    month = models.DateField("月份")
    amount_fen = models.BigIntegerField("应缴（分）")
    status = models.CharField(
        "状态", max_length=8, choices=BillStatus.choices, default=BillStatus.UNPAID
    )
    payment = models.ForeignKey(
        "Payment",
        verbose_name="缴纳记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bills",
    )
    paid_at = models.DateTimeField("缴纳时间", null=True, blank=True)

    objects = ScopedManager(org="member__branch", also=own_dues)

    class Meta:
        verbose_name = "党费账单"
        verbose_name_plural = "党费账单"
        ordering = ["member_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="dues_bill_once"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="dues_bill_positive"),
            models.CheckConstraint(
                condition=Q(status="unpaid", payment__isnull=True)
                | Q(status="paid", payment__isnull=False),
                name="dues_bill_paid_has_payment",
            ),
        ]
        indexes = [models.Index(fields=["status", "month"], name="dues_bill_status_month")]


class Channel(models.TextChoices):
    ONLINE = "online", "网上缴纳"
    CASH = "cash", "现金"
    BANK = "bank", "银行转账"


class PayerKind(models.TextChoices):
    SELF = "self", "本人"
    RELATIVE = "relative", "亲属代缴"
    BRANCH = "branch", "党支部代缴"


class PaymentStatus(models.TextChoices):
    CREATED = "created", "待支付"
    PAID = "paid", "已支付"
    FAILED = "failed", "支付失败"
    REFUNDED = "refunded", "已退款"


class Payment(TimeStampedModel):
    """A payment for one or more of a member's bills: online (an order at a provider) or
    recorded by the branch admin (cash, bank, 代缴, 补缴) with a receipt number."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        related_name="dues_payments",
    )
    channel = models.CharField("方式", max_length=8, choices=Channel.choices)
    provider = models.CharField("支付渠道", max_length=16, blank=True)
    out_trade_no = models.CharField("订单号", max_length=40, unique=True)
    provider_txn = models.CharField("渠道流水号", max_length=64, blank=True)
    amount_fen = models.BigIntegerField("金额（分）")
    months = models.JSONField("所缴月份", default=list)
    status = models.CharField(
        "状态", max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    payer_kind = models.CharField(
        "缴纳人", max_length=8, choices=PayerKind.choices, default=PayerKind.SELF
    )
    payer_name = models.CharField("代缴人", max_length=50, blank=True)
    makeup = models.BooleanField("补缴", default=False)
    receipt_no = models.CharField("收据号", max_length=40, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    paid_at = models.DateTimeField("到账时间", null=True, blank=True)
    refunded_at = models.DateTimeField("退款时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager(org="member__branch", also=own_dues)

    class Meta:
        verbose_name = "党费缴纳"
        verbose_name_plural = "党费缴纳"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="dues_payment_positive"),
        ]


class Notice(models.Model):
    """Every asynchronous notification a provider sent, kept as received.

    ``notify_id`` is unique per provider: a replayed notification is recognised and
    changes nothing; a forged one (bad signature) is kept with ``valid=False``.
    """

    provider = models.CharField("支付渠道", max_length=16)
    notify_id = models.CharField("通知编号", max_length=64)
    out_trade_no = models.CharField("订单号", max_length=40, blank=True)
    valid = models.BooleanField("验签通过")
    outcome = models.CharField("处理结果", max_length=40)
    body = models.TextField("原文")
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = "支付通知"
        verbose_name_plural = "支付通知"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "notify_id"],
                condition=Q(valid=True),
                name="dues_notice_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.notify_id}"


class SandboxTrade(models.Model):
    """The sandbox provider's own side of an order (what a real provider keeps)."""

    out_trade_no = models.CharField("订单号", max_length=40, unique=True)
    txn_id = models.CharField("流水号", max_length=64, unique=True)
    amount_fen = models.BigIntegerField("金额（分）")
    status = models.CharField("状态", max_length=12, default="NOTPAY")
    refunded_fen = models.BigIntegerField("已退（分）", default=0)
    notify_url = models.CharField("通知地址", max_length=200)
    return_url = models.CharField("返回地址", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "沙箱交易"
        verbose_name_plural = "沙箱交易"

    def __str__(self) -> str:
        return self.out_trade_no
