"""组织关系转接's part of the access matrix (tests/access/spec.py).

The objects are one transfer per branch, by its first member (B1m1 is the ``member``
user, who sees their own): B1 → B3, B2 → B4, B3 → B1, B4 → out of the platform — pending
(``transfer``) or with the letter issued (``issued``, all on the platform: B4 → B1).
A transfer is seen with VIEW_TRANSFER (管理员, 单位领导, 审查人员) over the sending
*or* the receiving branch, and by the member. Acting needs CHANGE_TRANSFER (管理员) over
either side; approving and rejecting need, besides, to be the current step's approver
(the 管理员 nearest the step's organisation: anyone else is told so, 422 / the page's
message). Withdrawing and reissuing belong to the sending side (and the member may
withdraw), the 回执 to the receiving side. The public verification page answers anyone.

组织关系转入: one letter per branch, pending (``incoming``: its first step is the 县委's,
approved by the nearest admin of the branch's county — K3 has none, so the province's
for B4) or accepted (``arrived``, for its 回执). Seen with VIEW_TRANSFER over the
receiving branch; acting needs CHANGE_TRANSFER over it, and approving, besides, to be
the current step's approver. Registering names the branch in the body: a branch out of
sight is a 422 on ``to_org_id``; seen without the change right, 403.
"""

from django.utils import timezone

from dangjian.core.scope import Perm
from dangjian.members.models import Member
from dangjian.orgs.models import Organisation
from dangjian.orgs.permissions import VIEW_ORG
from dangjian.transfers import selectors, services
from dangjian.transfers.models import IncomingStep, IncomingTransfer, Transfer, TransferStep
from dangjian.transfers.permissions import CHANGE_TRANSFER, VIEW_TRANSFER
from dangjian.transfers.tests.helpers import accept_all, letter_fields, register_in
from tests.access.spec import EVERYONE, Endpoint, Kind, Obj, Page, Spec, granted, sees
from tests.kit import BRANCHES

API = "/api/v1/transfers/{transfer_id}"
TO = {"B1": "B3", "B2": "B4", "B3": "B1", "B4": None}
ISSUED_TO = {**TO, "B4": "B1"}
FIRST_APPROVER = {  # role_holders(管理员) nearest each sending branch in the cast
    "B1": "branch_admin",
    "B2": "committee_admin",
    "B3": "sibling_county_admin",
    "B4": "province_admin",
}


def _make(ctx, destinations: dict, *, issue: bool) -> list[Obj]:
    root = ctx.cast.user["root"]
    made = []
    for key in BRANCHES:
        to = destinations[key]
        target = {"to_branch": ctx.cast.org[to]} if to else {}
        if not to:
            target = {"external_org": "贵州省某县党支部", "external_scope": "out_of_province"}
        t = services.transfer_apply(
            acting_user=root, member=ctx.cast.member[f"{key}m1"], reason="工作调动", **target
        )
        while issue and t.status == "pending":
            services.transfer_approve(acting_user=root, transfer=t)
        owner = "member" if key == "B1" else None
        data = {"to": to}
        if issue:
            data["token"] = selectors.letter_token(t.letter_no)
        made.append(Obj(key, t.pk, key, Transfer, owner, data))
    return made


def pending(ctx) -> list[Obj]:
    return _make(ctx, TO, issue=False)


def issued(ctx) -> list[Obj]:
    return _make(ctx, ISSUED_TO, issue=True)


def applicants(ctx) -> list[Obj]:
    """A member of each branch, who may be put forward for a transfer."""
    return [
        Obj(key, ctx.cast.member[f"{key}m1"].pk, key, Member, "member" if key == "B1" else None)
        for key in BRANCHES
    ]


INCOMING_API = "/api/v1/transfers/incoming/{incoming_id}"
FIRST_IN_APPROVER = {"B1": "county_admin", "B2": "county_admin", "B3": "sibling_county_admin",
                     "B4": "province_admin"}  # fmt: skip


def incoming(ctx) -> list[Obj]:
    return [Obj(key, register_in(ctx.cast, key).pk, key, IncomingTransfer) for key in BRANCHES]


