"""Every write on party dues: bases, bills, payments, notices, refunds.

Money moves on ``core.ledger`` only (in fen):

- book ``dues.owed``, account ``member:<id>``: what the member owes. A bill posts
  ``+amount``; settling it ``-amount``; a base change adjusts unpaid bills (``adjust``);
  a refund reopens the bills it paid.
- book ``dues``, account ``member:<id>``: money received and not yet applied; account
  ``branch:<id>``: what the branch collected. A payment credits the member; settling a
  bill transfers its amount to the branch; a refund transfers back and debits the member.

So at every moment ``dues.owed`` balances equal the unpaid bills, the branch accounts
equal the settled bills, and the member accounts equal money received but not applied
(a surplus refunded at once). A bill is paid at most once: its row is locked and its
``settle:<bill>`` ledger key is unique.
"""

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, ledger, rollups, scope
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm
from dangjian.dues import providers, rules
from dangjian.dues.models import (
    Bill,
    BillStatus,
    BranchSetting,
    Channel,
    DuesBase,
    Notice,
    PayerKind,
    Payment,
    PaymentStatus,
)
from dangjian.dues.selectors import BILLED_STATUSES
from dangjian.orgs.choices import OrgType

BOOK, OWED = "dues", "dues.owed"
ADVANCE_MONTHS = 12

MSG_NO_BASE = "尚未核定该党员的党费基数"
MSG_MONTHS = "请选择要缴纳的月份"
MSG_MONTH_PAID = "{month}的党费已缴纳"
MSG_MONTH_EARLY = "{month}早于入党（成为预备党员）的月份，无需缴纳"
MSG_MONTH_FAR = "最多可预缴{n}个月"
MSG_NOT_OWN = "只能为本人缴纳党费；代缴请联系党支部登记"
MSG_NOT_PAID = "该笔缴纳未到账或已退款，不能退款"
MSG_EFFECTIVE = "起始月份不能早于入党（成为预备党员）的月份"
MSG_PAYER_NAME = "代缴请填写代缴人"
MSG_NOT_BRANCH = "农民党员的月交纳额由党支部确定，请在党支部页面设置"


def _member_path(member) -> str:
    return member.branch.path


def _authorize(acting_user, member) -> None:
    """CHANGE_DUES over the member's branch; a member who sees their own dues but may not
    change them is refused (403), anyone else who cannot see them gets a 404."""
    own = getattr(acting_user, "member_id", None) == member.pk
    if own and not scope.covers(acting_user, Perm.CHANGE_DUES, _member_path(member)):
        raise PermissionDenied("您没有权限执行此操作")
    scope.authorize(acting_user, Perm.CHANGE_DUES, _member_path(member), view_perm=Perm.VIEW_DUES)


def owed_account(member):
    return ledger.account_for(book=OWED, holder=f"member:{member.pk}", org=member.branch)


def money_account(member):
    return ledger.account_for(book=BOOK, holder=f"member:{member.pk}", org=member.branch)


def branch_account(branch):
    return ledger.account_for(book=BOOK, holder=f"branch:{branch.pk}", org=branch)


def farmer_fen(branch) -> int:
    setting = BranchSetting.objects.filter(branch=branch).first()
    return setting.farmer_fen if setting else rules.FIXED_FEN


# --- Bases ------------------------------------------------------------------------------


@transaction.atomic
def branch_setting_set(*, acting_user, branch, farmer_fen: int) -> BranchSetting:
    scope.authorize(acting_user, Perm.CHANGE_DUES, branch.path, view_perm=Perm.VIEW_DUES)
    if branch.org_type != OrgType.BRANCH:
        raise ValidationError({"farmer_fen": MSG_NOT_BRANCH})
    if not rules.FARMER_MIN_FEN <= farmer_fen <= rules.FARMER_MAX_FEN:
        raise ValidationError({"farmer_fen": rules.MSG_FARMER_RANGE})
    setting = BranchSetting.objects.select_for_update().filter(branch=branch).first()
    before = setting.farmer_fen if setting else rules.FIXED_FEN
    setting, _ = BranchSetting.objects.update_or_create(
        branch=branch, defaults={"farmer_fen": farmer_fen}
    )
    audit.record(
        actor=acting_user,
        action="dues.setting.set",
        obj=setting,
        org=branch,
        before={"farmer_fen": before},
        after={"farmer_fen": farmer_fen},
    )
    return setting


