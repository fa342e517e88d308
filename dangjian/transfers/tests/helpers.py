"""Making transfers over the test cast (tests.kit) for the transfer tests."""

from dangjian.transfers import services, workflow
from dangjian.transfers.models import Transfer


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
