"""REST endpoints of party dues (党费): the amount rule, bills, online payment and the
providers' notifications, the admin's recorded payments and refunds, reports.

Reads through ``dues.selectors`` (scoped; a member sees their own), writes through
``dues.services``. Money is sent as yuan strings with two decimals ("15.00").
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import Id, InSchema, LocalDateTime, Paging, QuerySchema, invalid
from dangjian.dues import providers, reports, rules, selectors, services
from dangjian.dues.models import Channel, PayerKind
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["dues"])


class DuesAmountQuery(QuerySchema):
    category: rules.Category = Field(description="类别")
    base: Decimal | None = Field(
        None, ge=0, le=100000000, description="基数（元）；农民为支部确定的月交纳额"
    )


class DuesAmountOut(Schema):
    amount: str
    rate: str | None
    rule: str


@router.get("/amount", auth=None, response=DuesAmountOut, summary="按中组发〔2008〕3号计算月交纳额")
def amount(request, q: Query[DuesAmountQuery]):
    try:
        base_fen = rules.yuan_to_fen(q.base) if q.base is not None else None
        if q.category == rules.Category.FARMER:
            result = rules.monthly_amount(q.category, farmer_fen=base_fen or rules.FIXED_FEN)
        else:
            result = rules.monthly_amount(q.category, base_fen)
    except ValueError as exc:
        raise invalid(("query", "base"), str(exc)) from None
    rate = None if result.rate is None else format(result.rate.normalize(), "f")
    return {"amount": rules.fen_to_yuan(result.fen), "rate": rate, "rule": result.rule}


class DuesBillOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    month: dt.date
    amount: str
    status: str
    paid_at: LocalDateTime | None

    @staticmethod
    def resolve_amount(obj) -> str:
        return rules.fen_to_yuan(obj.amount_fen)


@router.get("/bills/mine", response=list[DuesBillOut], summary="我的党费账单")
@paginate(Paging)
def my_bills(request):
    return selectors.my_bills(request.auth).select_related("member")


class DuesArrearsQuery(QuerySchema):
    org_id: Id | None = None
    as_of: dt.date | None = None


@router.get("/arrears", response=list[DuesBillOut], summary="欠缴名单（未缴账单）")
@paginate(Paging)
def arrears(request, q: Query[DuesArrearsQuery]):
    org = None
    if q.org_id is not None:
        org = org_selectors.org_get(request.auth, q.org_id)
    return selectors.arrears(request.auth, org=org, as_of=q.as_of)


class DuesPayIn(InSchema):
    months: list[dt.date] = Field(min_length=1, max_length=24)
    provider: str = "sandbox"


class DuesPayOut(Schema):
    payment_id: int
    out_trade_no: str
    amount: str
    pay_url: str


@router.post("/pay", response={201: DuesPayOut}, summary="网上缴纳：创建支付订单")
def pay(request, body: DuesPayIn):
    member = selectors.own_member(request.auth)
    if member is None:
        raise invalid(("body", "months"), "当前账号未关联党员信息")
    payment, url = services.payment_start(
        acting_user=request.auth, member=member, months=body.months, provider=body.provider
    )
    return {
        "payment_id": payment.pk,
        "out_trade_no": payment.out_trade_no,
        "amount": rules.fen_to_yuan(payment.amount_fen),
        "pay_url": url,
    }


def _notify_endpoint(provider: providers.Provider):
    def notify(request):
        outcome = services.notice_receive(
            provider=provider.name, body=request.body, headers=request.headers
        )
        if outcome == "forged":
            return Status(400, {"code": "FAIL", "message": "签名校验失败"})
        return Status(200, provider.ack())

    router.post(
        f"/notify/{provider.name}",
        auth=None,
        url_name=f"dues_notify_{provider.name}",
        summary=f"{provider.label}异步通知（验签；伪造、重放的通知不改变任何数据）",
        response={200: dict, 400: dict},
    )(notify)


for _provider in providers.PROVIDERS.values():
    _notify_endpoint(_provider)


class DuesPaymentOut(Schema):
    id: int
    member_id: int
    channel: str
    provider: str
    out_trade_no: str
    amount: str
    months: list[str]
    status: str
    payer_kind: str
    payer_name: str
    makeup: bool
    receipt_no: str
    paid_at: LocalDateTime | None

    @staticmethod
    def resolve_amount(obj) -> str:
        return rules.fen_to_yuan(obj.amount_fen)


@router.get("/payments", response=list[DuesPaymentOut], summary="缴纳记录")
@paginate(Paging)
def payment_list(request):
    return selectors.payment_list(request.auth)


@router.get("/payments/{payment_id}", response=DuesPaymentOut, summary="一笔缴纳")
def payment_get(request, payment_id: Id):
    return selectors.payment_get(request.auth, payment_id)


class DuesRefundIn(InSchema):
    reason: str = Field("", max_length=200)


@router.post("/payments/{payment_id}/refund", response=DuesPaymentOut, summary="退款")
def refund(request, payment_id: Id, body: DuesRefundIn):
    payment = selectors.payment_get(request.auth, payment_id)
    return services.payment_refund(acting_user=request.auth, payment=payment, reason=body.reason)


class DuesBaseIn(InSchema):
    category: rules.Category
    effective_month: dt.date
    base: Decimal | None = Field(None, ge=0, le=100000000, decimal_places=2)
    voluntary: Decimal | None = Field(None, gt=0, le=100000000, decimal_places=2)


class DuesBaseOut(Schema):
    id: int
    member_id: int
    category: str
    effective_month: dt.date
    amount: str
    rule: str

    @staticmethod
    def resolve_amount(obj) -> str:
        return rules.fen_to_yuan(obj.amount_fen)


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


@router.post("/members/{member_id}/base", response={201: DuesBaseOut}, summary="核定党费基数")
def base_set(request, member_id: Id, body: DuesBaseIn):
    member = selectors.member_get(request.auth, member_id)
    base = services.base_set(
        acting_user=request.auth,
        member=member,
        category=body.category,
        effective_month=body.effective_month,
        base_fen=_fen(body.base),
        voluntary_fen=_fen(body.voluntary),
    )
    return base


class DuesRecordIn(InSchema):
    months: list[dt.date] = Field(max_length=60)
    channel: Channel
    payer_kind: PayerKind = PayerKind.SELF
    payer_name: str = Field("", max_length=50)
    receipt_no: str = Field("", max_length=40)
    note: str = Field("", max_length=200)


@router.post(
    "/members/{member_id}/payments",
    response={201: DuesPaymentOut},
    summary="登记现金/银行缴纳、代缴、补缴",
)
def payment_record(request, member_id: Id, body: DuesRecordIn):
    member = selectors.member_get(request.auth, member_id)
    payment = services.payment_record(acting_user=request.auth, member=member, **body.model_dump())
    return payment


class DuesReportQuery(QuerySchema):
    org_id: Id
    period: str = Field(max_length=7, description="2026-11、2026Q4 或 2026")


class DuesReportRow(Schema):
    org_id: int
    name: str
    due: str
    collected: str
    unpaid: str
    rate: str | None


class DuesReportOut(Schema):
    period: str
    total: DuesReportRow
    children: list[DuesReportRow]


@router.get("/report", response=DuesReportOut, summary="党费收缴统计（本级及下级）")
def report(request, q: Query[DuesReportQuery]):
    org = org_selectors.org_get(request.auth, q.org_id)
    try:
        return reports.report(request.auth, org, q.period)
    except ValueError as exc:
        raise invalid(("query", "period"), str(exc)) from None


@router.get("/report.xlsx", summary="党费收缴统计（Excel）", response={200: None})
def report_xlsx(request, q: Query[DuesReportQuery]):
    org = org_selectors.org_get(request.auth, q.org_id)
    try:
        content = reports.report_xlsx(request.auth, org, q.period)
    except ValueError as exc:
        raise invalid(("query", "period"), str(exc)) from None
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="dues-report.xlsx"'
    return response
