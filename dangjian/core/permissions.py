"""Core's own permission: reading the warnings (预警) of one's subtree. Resolving and
assigning them needs the change right over the warning's organisation."""

from dangjian.core.scope import register_permission

VIEW_WARNING = register_permission(
    "VIEW_WARNING", "warning.view", "查看所辖组织的预警", roles=("leader",)
)
