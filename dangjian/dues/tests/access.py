"""Party dues' part of the access matrix (tests/access/spec.py).

The objects are, in every branch, a cash payment for its first member (B1m1's is the
``member`` user's own) and that member. Dues are seen with VIEW_DUES over the member's
branch (管理员, 单位领导, 审查人员 — not plain members, agents or handlers), and a member
sees their own payments; setting bases, recording payments and refunds need CHANGE_DUES
(管理员).

The dues keeper's pages: an organisation's 基数核定 list needs VIEW_DUES over it (its
farmers' amount, posted to a branch's page, CHANGE_DUES); a member's 核定 and 登记缴纳
pages and a payment's refund need CHANGE_DUES; a payment's page is seen as the payment.
"""

import datetime as dt

from django.utils import timezone

from dangjian.dues import services
from dangjian.dues.models import Bill, BranchSetting, DuesBase, Payment
from dangjian.dues.permissions import CHANGE_DUES, VIEW_DUES
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation
from dangjian.orgs.permissions import VIEW_ORG
from dangjian.orgs.tests.access import orgs
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import BRANCHES

THIS = timezone.localdate().replace(day=1)
LAST = (THIS - dt.timedelta(days=1)).replace(day=1)


def _base(ctx, key):
    member = ctx.cast.member[key]
    if not DuesBase.objects.filter(member=member).exists():
        services.base_set(
            acting_user=ctx.cast.user["root"],
            member=member,
            category="employed",
            effective_month=dt.date(2021, 1, 1),
            base_fen=300000,
        )
    return member


def members(ctx) -> list[Obj]:
    return [
        Obj(f"{b}m1", _base(ctx, f"{b}m1").pk, b, Member, "member" if b == "B1" else None)
        for b in BRANCHES
    ]


def payments(ctx) -> list[Obj]:
    made = []
    for b in BRANCHES:
        member = _base(ctx, f"{b}m1")
        payment = services.payment_record(
            acting_user=ctx.cast.user["root"], member=member, months=[LAST], channel="cash"
        )
        made.append(Obj(b, payment.pk, b, Payment, "member" if b == "B1" else None))
    return made


def branches(ctx) -> list[Obj]:
    return [Obj(b, ctx.cast.org[b].pk, b, Organisation) for b in BRANCHES]


def owns(user_key: str, obj: Obj) -> bool:
    return obj.owner == user_key


def state():
    return (
        list(Bill.objects.order_by("pk").values_list("pk", "status", "amount_fen", "payment_id")),
        list(Payment.objects.order_by("pk").values_list("pk", "status")),
        list(DuesBase.objects.order_by("pk").values_list("pk", "amount_fen", "updated_at")),
    )


SPEC = Spec(
    module="dues",
    kinds=[
        Kind("dues_payment", payments, view=VIEW_DUES, also=owns),
        Kind("dues_member", members, view=VIEW_DUES),
        Kind("org", orgs, view=VIEW_ORG),
        Kind("dues_branch", branches, view=VIEW_ORG),
    ],
    endpoints=[
        Endpoint("get", "/api/v1/dues/payments/{payment_id}", obj="dues_payment"),
        Endpoint(
            "post",
            "/api/v1/dues/payments/{payment_id}/refund",
            obj="dues_payment",
            perm=CHANGE_DUES,
            body=lambda ctx, obj: {"reason": "误缴"},
            audited=None,
        ),
        Endpoint(
            "post",
            "/api/v1/dues/members/{member_id}/base",
            obj="dues_member",
            perm=CHANGE_DUES,
            ok=201,
            body=lambda ctx, obj: {
                "category": "retired",
                "effective_month": THIS.isoformat(),
                "base": "4000.00",
            },
            audited=None,
        ),
        Endpoint(
            "post",
            "/api/v1/dues/members/{member_id}/payments",
            obj="dues_member",
            perm=CHANGE_DUES,
            ok=201,
            body=lambda ctx, obj: {"months": [THIS.isoformat()], "channel": "bank"},
            audited=None,
        ),
        Page("get", "dues:receipt", obj="dues_payment"),
        Page("get", "dues:report", obj="org"),
        Page("get", "dues:bases", obj="org", perm=VIEW_DUES),
        Page(
            "post",
            "dues:bases",
            obj="dues_branch",
            perm=CHANGE_DUES,
            ok=302,
            body=lambda ctx, obj: {"farmer_fen": "0.5"},
        ),
        Page("get", "dues:member_base", obj="dues_member", perm=CHANGE_DUES),
        Page(
            "post",
            "dues:member_base",
            obj="dues_member",
            perm=CHANGE_DUES,
            ok=302,
            body=lambda ctx, obj: {
                "category": "retired",
                "effective_month": f"{THIS:%Y-%m}",
                "base_fen": "4000.00",
            },
            audited=None,
        ),
        Page("get", "dues:member_record", obj="dues_member", perm=CHANGE_DUES),
        Page(
            "post",
            "dues:member_record",
            obj="dues_member",
            perm=CHANGE_DUES,
            ok=302,
            body=lambda ctx, obj: {"months": [THIS.isoformat()], "channel": "bank"},
            audited=None,
        ),
        Page("get", "dues:payment", obj="dues_payment"),
        Page("get", "dues:payment_refund", obj="dues_payment", perm=CHANGE_DUES),
        Page(
            "post",
            "dues:payment_refund",
            obj="dues_payment",
            perm=CHANGE_DUES,
            ok=302,
            body=lambda ctx, obj: {"reason": "误缴", "confirm": "on"},
            audited=None,
        ),
    ],
    exempt={
        "GET /api/v1/dues/amount": "public rule calculator, no object (dues/tests/test_rules.py)",
        "GET /api/v1/dues/bills/mine": "one's own bills (dues/tests/test_api.py)",
        "GET /api/v1/dues/arrears": "a list through scope (dues/tests/test_api.py)",
        "GET /api/v1/dues/payments": "a list through scope (dues/tests/test_api.py)",
        "POST /api/v1/dues/pay": "pays one's own bills only (dues/tests/test_payments.py)",
        "POST /api/v1/dues/notify/sandbox": "the provider's signed notification "
        "(dues/tests/test_payments.py: forged, replayed)",
        "GET /api/v1/dues/report": "org_id in the query, read through scope "
        "(dues/tests/test_reports.py)",
        "GET /api/v1/dues/report.xlsx": "org_id in the query, read through scope "
        "(dues/tests/test_reports.py)",
        "dues:sandbox_pay": "the sandbox provider's pay page, by its random order number",
    },
    state=lambda: (*state(), list(BranchSetting.objects.values_list("branch_id", "farmer_fen"))),
    roles={VIEW_DUES: {"admin", "leader", "examiner"}, CHANGE_DUES: {"admin"}},
)
