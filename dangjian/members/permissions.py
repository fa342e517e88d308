"""Permissions over member records (admins hold every permission)."""

from dangjian.core.scope import register_permission

VIEW_MEMBER = register_permission(
    "VIEW_MEMBER", "member.view", "查看党员（脱敏）", roles=("leader", "member", "examiner")
)
CHANGE_MEMBER = register_permission("CHANGE_MEMBER", "member.change", "维护党员信息", roles=())
REVEAL_MEMBER = register_permission(
    "REVEAL_MEMBER", "member.reveal", "查看未脱敏的身份证号、手机号", roles=()
)
EXPORT_MEMBER = register_permission(
    "EXPORT_MEMBER", "member.export", "导出党员名册（脱敏、带水印、限量）", roles=("leader",)
)
