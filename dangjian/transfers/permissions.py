"""Permissions over 组织关系转接 (admins hold every permission).

A member always sees their own transfers (``models.own_or_receiving``); approving,
rejecting, applying on a member's behalf and recording the 回执 need the change right,
and approving needs, besides, to be the current step's approver (``workflow``).
"""

from dangjian.core.scope import register_permission

VIEW_TRANSFER = register_permission(
    "VIEW_TRANSFER", "transfers.view", "查看组织关系转接", roles=("leader", "examiner")
)
CHANGE_TRANSFER = register_permission(
    "CHANGE_TRANSFER", "transfers.change", "办理组织关系转接（审批、开具介绍信、回执）", roles=()
)
