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
        "acting_user_id": (int | None, "登记回执的用户编号"),
        "received_on": (str, "接收日期（YYYY-MM-DD）"),
        "letter_no": (str, "介绍信编号"),
    },
    doc="The 回执 was recorded: the member moved (or left the platform). mobility ends "
    "their active 流动党员 registration in response, as the acting user.",
)
