"""Permissions over member records (admins hold every permission)."""

from dangjian.core.scope import register_permission

VIEW_MEMBER = register_permission(
    "VIEW_MEMBER", "member.view", "查看党员（脱敏）", roles=("leader", "member", "examiner")
)
CHANGE_MEMBER = register_permission("CHANGE_MEMBER", "member.change", "维护党员信息", roles=())
# Fellow members of a branch see one another's names, groups and posts only; birth dates,
# ethnicity, education, masked ID and phone numbers… are for those over the branch.
VIEW_MEMBER_DETAILS = register_permission(
    "VIEW_MEMBER_DETAILS",
    "member.details",
    "查看党员详细信息（出生日期、民族、学历、党籍、脱敏的身份证号和手机号）",
    roles=("leader", "examiner"),
)
REVEAL_MEMBER = register_permission(
    "REVEAL_MEMBER", "member.reveal", "查看未脱敏的身份证号、手机号", roles=()
)
EXPORT_MEMBER = register_permission(
    "EXPORT_MEMBER", "member.export", "导出党员名册（脱敏、带水印、限量）", roles=("leader",)
)
