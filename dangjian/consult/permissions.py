"""The 12371 service's roles and permissions (admins hold every permission)."""

from dangjian.core.scope import grant_permissions, register_permission, register_role
from dangjian.members.permissions import VIEW_MEMBER
from dangjian.orgs.permissions import VIEW_ORG

AGENT = register_role("AGENT", "agent", "12371坐席")
HANDLER = register_role("HANDLER", "handler", "部门经办人")

VIEW_CONSULT = register_permission(
    "VIEW_CONSULT",
    "consult.view",
    "查看咨询工单与统计",
    roles=("leader", "agent", "handler"),
)
HANDLE_CONSULT = register_permission(
    "HANDLE_CONSULT", "consult.handle", "受理、答复工单", roles=("agent", "handler")
)
EDIT_KB = register_permission("EDIT_KB", "consult.kb", "编辑知识库", roles=("agent",))

grant_permissions("agent", (VIEW_ORG, VIEW_MEMBER))
grant_permissions("handler", (VIEW_ORG,))
