"""The kinds of warning (预警) 发展党员 raises (registered with core.warnings)."""

from dangjian.core import warnings

STEP_OVERDUE = warnings.register_kind(
    "recruitment.step_overdue",
    label="发展党员步骤逾期",
    doc="A time limit of 发展党员工作细则 passed: the talk (1 month), the half-yearly "
    "review, the approval (3 months), the conversion discussion, the conversion approval. "
    "Cleared when the step is recorded or the application ends.",
)
