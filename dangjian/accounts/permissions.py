"""The platform's general roles. Apps register the roles of their own trade (a 12371
agent, a department handler) in their own ``permissions.py``."""

from dangjian.core.scope import register_role

LEADER = register_role("LEADER", "leader", "单位领导")
ADMIN = register_role("ADMIN", "admin", "管理员", every_permission=True)
MEMBER = register_role("MEMBER", "member", "普通党员")
EXAMINER = register_role("EXAMINER", "examiner", "考核人员")  # 考核/审查人员
