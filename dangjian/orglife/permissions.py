"""Permissions over organisational life (admins hold every permission)."""

from dangjian.core.scope import register_permission

VIEW_ORGLIFE = register_permission(
    "VIEW_ORGLIFE",
    "orglife.view",
    "查看组织生活（会议、纪要、考勤、合规）",
    roles=("leader", "member", "examiner"),
)
CHANGE_ORGLIFE = register_permission(
    "CHANGE_ORGLIFE", "orglife.change", "安排、记录组织生活", roles=()
)
