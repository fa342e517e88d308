"""The member roster export (党员名册): the list's filters → a masked, watermarked file.

Who: roles with ``Perm.EXPORT_MEMBER`` (admin, leader), over their subtree only — a
member's own record or a view-only scope is not enough. ID numbers, phones and
addresses stay masked; the machinery (limits, watermark, audit) is ``core.exports``.
"""

from django.core.exceptions import PermissionDenied

from dangjian.core import scope
from dangjian.core.exports import Column, export
from dangjian.core.scope import Perm
from dangjian.members.models import Member

TITLE = "党员名册"
ACTION = "member.export"
MSG_NO_EXPORT = "您没有导出党员名册的权限"


def _columns() -> list[Column]:
    columns = [
        Column("姓名", lambda m: m.name, 10),
        Column("性别", lambda m: m.get_gender_display(), 6),
        Column("民族", lambda m: m.ethnicity, 8),
        Column("出生日期", lambda m: m.birth_date, 12),
        Column("公民身份号码（脱敏）", lambda m: m.id_number_masked, 22),
        Column("手机号（脱敏）", lambda m: m.phone_masked, 14),
    ]
    if hasattr(Member, "address_masked"):
        columns.append(Column("家庭住址（脱敏）", lambda m: m.address_masked, 20))
    columns += [
        Column("学历", lambda m: m.get_education_display(), 12),
        Column("职业/岗位", lambda m: m.occupation, 14),
        Column("入党日期", lambda m: m.joined_on, 12),
        Column("转正日期", lambda m: m.full_member_on, 12),
        Column("党籍状态", lambda m: m.get_status_display(), 10),
        Column("所在党支部", lambda m: m.branch.name, 24),
        Column("所在党小组", lambda m: m.group.name if m.group_id else "", 14),
    ]
    return columns


def export_queryset(user):
    """Members the user may export: their EXPORT_MEMBER subtrees (never their own record
    by virtue of being a member)."""
    if not scope.scope_paths(user, Perm.EXPORT_MEMBER):
        raise PermissionDenied(MSG_NO_EXPORT)
    return (
        Member.objects.visible_to(user, Perm.EXPORT_MEMBER)
        .select_related("branch", "group")
        .order_by("branch__path", "name", "id")
    )


def can_export(user) -> bool:
    return bool(scope.scope_paths(user, Perm.EXPORT_MEMBER))


def member_roster_export(*, user, queryset, filters: dict, fmt: str, org=None, ip=None):
    """The audited, limited, watermarked roster of ``queryset``.

    ``queryset`` is :func:`export_queryset` narrowed by the list's FilterSet; ``filters``
    are the filters as given (for the audit entry). ``org`` (the ``?org=`` organisation,
    fetched through a scoped selector) must lie in the export scope: visible but not
    exportable → 403.
    """
    if org is not None:
        scope.authorize(user, Perm.EXPORT_MEMBER, org.path, view_perm=Perm.VIEW_ORG)
        org_path = org.path
    else:
        paths = scope.scope_paths(user, Perm.EXPORT_MEMBER)
        org_path = "" if paths is scope.ALL else scope.common_path(paths)
    filters = {name: str(value) for name, value in filters.items() if value not in (None, "")}
    return export(
        user=user,
        perm=Perm.EXPORT_MEMBER,
        action=ACTION,
        queryset=queryset,
        columns=_columns(),
        title=TITLE,
        fmt=fmt,
        filters=filters,
        org_path=org_path,
        ip=ip,
    )
