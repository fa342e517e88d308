"""The kind of warning (预警) transfers raise (registered with core.warnings)."""

from dangjian.core import warnings

TRANSFER_OVERDUE = warnings.register_kind(
    "transfers.overdue",
    label="组织关系转接超时未办",
    doc="A step of a transfer left past its deadline (审批 or 接收): raised at the level it "
    "escalated to, once per level.",
)
