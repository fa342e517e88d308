"""The kinds of warning (预警) the 12371 service raises (registered with core.warnings)."""

from dangjian.core import warnings

ORDER_OVERDUE = warnings.register_kind(
    "consult.overdue",
    label="12371工单超时未办",
    doc="A work order past its deadline, escalated one level up the tree; one warning per "
    "level reached, raised at the desk it was escalated to and cleared when it is answered.",
)