@transaction.atomic
def base_set(
    *,
    acting_user,
    member,
    category: str,
    effective_month: dt.date,
    base_fen: int | None = None,
    voluntary_fen: int | None = None,
) -> DuesBase:
    """Set a member's base from ``effective_month`` (核定); unpaid bills from that month
    on are adjusted to the new amount (an ``adjust`` entry each)."""
    _authorize(acting_user, member)
    month = rules.month_start(effective_month)
    errors = {}
    if month < rules.first_billable_month(member.joined_on):
        errors["effective_month"] = MSG_EFFECTIVE
    if voluntary_fen is not None and voluntary_fen <= 0:
        errors["voluntary_fen"] = "自愿交纳额应大于零"
    try:
        amount = rules.monthly_amount(
            category, base_fen, farmer_fen=farmer_fen(member.branch), voluntary_fen=voluntary_fen
        )
    except ValueError as exc:
        errors["base_fen"] = str(exc)
    raise_if(errors)
    base, _ = DuesBase.objects.update_or_create(
        member=member,
        effective_month=month,
        defaults={
            "category": category,
            "base_fen": base_fen if category in rules.BASE_CATEGORIES else None,
            "voluntary_fen": voluntary_fen,
            "amount_fen": amount.fen,
            "rule": amount.rule[:120],
        },
    )
    later = DuesBase.objects.filter(member=member, effective_month__gt=month).order_by(
        "effective_month"
    )
    until = later.values_list("effective_month", flat=True).first()
    bills = Bill.objects.select_for_update().filter(
        member=member, status=BillStatus.UNPAID, month__gte=month
    )
    if until:
        bills = bills.filter(month__lt=until)
    account = None
    for bill in bills.order_by("month"):
        diff = amount.fen - bill.amount_fen
        if diff:
            account = account or owed_account(member)
            ledger.post(
                account=account,
                amount=diff,
                key=f"adjust:{bill.pk}:{base.pk}:{base.updated_at.timestamp()}",
                kind="adjust",
                memo=f"{bill.month:%Y年%m月}党费基数调整",
                actor=acting_user,
            )
            bill.amount_fen = amount.fen
            bill.save(update_fields=["amount_fen", "updated_at"])
    rollups.mark_dirty(member.branch)
    audit.record(
        actor=acting_user,
        action="dues.base.set",
        obj=base,
        org=member.branch,
        after={
            "category": category,
            "base_fen": base.base_fen,
            "voluntary_fen": voluntary_fen,
            "amount_fen": amount.fen,
            "effective_month": month.isoformat(),
        },
    )
    return base


def base_on(member, month: dt.date) -> DuesBase | None:
    return (
        DuesBase.objects.filter(member=member, effective_month__lte=month)
        .order_by("-effective_month")
        .first()
    )


# --- Bills ------------------------------------------------------------------------------


def _bill_issue(member, month: dt.date, amount_fen: int, actor=None) -> Bill:
    bill, created = Bill.objects.get_or_create(
        member=member, month=month, defaults={"amount_fen": amount_fen}
    )
    if created:
        ledger.post(
            account=owed_account(member),
            amount=amount_fen,
            key=f"bill:{bill.pk}",
            kind="bill",
            memo=f"{month:%Y年%m月}党费",
            actor=actor,
        )
    return bill


