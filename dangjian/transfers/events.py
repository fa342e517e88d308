"""Events transfers publish (core.events)."""

from dangjian.core import events

TRANSFER_COMPLETED = events.declare(
    "transfers.completed",
    label="组织关系转接完成",
    payload={
        "transfer_id": (int, "转接编号"),
        "member_id": (int, "党员编号"),
        "from_org_id": (int, "转出党支部编号"),
        "to_org_id": (int | None, "转入党支部编号（转出平台外时为空）"),
    },
)
