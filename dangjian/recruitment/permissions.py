"""Permissions over 发展党员 (admins hold every permission)."""

from dangjian.core.scope import register_permission

VIEW_RECRUITMENT = register_permission(
    "VIEW_RECRUITMENT",
    "recruitment.view",
    "查看发展党员（申请人、积极分子、发展对象、预备党员的全程纪实）",
    roles=("leader", "examiner"),
)
CHANGE_RECRUITMENT = register_permission(
    "CHANGE_RECRUITMENT", "recruitment.change", "办理发展党员步骤、制定发展计划", roles=()
)
