"""Who sees what: the ONE place that decides which rows a user may read or change.

"上级可以查看下级信息，下级不能查看上级信息": a role held at an organisation grants that
organisation's whole subtree and nothing above or beside it. Organisations use
materialized paths (django-treebeard), so "inside the subtree of X" is
``path LIKE 'X.path%'`` — one indexed prefix test, whatever the depth.

Each scoped model declares once how it belongs to the tree, with its manager::

    class Meeting(models.Model):
        branch = models.ForeignKey(Organisation, ...)
        objects = ScopedManager(org="branch", also=attended_by)

and ``Meeting.objects.visible_to(user, perm)`` is then the only way its rows are read:
rows whose organisation (reached by joining through ``org``, never by a copied path)
lies in one of the user's subtrees for ``perm``, plus whatever the ``also`` rule adds
(the member's own record, the asker's own conversation). Because visibility is always
computed through the key, it follows the tree as it is *now*: after a move or a
transfer, the old superiors see nothing of what moved.

An object outside the scope is answered with 404 (:func:`get_or_404`), so its
existence never leaks.
"""

from collections.abc import Callable, Iterable
from enum import StrEnum

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404


class Role(StrEnum):
    LEADER = "leader"  # 单位领导
    ADMIN = "admin"  # 管理员
    MEMBER = "member"  # 普通党员
    AGENT = "agent"  # 12371 坐席
    HANDLER = "handler"  # 部门经办人
    EXAMINER = "examiner"  # 考核/审查人员


class Perm(StrEnum):
    VIEW_ORG = "org.view"
    CHANGE_ORG = "org.change"
    VIEW_MEMBER = "member.view"
    CHANGE_MEMBER = "member.change"
    REVEAL_MEMBER = "member.reveal"  # 查看未脱敏的身份证号、手机号
    EXPORT_MEMBER = "member.export"  # 导出党员名册（脱敏、带水印、限量）
    VIEW_ORGLIFE = "orglife.view"  # 查看组织生活（会议、纪要、考勤、合规）
    CHANGE_ORGLIFE = "orglife.change"  # 安排、记录组织生活
    VIEW_CONSULT = "consult.view"  # 查看咨询工单与统计
    HANDLE_CONSULT = "consult.handle"  # 受理、答复工单（坐席、经办人）
    EDIT_KB = "consult.kb"  # 编辑知识库
    VIEW_WARNING = "warning.view"  # 查看所辖组织的预警（处理、指派另需 CHANGE_ORG）


ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEADER: frozenset(
        {
            Perm.VIEW_ORG,
            Perm.VIEW_MEMBER,
            Perm.EXPORT_MEMBER,
            Perm.VIEW_ORGLIFE,
            Perm.VIEW_CONSULT,
            Perm.VIEW_WARNING,
        }
    ),
    Role.MEMBER: frozenset({Perm.VIEW_ORG, Perm.VIEW_MEMBER, Perm.VIEW_ORGLIFE}),
    Role.AGENT: frozenset(
        {Perm.VIEW_ORG, Perm.VIEW_MEMBER, Perm.VIEW_CONSULT, Perm.HANDLE_CONSULT, Perm.EDIT_KB}
    ),
    Role.EXAMINER: frozenset({Perm.VIEW_ORG, Perm.VIEW_MEMBER, Perm.VIEW_ORGLIFE}),
    Role.HANDLER: frozenset({Perm.VIEW_ORG, Perm.VIEW_CONSULT, Perm.HANDLE_CONSULT}),
}

ALL = object()  # the superuser's scope: everything


