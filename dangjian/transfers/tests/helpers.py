"""Making transfers over the test cast (tests.kit) for the transfer tests."""

import datetime as dt

from django.utils import timezone

from dangjian.transfers import services, workflow
from dangjian.transfers.models import IncomingTransfer, Transfer
from tests.kit import new_id_number


def apply(cast, member_key: str, to_key: str | None = None, **kw) -> Transfer:
    """``member_key`` applies (by the superuser) to the branch ``to_key``, or out of the
    platform when ``to_key`` is None."""
    extra = {"to_branch": cast.org[to_key]} if to_key else {}
    if not to_key:
        extra = {"external_org": "贵州省某县某党支部", "external_scope": "out_of_province"}
    return services.transfer_apply(
        acting_user=cast.user["root"],
        member=cast.member[member_key],
        reason="工作调动",
        **{**extra, **kw},
    )


def approve_all(cast, transfer: Transfer) -> Transfer:
    """Every step approved, in order, by the superuser (the letter is issued)."""
    while transfer.status == "pending":
        services.transfer_approve(acting_user=cast.user["root"], transfer=transfer)
    return transfer


def approver_keys(cast, transfer: Transfer) -> list[list[str]]:
    """Who approves each step, as user keys of the cast."""
    names = {u.pk: k for k, u in cast.user.items()}
    return [
        sorted(names[u.pk] for u in workflow.approvers(step.org))
        for step in transfer.steps.select_related("org")
    ]


def letter_fields(**kw) -> dict:
    """An incoming letter from another province, issued five days ago for 30 days, the
    member reporting today; a full member born in 1985 (a fresh ID number)."""
    today = timezone.localdate()
    fields = {
        "origin": "other_province",
        "from_org": "贵州省贵阳市某社区党支部",
        "issuing_org": "中共贵阳市云岩区委组织部",
        "letter_no": "黔组转〔2026〕0123号",
        "letter_issued_on": today - dt.timedelta(days=5),
        "letter_valid_until": today + dt.timedelta(days=25),
        "reported_on": today,
        "name": "王晓红",
        "id_number": new_id_number(dt.date(1985, 3, 14), male=False),
        "ethnicity": "苗族",
        "education": "bachelor",
        "joined_on": dt.date(2010, 7, 1),
        "full_member_on": dt.date(2011, 7, 1),
        "member_status": "full",
        "dues_paid_until": today.replace(day=1),
    }
    return {**fields, **kw}


def register_in(cast, branch_key: str = "B1", *, user: str = "root", **kw) -> IncomingTransfer:
    """The receiving side (``user``) registers a letter for ``branch_key``."""
    return services.incoming_register(
        acting_user=cast.user[user], to_branch=cast.org[branch_key], **letter_fields(**kw)
    )


def accept_all(cast, incoming: IncomingTransfer) -> IncomingTransfer:
    """Every step approved, in order, by the superuser (the member is accepted)."""
    while incoming.status == "pending":
        services.incoming_approve(acting_user=cast.user["root"], incoming=incoming)
    return incoming
