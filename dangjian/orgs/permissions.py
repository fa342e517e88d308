"""Permissions over the organisation tree (admins hold every permission)."""

from dangjian.core.scope import register_permission

VIEW_ORG = register_permission(
    "VIEW_ORG", "org.view", "查看组织", roles=("leader", "member", "examiner")
)
CHANGE_ORG = register_permission(
    "CHANGE_ORG", "org.change", "管理组织（设立、调整、撤销、任免）", roles=()
)
