"""组织关系转接's menu entry (core.menu): a member sees and applies for their own."""

from dangjian.core.menu import Entry, register
from dangjian.transfers.permissions import VIEW_TRANSFER

register(
    Entry(
        "transfers",
        "组织关系转接",
        "transfers:list",
        70,
        perms=(VIEW_TRANSFER,),
        member=True,
        short="转接",
        section="transfers",
    ),
)
