"""Permissions over mobile and lost-contact members (admins hold every permission).

A mobile member's registration is seen by both sides: the home branch's subtree and the
host organisation's subtree (``models.host_or_own``); the member sees their own card.
"""

from dangjian.core.scope import register_permission

VIEW_MOBILITY = register_permission(
    "VIEW_MOBILITY",
    "mobility.view",
    "查看流动党员、失联党员、自行脱党情形",
    roles=("leader", "examiner"),
)
CHANGE_MOBILITY = register_permission(
    "CHANGE_MOBILITY",
    "mobility.change",
    "登记流动党员、记录参加活动、查找失联党员、分配工作",
    roles=(),
)
