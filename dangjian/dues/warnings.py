"""The kind of warning (预警) dues raises (registered with core.warnings)."""

from dangjian.core import warnings

SIX_MONTHS_UNPAID = warnings.register_kind(
    "dues.six_months_unpaid",
    label="连续六个月未交纳党费",
    doc="A member with six consecutive unpaid months (党章第九条 自行脱党: people decide, "
    "the platform only flags); cleared when the member pays.",
)
