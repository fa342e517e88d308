"""The knowledge base's permission. Admins hold every permission; the service desk grants
this one to its agents (``desk/permissions.py``). Its code keeps the name it had when the
two apps were one (``consult.kb``), as do the desk's."""

from dangjian.core.scope import register_permission

EDIT_KB = register_permission("EDIT_KB", "consult.kb", "编辑知识库", roles=())