def bills_issue(*, month: dt.date, members=None) -> int:
    """Issue ``month``'s bill to every billable member with a base (idempotent).
    Each member commits on their own; returns how many bills were new."""
    from dangjian.members.models import Member

    month = rules.month_start(month)
    qs = members if members is not None else Member.objects.all()
    qs = qs.filter(status__in=BILLED_STATUSES, joined_on__lt=rules.add_months(month, 1))
    qs = qs.exclude(dues_bills__month=month).select_related("branch")
    made = 0
    for member in qs.iterator(chunk_size=500):
        with transaction.atomic():
            base = base_on(member, month)
            if base is None:
                continue
            _bill_issue(member, month, base.amount_fen)
            rollups.mark_dirty(member.branch)
            made += 1
    return made


def _payable_bills(member, months: list[dt.date], actor) -> list[Bill]:
    today = timezone.localdate()
    if not months:
        raise ValidationError({"months": MSG_MONTHS})
    first = rules.first_billable_month(member.joined_on)
    limit = rules.add_months(rules.month_start(today), ADVANCE_MONTHS)
    bills, errors = [], []
    for month in sorted({rules.month_start(m) for m in months}):
        label = f"{month:%Y年%m月}"
        if month < first:
            errors.append(MSG_MONTH_EARLY.format(month=label))
            continue
        if month > limit:
            errors.append(MSG_MONTH_FAR.format(n=ADVANCE_MONTHS))
            continue
        bill = Bill.objects.filter(member=member, month=month).first()
        if bill is None:
            base = base_on(member, month)
            if base is None:
                errors.append(MSG_NO_BASE)
                continue
            bill = _bill_issue(member, month, base.amount_fen, actor)
        if bill.status == BillStatus.PAID:
            errors.append(MSG_MONTH_PAID.format(month=label))
            continue
        bills.append(bill)
    if errors:
        raise ValidationError({"months": errors})
    return bills


def _new_trade_no() -> str:
    return timezone.localtime().strftime("DF%Y%m%d") + secrets.token_hex(10).upper()


# --- Payments ---------------------------------------------------------------------------


@transaction.atomic
def payment_start(*, acting_user, member, months: list[dt.date], provider: str = "sandbox"):
    """A member pays their own bills online (several months, or in advance): an order
    at ``provider``; returns (payment, pay_url). Nothing is paid until the provider's
    signed notification arrives."""
    if getattr(acting_user, "member_id", None) != member.pk:
        scope.get_or_404(_members_visible(acting_user), pk=member.pk)
        raise ValidationError({"member_id": MSG_NOT_OWN})
    try:
        adapter = providers.get(provider)
    except providers.ProviderError as exc:
        raise ValidationError({"provider": str(exc)}) from None
    bills = _payable_bills(member, months, acting_user)
    payment = Payment.objects.create(
        member=member,
        channel=Channel.ONLINE,
        provider=adapter.name,
        out_trade_no=_new_trade_no(),
        amount_fen=sum(b.amount_fen for b in bills),
        months=[b.month.isoformat() for b in bills],
    )
    order = adapter.create_order(
        out_trade_no=payment.out_trade_no, amount_fen=payment.amount_fen, subject="党费"
    )
    rollups.mark_dirty(member.branch)
    audit.record(
        actor=acting_user,
        action="dues.payment.start",
        obj=payment,
        org=member.branch,
        after={"amount_fen": payment.amount_fen, "months": payment.months},
    )
    return payment, order.pay_url


def _members_visible(user):
    from dangjian.members.models import Member

    return Member.objects.visible_to(user, Perm.VIEW_DUES)