def arrived(ctx) -> list[Obj]:
    return [
        Obj(key, accept_all(ctx.cast, register_in(ctx.cast, key)).pk, key, IncomingTransfer)
        for key in BRANCHES
    ]


def receiving(ctx) -> list[Obj]:
    return [Obj(key, ctx.cast.org[key].pk, key, Organisation) for key in BRANCHES]


def _register_body(ctx, obj) -> dict:
    fields = {
        k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in letter_fields().items()
    }
    return {**fields, "to_org_id": obj.pk}


def _in_approver(ok: int, refused: int):
    return lambda user_key, obj: ok if user_key in ("root", FIRST_IN_APPROVER[obj.org]) else refused


def _not_in_approver(user_key: str, obj: Obj) -> bool:
    return user_key not in ("root", FIRST_IN_APPROVER[obj.org])


def own_or_receiving(user_key: str, obj: Obj) -> bool:
    to = obj.data.get("to")
    return obj.owner == user_key or bool(to and to in granted(user_key, VIEW_TRANSFER))


def owner(user_key: str, obj: Obj) -> bool:
    return obj.owner == user_key


def receiving_side(user_key: str, obj: Obj) -> bool:
    to = obj.data.get("to")
    return bool(to and to in granted(user_key, CHANGE_TRANSFER))


def _approver(ok: int, refused: int):
    return lambda user_key, obj: ok if user_key in ("root", FIRST_APPROVER[obj.org]) else refused


def _receipt(ok: int):
    def expect(user_key: str, obj: Obj) -> int | None:
        if not sees(user_key, obj, VIEW_TRANSFER, own_or_receiving):
            return None  # the oracle's 404
        return ok if user_key == "root" or receiving_side(user_key, obj) else 403

    return expect


def _receipt_entries(user_key: str, obj: Obj) -> int:
    """The 回执 and the member's move; and the 普通党员 role of the member's login
    following them (B1m1 is the ``member`` user)."""
    return 3 if obj.owner == "member" else 2


def _not_approver(user_key: str, obj: Obj) -> bool:
    return user_key not in ("root", FIRST_APPROVER[obj.org])


def state():
    return (
        list(
            Transfer.objects.order_by("pk").values_list("pk", "status", "steps_done", "letter_no")
        ),
        list(TransferStep.objects.order_by("pk").values_list("pk", "decision")),
        list(Member.objects.order_by("pk").values_list("pk", "branch_id")),
        list(
            IncomingTransfer.objects.order_by("pk").values_list(
                "pk", "status", "steps_done", "member_id"
            )
        ),
        list(IncomingStep.objects.order_by("pk").values_list("pk", "decision")),
    )


def _today(ctx, obj) -> dict:
    return {"received_on": timezone.localdate().isoformat(), "note": "已报到"}


def _apply_body(ctx, obj) -> dict:
    to = "B2" if obj.key == "B1" else "B1"
    return {"member_id": obj.pk, "to_org_id": ctx.cast.org[to].pk, "reason": "工作调动"}


CHANGE = {"perm": CHANGE_TRANSFER, "may_also": receiving_side}
APPROVE = {**CHANGE, "outcome": _approver(200, 422)}

