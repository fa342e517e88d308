"""Every read of 组织关系转接, through ``Transfer.objects.visible_to``.

A transfer is seen by the sending branch's subtree, the receiving branch's subtree and
the member; one outside all three is a 404. The public verification of a letter reads
by its signed number and shows only the name and the two organisations.
"""

import datetime as dt
from typing import NamedTuple

from django.apps import apps
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from dangjian.core import cases, scope
from dangjian.core.scope import Perm, covers
from dangjian.members.choices import Status
from dangjian.members.selectors import member_with_id_number
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.transfers import rules
from dangjian.transfers.choices import IncomingStatus, TransferStatus
from dangjian.transfers.models import IncomingTransfer, Transfer

LETTER_SALT = "transfers.letter"
DESTINATIONS_SHOWN = 20


def transfer_queryset(user) -> QuerySet[Transfer]:
    return Transfer.objects.visible_to(user, Perm.VIEW_TRANSFER).select_related(
        "member", "from_branch", "to_branch", "current_org"
    )


def transfer_get(user, pk) -> Transfer:
    return scope.get_or_404(transfer_queryset(user), pk=pk)


def steps_of(transfer: Transfer) -> list:
    return list(transfer.steps.select_related("org", "decided_by"))


def history_of(transfer: Transfer) -> list:
    return list(transfer.events.select_related("actor"))


def destination_search(text: str) -> QuerySet[Organisation]:
    """Active branches anywhere on the platform by name or code: where a member may move
    (their names are public; nothing below them is shown)."""
    qs = Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__startswith=text.upper()))
    return qs.order_by("name", "pk")[:DESTINATIONS_SHOWN]


def destination_get(pk) -> Organisation | None:
    """The organisation a move is asked to (its rules are the service's to check)."""
    return Organisation.objects.filter(pk=pk).first()


def dues_paid_up_to(member) -> dt.date | None:
    """The month the member's dues are paid up to, when the dues app is installed."""
    if not apps.is_installed("dangjian.dues"):
        return None
    from dangjian.dues.selectors import paid_up_to

    return paid_up_to(member)


def on_side(user, transfer: Transfer, *, sending: bool = True, receiving: bool = True) -> bool:
    """Whether ``user`` holds the change right over the sending or the receiving branch."""
    return (sending and covers(user, Perm.CHANGE_TRANSFER, transfer.from_branch.path)) or (
        receiving
        and transfer.to_branch_id is not None
        and covers(user, Perm.CHANGE_TRANSFER, transfer.to_branch.path)
    )


class Actions(NamedTuple):
    approve: bool
    reject: bool
    withdraw: bool
    reissue: bool
    receive: bool
    letter: bool


def actions_for(user, transfer: Transfer) -> Actions:
    """Which buttons the user is shown (each service checks again under the lock)."""
    moves = cases.allowed(transfer, user)
    own = getattr(user, "member_id", None) == transfer.member_id
    sending = on_side(user, transfer, receiving=False)
    either = on_side(user, transfer)
    receiver = sending if transfer.external else on_side(user, transfer, sending=False)
    return Actions(
        approve=either and bool({"approve", "approve_final"} & moves),
        reject=either and "reject" in moves,
        withdraw=(own or sending) and "withdraw" in moves,
        reissue=sending and "reissue" in moves,
        receive=receiver and "receive" in moves,
        letter=transfer.letter_no is not None,
    )


# --- The letter's number and its public verification


def letter_token(letter_no: str) -> str:
    """The signed form of a letter number, put in the QR code's URL: a number typed or
    guessed without the signature is refused before any lookup."""
    return signing.Signer(salt=LETTER_SALT).sign(letter_no)


class Verification(NamedTuple):
    genuine: bool
    valid: bool
    verdict: str
    name: str = ""
    from_org: str = ""
    to_org: str = ""
    valid_until: dt.date | None = None


MSG_FORGED = "未能核验：该介绍信编号不存在或已被篡改，请勿接收"
MSG_VALID = "真实有效"
MSG_EXPIRED = "真实，但已过有效期"
MSG_VOID = "已作废（已重新开具新的介绍信）"
MSG_DONE = "真实，已办理接收手续"


def verify(token: str, today: dt.date | None = None) -> Verification:
    """What the public page says about a letter: genuine or not, still valid or not."""
    try:
        letter_no = signing.Signer(salt=LETTER_SALT).unsign(token)
    except signing.BadSignature:
        return Verification(False, False, MSG_FORGED)
    transfer = (
        Transfer.objects.select_related("member", "from_branch", "to_branch")
        .filter(letter_no=letter_no)
        .first()
    )
    if transfer is None:
        # A signed number no longer held: it was replaced by a reissued letter.
        return Verification(True, False, MSG_VOID)
    today = today or timezone.localdate()
    if transfer.status == TransferStatus.COMPLETED:
        valid, verdict = False, MSG_DONE
    elif rules.is_valid(transfer.letter_valid_until, today):
        valid, verdict = True, MSG_VALID
    else:
        valid, verdict = False, MSG_EXPIRED
    return Verification(
        True,
        valid,
        verdict,
        name=transfer.member.name,
        from_org=transfer.from_branch.name,
        to_org=transfer.destination,
        valid_until=transfer.letter_valid_until,
    )


# --- 组织关系转入


def incoming_queryset(user) -> QuerySet[IncomingTransfer]:
    """Incoming transfers of the receiving branches in the user's scope."""
    return IncomingTransfer.objects.visible_to(user, Perm.VIEW_TRANSFER).select_related(
        "to_branch", "current_org"
    )


def incoming_get(user, pk) -> IncomingTransfer:
    return scope.get_or_404(incoming_queryset(user).select_related("member"), pk=pk)


def incoming_steps(incoming: IncomingTransfer) -> list:
    return list(incoming.steps.select_related("org", "decided_by"))


def incoming_history(incoming: IncomingTransfer) -> list:
    return list(incoming.events.select_related("actor"))


def receiving_branches(user) -> QuerySet[Organisation]:
    """Active branches where the user may register an incoming letter."""
    return Organisation.objects.visible_to(user, Perm.CHANGE_TRANSFER).filter(
        org_type=OrgType.BRANCH, dissolved_on__isnull=True
    )


def returning_member(incoming: IncomingTransfer):
    """The record of a member once 已转出 from the platform whom this letter brings back
    (reopened on acceptance), or None."""
    if incoming.status != IncomingStatus.PENDING:
        return None
    found = member_with_id_number(incoming.id_number)
    return found if found is not None and found.status == Status.TRANSFERRED_OUT else None


class IncomingActions(NamedTuple):
    approve: bool
    reject: bool
    receipt: bool


def incoming_actions_for(user, incoming: IncomingTransfer) -> IncomingActions:
    """Which buttons the user is shown (each service checks again under the lock)."""
    side = covers(user, Perm.CHANGE_TRANSFER, incoming.to_branch.path)
    moves = cases.allowed(incoming, user) if side else frozenset()
    return IncomingActions(
        approve=bool({"approve", "accept"} & moves),
        reject="reject" in moves,
        receipt=incoming.status == IncomingStatus.ACCEPTED,
    )