def _settle(payment: Payment, *, actor=None) -> int:
    """Credit the payment, then pay each of its bills still unpaid; returns the surplus
    (fen) of bills another payment had paid meanwhile. Caller holds the payment lock."""
    member = payment.member
    money = money_account(member)
    ledger.post(
        account=money,
        amount=payment.amount_fen,
        key=f"payment:{payment.out_trade_no}",
        kind="payment",
        memo="党费缴纳",
        actor=actor,
    )
    months = [dt.date.fromisoformat(m) for m in payment.months]
    bills = Bill.objects.select_for_update().filter(member=member, month__in=months)
    settled = 0
    owed = None
    target = branch_account(member.branch)
    for bill in bills.order_by("month"):
        if bill.status == BillStatus.PAID:
            continue
        owed = owed or owed_account(member)
        ledger.post(
            account=owed,
            amount=-bill.amount_fen,
            key=f"settle:{bill.pk}:{payment.pk}",
            kind="settle",
            memo=f"{bill.month:%Y年%m月}党费",
            actor=actor,
        )
        ledger.transfer(
            source=money,
            target=target,
            amount=bill.amount_fen,
            key=f"settle:{bill.pk}:{payment.pk}",
            kind="settle",
            memo=f"{bill.month:%Y年%m月}党费",
            actor=actor,
        )
        bill.status, bill.payment, bill.paid_at = BillStatus.PAID, payment, payment.paid_at
        bill.save(update_fields=["status", "payment", "paid_at", "updated_at"])
        settled += bill.amount_fen
    rollups.mark_dirty(member.branch)
    return payment.amount_fen - settled


def _refund_money(payment: Payment, amount: int, key: str, actor=None) -> None:
    ledger.post(
        account=money_account(payment.member),
        amount=-amount,
        key=key,
        kind="refund",
        memo="党费退款",
        actor=actor,
    )


@transaction.atomic
def notice_receive(*, provider: str, body: bytes, headers) -> str:
    """Handle a provider's asynchronous notification; returns what it did.

    Forged (bad signature) → recorded, nothing changes. Replayed (same notify id) →
    nothing changes. A success for an order still open pays its bills (each at most
    once; bills another payment settled meanwhile are refunded at once); a failure
    after a success (out of order) changes nothing.
    """
    adapter = providers.get(provider)
    text = body.decode("utf-8", "replace")[:20000]
    try:
        state = adapter.parse_notice(body, headers)
    except providers.BadSignature:
        Notice.objects.create(
            provider=provider, notify_id="", valid=False, outcome="forged", body=text
        )
        return "forged"
    with transaction.atomic():
        notice, created = Notice.objects.get_or_create(
            provider=provider,
            notify_id=state.notify_id,
            valid=True,
            defaults={"out_trade_no": state.out_trade_no, "outcome": "received", "body": text},
        )
    if not created:
        return "duplicate"
    payment = Payment.objects.select_for_update().filter(out_trade_no=state.out_trade_no).first()
    outcome = _apply_state(payment, state, provider)
    notice.outcome = outcome
    notice.save(update_fields=["outcome"])
    return outcome


def _apply_state(payment, state, provider: str) -> str:
    if payment is None or payment.provider != provider:
        return "unknown_order"
    if state.status == "SUCCESS":
        if payment.status != PaymentStatus.CREATED and payment.status != PaymentStatus.FAILED:
            return "already_" + payment.status
        if state.amount_fen != payment.amount_fen:
            return "amount_mismatch"
        payment.status = PaymentStatus.PAID
        payment.provider_txn = state.txn_id
        payment.paid_at = timezone.now()
        payment.save(update_fields=["status", "provider_txn", "paid_at", "updated_at"])
        surplus = _settle(payment)
        if surplus:
            providers.get(payment.provider).refund(
                out_trade_no=payment.out_trade_no,
                amount_fen=surplus,
                refund_no=f"{payment.out_trade_no}S",
            )
            _refund_money(payment, surplus, f"surplus:{payment.out_trade_no}")
        audit.record(
            actor=None,
            action="dues.payment.paid",
            obj=payment,
            org=payment.member.branch,
            after={"txn": state.txn_id, "amount_fen": payment.amount_fen, "surplus": surplus},
        )
        return "paid"
    if state.status == "FAIL":
        if payment.status != PaymentStatus.CREATED:
            return "ignored"
        payment.status = PaymentStatus.FAILED
        payment.save(update_fields=["status", "updated_at"])
        return "failed"
    return "ignored"