def prefix_free(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one (a role below another role)."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return tuple(result)


def scope_paths(user, perm: Perm):
    """The organisation paths whose subtrees ``user`` holds ``perm`` on, or ALL.

    Cached on the user object: the roles are read in one query per request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    if user.is_superuser:
        return ALL
    cache = user.__dict__.setdefault("_scope_cache", {})
    if not cache:
        grants = list(
            user.role_assignments.filter(org__dissolved_on__isnull=True).values_list(
                "role", "org__path"
            )
        )
        for each in Perm:
            cache[each] = prefix_free(path for role, path in grants if each in ROLE_PERMS[role])
    return cache[perm]


def common_path(paths: Iterable[str], steplen: int = 4) -> str:
    """The deepest organisation path above all of ``paths`` ('' when they share no root).

    Used to file a bulk write in the audit log under the organisation that covers it.
    """
    paths = sorted(paths)
    if not paths:
        return ""
    first, last = paths[0], paths[-1]
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[: size - size % steplen]


def forget(user) -> None:
    """Drop the cached scope (after a role change within the same request)."""
    user.__dict__.pop("_scope_cache", None)


# A condition every row meets. ``Q()`` is not one: an empty Q vanishes when or-ed with
# another (``Q() | Q(pk=1)`` is ``Q(pk=1)``), which once narrowed a superuser linked to a
# member record down to that one record.
EVERYTHING = ~Q(pk__in=[])


def path_q(paths, field: str) -> Q:
    """A Q matching rows whose ``field`` path lies in any of the subtrees."""
    if paths is ALL:
        return EVERYTHING
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def scoped(qs: QuerySet, user, perm: Perm, *, path_field: str) -> QuerySet:
    """Filter ``qs`` to the rows ``user`` may see (or change) under ``perm``."""
    return qs.filter(path_q(scope_paths(user, perm), path_field))


# --- Declarative scope ------------------------------------------------------------------

AlsoRule = Callable[[object, "Perm"], Q | None]

# Every model with a ScopedManager, filled in as models are declared: the move test and
# the property test walk it, so a new scoped model is covered without being listed.
REGISTRY: list[type[models.Model]] = []


class ScopedQuerySet(QuerySet):
    """A queryset that knows how its model belongs to the tree (see the module doc)."""

    def visible_to(self, user, perm: "Perm") -> QuerySet:
        """The rows ``user`` may read (or change) under ``perm``: the ONE way rows are read."""
        rule: Scope = self.model._scope
        visible = path_q(scope_paths(user, perm), rule.path_field)
        if rule.also is not None and getattr(user, "is_authenticated", False):
            extra = rule.also(user, perm)
            if extra is not None:
                visible |= extra
        return self.filter(visible)


class Scope:
    """How a model belongs to the tree: the lookup from the model to its Organisation
    (``""`` for Organisation itself) and an optional ``also(user, perm) -> Q | None``
    rule for rows visible outside the subtree rule (one's own record)."""

    def __init__(self, org: str, also: AlsoRule | None = None):
        self.org = org
        self.also = also

    @property
    def path_field(self) -> str:
        return f"{self.org}__path" if self.org else "path"

    def org_of(self, instance: models.Model):
        """The organisation ``instance`` belongs to now (None when it has none)."""
        if not self.org:
            return instance
        obj = instance
        for part in self.org.split("__"):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj


class ScopedManagerMixin:
    """Declares the scope rule on the model it is attached to (see :class:`Scope`)."""

    def __init__(self, *args, org: str, also: AlsoRule | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._rule = Scope(org, also)

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        if not cls._meta.abstract and not hasattr(cls, "_scope"):
            cls._scope = self._rule
            if cls not in REGISTRY:
                REGISTRY.append(cls)

    def visible_to(self, user, perm: "Perm") -> QuerySet:
        return self.get_queryset().visible_to(user, perm)


class ScopedManager(ScopedManagerMixin, models.Manager.from_queryset(ScopedQuerySet)):
    """``objects = ScopedManager(org="branch")``: the model's scope, declared once."""


def visible_org_of(instance: models.Model):
    """The organisation a scoped row belongs to, through its declared key chain."""
    return type(instance)._scope.org_of(instance)


def covers(user, perm: Perm, path: str) -> bool:
    """Whether the organisation at ``path`` lies in the user's scope for ``perm``."""
    paths = scope_paths(user, perm)
    return paths is ALL or any(path.startswith(p) for p in paths)


def get_or_404(qs: QuerySet, **lookup):
    """Fetch one row from an already scoped queryset; out of scope is simply 'not found'."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到") from None


def authorize(user, perm: Perm, path: str, *, view_perm: Perm) -> None:
    """Allow ``perm`` on the object at ``path`` or refuse it without leaking.

    Not visible at all → 404 (as if it did not exist); visible but not ``perm`` → 403.
    """
    from django.core.exceptions import PermissionDenied

    if not covers(user, view_perm, path):
        raise Http404("未找到")
    if not covers(user, perm, path):
        raise PermissionDenied("您没有权限执行此操作")