SPEC = Spec(
    module="transfers",
    kinds=[
        Kind("transfer", pending, view=VIEW_TRANSFER, also=own_or_receiving),
        Kind("issued", issued, view=VIEW_TRANSFER, also=own_or_receiving),
        Kind("applicant", applicants, view=Perm.VIEW_MEMBER, also=owner),
        Kind("incoming", incoming, view=VIEW_TRANSFER),
        Kind("arrived", arrived, view=VIEW_TRANSFER),
        Kind("receiving", receiving, view=VIEW_ORG),
    ],
    endpoints=[
        Endpoint("get", API, obj="transfer"),
        Endpoint("post", API + "/approve", obj="transfer", **APPROVE, body=lambda c, o: {}),
        Endpoint(
            "post",
            API + "/reject",
            obj="transfer",
            **APPROVE,
            body=lambda c, o: {"reason": "材料不全"},
        ),
        Endpoint(
            "post",
            API + "/withdraw",
            obj="transfer",
            perm=CHANGE_TRANSFER,
            may_also=owner,
            body=lambda c, o: {"reason": "暂不转接"},
        ),
        Endpoint("post", API + "/reissue", obj="issued", perm=CHANGE_TRANSFER),
        Endpoint(
            "post",
            API + "/receipt",
            obj="issued",
            expect=_receipt(200),
            audited=_receipt_entries,
            body=_today,
        ),
        Endpoint("get", API + "/letter", obj="issued"),
        Endpoint(
            "post",
            "/api/v1/transfers",
            obj="applicant",
            perm=CHANGE_TRANSFER,
            may_also=owner,
            hidden=422,
            ok=201,
            body=_apply_body,
        ),
        Page("get", "transfers:detail", obj="transfer"),
        Page(
            "post",
            "transfers:approve",
            obj="transfer",
            **CHANGE,
            ok=302,
            unchanged=_not_approver,
            body=lambda c, o: {"note": ""},
        ),
        Page(
            "post",
            "transfers:reject",
            obj="transfer",
            **CHANGE,
            ok=302,
            unchanged=_not_approver,
            body=lambda c, o: {"reason": "材料不全"},
        ),
        Page(
            "post",
            "transfers:withdraw",
            obj="transfer",
            perm=CHANGE_TRANSFER,
            may_also=owner,
            ok=302,
            body=lambda c, o: {"reason": ""},
        ),
        Page("post", "transfers:reissue", obj="issued", perm=CHANGE_TRANSFER, ok=302),
        Page(
            "post",
            "transfers:receipt",
            obj="issued",
            expect=_receipt(302),
            audited=_receipt_entries,
            body=_today,
        ),
        Page("get", "transfers:letter", obj="issued"),
        Page(
            "get",
            "transfers:verify",
            obj="issued",
            view_perm=EVERYONE,
            args=lambda obj: [obj.data["token"]],
        ),
        Page("get", "transfers:apply_for", obj="applicant", perm=CHANGE_TRANSFER, may_also=owner),
        # 组织关系转入
        Endpoint(
            "post",
            "/api/v1/transfers/incoming",
            obj="receiving",
            perm=CHANGE_TRANSFER,
            hidden=422,
            ok=201,
            body=_register_body,
        ),
        Endpoint("get", INCOMING_API, obj="incoming"),
        Endpoint(
            "post",
            INCOMING_API + "/approve",
            obj="incoming",
            perm=CHANGE_TRANSFER,
            outcome=_in_approver(200, 422),
            body=lambda c, o: {},
        ),
        Endpoint(
            "post",
            INCOMING_API + "/reject",
            obj="incoming",
            perm=CHANGE_TRANSFER,
            outcome=_in_approver(200, 422),
            body=lambda c, o: {"reason": "介绍信印章不清"},
        ),
        Endpoint("get", INCOMING_API + "/receipt", obj="arrived"),
        Page("get", "transfers:incoming_detail", obj="incoming"),
        Page(
            "post",
            "transfers:incoming_approve",
            obj="incoming",
            perm=CHANGE_TRANSFER,
            ok=302,
            unchanged=_not_in_approver,
            body=lambda c, o: {"note": ""},
        ),
        Page(
            "post",
            "transfers:incoming_reject",
            obj="incoming",
            perm=CHANGE_TRANSFER,
            ok=302,
            unchanged=_not_in_approver,
            body=lambda c, o: {"reason": "介绍信印章不清"},
        ),
        Page("get", "transfers:incoming_receipt", obj="arrived"),
    ],
    exempt={
        "GET /api/v1/transfers": "a list: exactly the scope, transfers/tests/test_access.py",
        "GET /api/v1/transfers/destinations": "public branch names, transfers/tests/test_api.py",
        "GET /api/v1/transfers/incoming": "a list: exactly the scope, "
        "transfers/tests/test_incoming.py and test_incoming_pages.py",
    },
    state=state,
    roles={VIEW_TRANSFER: {"admin", "leader", "examiner"}, CHANGE_TRANSFER: {"admin"}},
)