@transaction.atomic
def payment_record(
    *,
    acting_user,
    member,
    months: list[dt.date],
    channel: str,
    payer_kind: str = PayerKind.SELF,
    payer_name: str = "",
    receipt_no: str = "",
    note: str = "",
) -> Payment:
    """The branch admin records a cash or bank payment, 代缴 or 补缴, with a receipt."""
    _authorize(acting_user, member)
    errors = {}
    if channel not in (Channel.CASH, Channel.BANK):
        errors["channel"] = "请选择现金或银行转账"
    if payer_kind not in PayerKind.values:
        errors["payer_kind"] = "请选择缴纳人"
    elif payer_kind == PayerKind.RELATIVE and not payer_name.strip():
        errors["payer_name"] = MSG_PAYER_NAME
    raise_if(errors)
    bills = _payable_bills(member, months, acting_user)
    this_month = rules.month_start(timezone.localdate())
    payment = Payment.objects.create(
        member=member,
        channel=channel,
        out_trade_no=_new_trade_no(),
        amount_fen=sum(b.amount_fen for b in bills),
        months=[b.month.isoformat() for b in bills],
        status=PaymentStatus.PAID,
        payer_kind=payer_kind,
        payer_name=payer_name.strip()[:50],
        makeup=any(b.month < this_month for b in bills),
        receipt_no=receipt_no.strip()[:40],
        note=note.strip()[:200],
        paid_at=timezone.now(),
        recorded_by=acting_user,
    )
    if not payment.receipt_no:
        payment.receipt_no = "SJ" + payment.out_trade_no[2:]
        payment.save(update_fields=["receipt_no"])
    _settle(payment, actor=acting_user)
    audit.record(
        actor=acting_user,
        action="dues.payment.record",
        obj=payment,
        org=member.branch,
        after={
            "channel": channel,
            "amount_fen": payment.amount_fen,
            "months": payment.months,
            "payer_kind": payer_kind,
            "receipt_no": payment.receipt_no,
        },
    )
    return payment


@transaction.atomic
def payment_refund(*, acting_user, payment: Payment, reason: str = "") -> Payment:
    """Refund a paid payment in full: its bills are owed again, the money goes back
    (through the provider for an online payment)."""
    _authorize(acting_user, payment.member)
    payment = (
        Payment.objects.select_for_update().select_related("member__branch").get(pk=payment.pk)
    )
    if payment.status != PaymentStatus.PAID:
        raise ValidationError({"payment": MSG_NOT_PAID})
    member = payment.member
    bills = list(Bill.objects.select_for_update().filter(payment=payment).order_by("month"))
    source = branch_account(member.branch)
    money = money_account(member)
    owed = owed_account(member)
    for bill in bills:
        key = f"refund:{bill.pk}:{payment.pk}"
        ledger.transfer(
            source=source,
            target=money,
            amount=bill.amount_fen,
            key=key,
            kind="refund",
            actor=acting_user,
        )
        ledger.post(account=owed, amount=bill.amount_fen, key=key, kind="reopen", actor=acting_user)
        bill.status, bill.payment, bill.paid_at = BillStatus.UNPAID, None, None
        bill.save(update_fields=["status", "payment", "paid_at", "updated_at"])
    refunded = sum(b.amount_fen for b in bills)
    if refunded:
        if payment.channel == Channel.ONLINE:
            try:
                providers.get(payment.provider).refund(
                    out_trade_no=payment.out_trade_no,
                    amount_fen=refunded,
                    refund_no=f"{payment.out_trade_no}R",
                )
            except providers.ProviderError as exc:
                raise ValidationError({"payment": str(exc)}) from None
        _refund_money(payment, refunded, f"refund:{payment.out_trade_no}", acting_user)
    payment.status, payment.refunded_at = PaymentStatus.REFUNDED, timezone.now()
    payment.note = (reason.strip() or payment.note)[:200]
    payment.save(update_fields=["status", "refunded_at", "note", "updated_at"])
    rollups.mark_dirty(member.branch)
    audit.record(
        actor=acting_user,
        action="dues.payment.refund",
        obj=payment,
        org=member.branch,
        after={"refunded_fen": refunded, "reason": reason[:200]},
    )
    return payment
