"""The kinds of warning (预警) the 12371 service raises (registered with core.warnings)."""

from dangjian.core import warnings

ORDER_OVERDUE = warnings.register_kind(
    "consult.overdue",
    label="12371工单超时未办",
    doc="A work order past its deadline, escalated one level up the tree; one warning per "
    "level reached, raised at the desk it was escalated to and cleared when it is answered.",
)
CONSULTATION_OVERDUE = warnings.register_kind(
    "consult.consultation_overdue",
    label="协商联动处室逾期未回复",
    doc="An office (业务处室) asked for its input on a work order has not answered by its "
    "deadline on the workday calendar; raised at the office's organisation, its 联络员 and "
    "责任人 reminded, cleared when it answers.",
)
