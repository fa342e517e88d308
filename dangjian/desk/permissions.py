"""The service desk's roles and permissions (admins hold every permission).

The 12371 agent also edits the knowledge base: the desk grants the knowledge app's
``EDIT_KB`` to its own role. The codes keep the names they had when the two apps were one
(``consult.view``, ``consult.handle``).
"""

from dangjian.core.scope import grant_permissions, register_permission, register_role
from dangjian.knowledge.permissions import EDIT_KB
from dangjian.members.permissions import VIEW_MEMBER, VIEW_MEMBER_DETAILS
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

grant_permissions("agent", (VIEW_ORG, VIEW_MEMBER, VIEW_MEMBER_DETAILS, EDIT_KB))
grant_permissions("handler", (VIEW_ORG,))
MANAGE_OFFICES = register_permission(
    "MANAGE_OFFICES", "consult.offices", "维护12371业务处室（责任人、联络员）", roles=()
)
