"""Permissions over party dues (admins hold every permission)."""

from dangjian.core.scope import register_permission

VIEW_DUES = register_permission(
    "VIEW_DUES", "dues.view", "查看党费（基数、账单、缴纳、统计）", roles=("leader", "examiner")
)
CHANGE_DUES = register_permission(
    "CHANGE_DUES", "dues.change", "核定党费基数、登记缴纳与退款", roles=()
)
