"""Bills, online payment through the sandbox, notifications, refunds and the ledger."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import ledger
from dangjian.core.models import LedgerAccount
from dangjian.dues import providers, selectors, services, tasks
from dangjian.dues.models import Bill, BillStatus, Notice, Payment, PaymentStatus, SandboxTrade

pytestmark = pytest.mark.django_db
THIS = timezone.localdate().replace(day=1)
LAST = (THIS - dt.timedelta(days=1)).replace(day=1)


def setup_member(cast, key="B1m1", base=300000):
    member = cast.member[key]
    services.base_set(
        acting_user=cast.user["branch_admin" if key.startswith("B1") else "root"],
        member=member,
        category="employed",
        effective_month=dt.date(2021, 1, 1),
        base_fen=base,
    )
    services.bills_issue(month=LAST)
    services.bills_issue(month=THIS)
    return member


def start(cast, months=(LAST, THIS)):
    member = setup_member(cast)
    payment, url = services.payment_start(
        acting_user=cast.user["member"], member=member, months=list(months)
    )
    return member, payment, url


def notice(payment, status="SUCCESS"):
    trade = SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)
    if status == "SUCCESS":
        trade.status = "SUCCESS"
        trade.save()
    return providers.get("sandbox").notice_for(trade, status)


def balances_match():
    """The ledger balances what the tables say: owed = unpaid bills, collected = paid."""
    assert ledger.verify() == []
    unpaid = sum(Bill.objects.filter(status=BillStatus.UNPAID).values_list("amount_fen", flat=True))
    paid = sum(Bill.objects.filter(status=BillStatus.PAID).values_list("amount_fen", flat=True))
    owed = sum(LedgerAccount.objects.filter(book="dues.owed").values_list("balance", flat=True))
    branches = LedgerAccount.objects.filter(book="dues", holder__startswith="branch:")
    members = LedgerAccount.objects.filter(book="dues", holder__startswith="member:")
    assert owed == unpaid
    assert sum(branches.values_list("balance", flat=True)) == paid
    assert sum(members.values_list("balance", flat=True)) == 0


def test_bills_are_issued_once_with_the_base_amount(cast):
    member = setup_member(cast)
    assert services.bills_issue(month=THIS) == 0
    bills = Bill.objects.filter(member=member)
    assert [b.amount_fen for b in bills] == [1500, 1500]
    assert selectors.months_unpaid([member.pk], THIS) == {member.pk: 2}
    assert selectors.paid_up_to(member) is None
    balances_match()


def test_a_base_change_adjusts_unpaid_bills_from_its_month(cast):
    member = setup_member(cast)
    services.base_set(
        acting_user=cast.user["branch_admin"],
        member=member,
        category="employed",
        effective_month=THIS,
        base_fen=500001,
    )
    assert list(Bill.objects.filter(member=member).values_list("amount_fen", flat=True)) == [
        1500,
        7500,
    ]
    balances_match()


def test_sandbox_payment_pays_both_months_once_despite_duplicates(cast):
    member, payment, url = start(cast)
    assert url.endswith(f"/dues/sandbox/pay/{payment.out_trade_no}/")
    providers.get("sandbox").pay(payment.out_trade_no, succeed=True)  # delivers twice
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert list(Notice.objects.values_list("outcome", flat=True)) == ["paid"]
    assert selectors.paid_up_to(member) == THIS
    assert selectors.months_unpaid([member.pk], THIS) == {member.pk: 0}
    body, headers = notice(payment)
    assert services.notice_receive(provider="sandbox", body=body, headers=headers) == "already_paid"
    balances_match()


def test_replayed_notification_changes_nothing(cast):
    _, payment, _ = start(cast)
    body, headers = notice(payment)
    assert services.notice_receive(provider="sandbox", body=body, headers=headers) == "paid"
    assert services.notice_receive(provider="sandbox", body=body, headers=headers) == "duplicate"
    balances_match()


def test_failure_arriving_after_success_changes_nothing(cast):
    _, payment, _ = start(cast)
    ok, ok_headers = notice(payment)
    fail, fail_headers = notice(payment, "FAIL")
    assert services.notice_receive(provider="sandbox", body=ok, headers=ok_headers) == "paid"
    assert services.notice_receive(provider="sandbox", body=fail, headers=fail_headers) == "ignored"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_success_after_a_failure_pays(cast):
    _, payment, _ = start(cast)
    fail, fail_headers = notice(payment, "FAIL")
    assert services.notice_receive(provider="sandbox", body=fail, headers=fail_headers) == "failed"
    ok, ok_headers = notice(payment)
    assert services.notice_receive(provider="sandbox", body=ok, headers=ok_headers) == "paid"


def test_forged_notification_changes_nothing(cast, client):
    _, payment, _ = start(cast)
    body, headers = notice(payment)
    forged = body.replace(b'"SUCCESS"', b'"SUCCESS" ')
    response = client.post(
        "/api/v1/dues/notify/sandbox",
        data=forged,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    assert not Bill.objects.filter(status=BillStatus.PAID).exists()
    assert Notice.objects.get().valid is False
    good = client.post(
        "/api/v1/dues/notify/sandbox", data=body, content_type="application/json", headers=headers
    )
    assert good.status_code == 200 and good.json() == {"code": "SUCCESS"}


def test_two_orders_for_one_bill_pay_it_once_and_refund_the_surplus(cast):
    member, first, _ = start(cast, months=(THIS,))
    second, _ = services.payment_start(
        acting_user=cast.user["member"], member=member, months=[THIS]
    )
    for payment in (first, second):
        body, headers = notice(payment)
        assert services.notice_receive(provider="sandbox", body=body, headers=headers) == "paid"
    assert Bill.objects.get(member=member, month=THIS).payment_id == first.pk
    assert SandboxTrade.objects.get(out_trade_no=second.out_trade_no).refunded_fen == 1500
    balances_match()


def test_refund_reopens_the_bills(cast):
    member, payment, _ = start(cast)
    body, headers = notice(payment)
    services.notice_receive(provider="sandbox", body=body, headers=headers)
    services.payment_refund(acting_user=cast.user["branch_admin"], payment=payment, reason="误缴")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert SandboxTrade.objects.get(out_trade_no=payment.out_trade_no).refunded_fen == 3000
    assert selectors.months_unpaid([member.pk], THIS) == {member.pk: 2}
    with pytest.raises(ValidationError):
        services.payment_refund(acting_user=cast.user["branch_admin"], payment=payment)
    balances_match()


def test_admin_records_cash_makeup_for_a_relative(cast):
    member = setup_member(cast)
    with pytest.raises(ValidationError) as exc:
        services.payment_record(
            acting_user=cast.user["branch_admin"],
            member=member,
            months=[LAST],
            channel="cash",
            payer_kind="relative",
        )
    assert "payer_name" in exc.value.message_dict
    payment = services.payment_record(
        acting_user=cast.user["branch_admin"],
        member=member,
        months=[LAST],
        channel="cash",
        payer_kind="relative",
        payer_name="张三",
    )
    assert payment.makeup and payment.receipt_no
    with pytest.raises(ValidationError):
        services.payment_record(
            acting_user=cast.user["branch_admin"], member=member, months=[LAST], channel="bank"
        )
    balances_match()


def test_a_member_pays_only_their_own(cast):
    other = setup_member(cast, "B1m2")
    with pytest.raises(Http404):  # another member's dues are not even visible
        services.payment_start(acting_user=cast.user["member"], member=other, months=[THIS])
    with pytest.raises(ValidationError) as exc:  # an admin who sees them still cannot pay online
        services.payment_start(acting_user=cast.user["branch_admin"], member=other, months=[THIS])
    assert "member_id" in exc.value.message_dict


def test_six_months_unpaid_raises_a_branch_warning_cleared_on_payment(cast):
    from dangjian.core.models import Warning

    member = setup_member(cast)
    month = THIS
    for _ in range(6):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        services.bills_issue(month=month)
    assert tasks.flag_unpaid(timezone.localdate()) == 1
    warning = Warning.objects.get(kind="dues.six_months_unpaid")
    assert warning.org_id == member.branch_id
    assert f"自{month.year}年{month.month}月起已连续" in warning.title
    services.payment_record(
        acting_user=cast.user["branch_admin"], member=member, months=[THIS], channel="cash"
    )
    tasks.flag_unpaid(timezone.localdate())
    warning.refresh_from_db()
    assert warning.resolved_at is not None


OPS = st.lists(
    st.tuples(st.sampled_from(["pay", "dup", "fail", "refund", "cash"]), st.integers(0, 2)),
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS)
def test_ledger_always_balances(cast, ops):
    member = cast.member["B1m1"]
    if not Bill.objects.filter(member=member).exists():
        setup_member(cast)
    months = [rules_month(i) for i in range(3)]
    for op, i in ops:
        month = months[i]
        bill = Bill.objects.filter(member=member, month=month).first()
        try:
            if op == "cash":
                services.payment_record(
                    acting_user=cast.user["branch_admin"],
                    member=member,
                    months=[month],
                    channel="cash",
                )
            elif op == "refund" and bill and bill.payment_id:
                services.payment_refund(acting_user=cast.user["branch_admin"], payment=bill.payment)
            elif op in ("pay", "dup", "fail"):
                payment, _ = services.payment_start(
                    acting_user=cast.user["member"], member=member, months=[month]
                )
                body, headers = notice(payment, "FAIL" if op == "fail" else "SUCCESS")
                for _ in range(2 if op == "dup" else 1):
                    services.notice_receive(provider="sandbox", body=body, headers=headers)
        except ValidationError:
            pass
        balances_match()
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() >= 0


def rules_month(i: int) -> dt.date:
    from dangjian.dues.rules import add_months

    return add_months(THIS, i - 1)


def test_month_end_reminds_unpaid_members_once_on_commit(cast, django_capture_on_commit_callbacks):
    from dangjian.core.models import Notification

    member = setup_member(cast)
    at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.month_end(at=at) == 1
    assert tasks.month_end(at=at) == 0  # once per member and month
    note = Notification.objects.get(user=cast.user["member"])
    assert note.title.startswith("温馨提示")
    services.payment_record(
        acting_user=cast.user["branch_admin"], member=member, months=[LAST, THIS], channel="bank"
    )
    assert selectors.months_unpaid([member.pk], THIS) == {member.pk: 0}
