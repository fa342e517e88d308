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

from django.db import models
from django.db.models import F, OrderBy, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404


class Permission(str):
    """A registered permission: its code (``"orglife.view"``) is the string itself."""

    name: str  # the attribute it is reached by: Perm.VIEW_ORGLIFE
    label: str  # Chinese, for role pages and documentation

    def __new__(cls, code: str, *, name: str, label: str):
        perm = super().__new__(cls, code)
        perm.name, perm.label = name, label
        return perm

    @property
    def value(self) -> str:
        return str(self)


class RoleName(str):
    """A registered role (``"admin"``): held at an organisation, it grants permissions
    over that organisation's subtree."""

    name: str
    label: str

    def __new__(cls, code: str, *, name: str, label: str):
        role = super().__new__(cls, code)
        role.name, role.label = name, label
        return role

    @property
    def value(self) -> str:
        return str(self)


class _Registry(type):
    """``Perm.VIEW_ORGLIFE`` / ``Role.AGENT``: names filled in by the apps that own them.

    Core names no module's permissions or roles. Each app declares its own in its
    ``permissions.py``; the first lookup of an unknown name imports every app's
    ``permissions`` module (as Django's admin autodiscovers ``admin.py``).
    """

    _entries: dict

    def __getattr__(cls, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in cls._entries:
            autodiscover()
        try:
            return cls._entries[name]
        except KeyError:
            raise AttributeError(f"{cls.__name__}.{name} is not registered by any app") from None

    def __getitem__(cls, name: str):
        """``Role["ADMIN"]``: by name, as the enums they replace (old migrations use it)."""
        try:
            return getattr(cls, name)
        except AttributeError:
            raise KeyError(name) from None

    def __iter__(cls):
        autodiscover()
        return iter(list(cls._entries.values()))

    def __len__(cls) -> int:
        autodiscover()
        return len(cls._entries)

    def choices(cls) -> list[tuple[str, str]]:
        return [(str(each), each.label) for each in cls]


class Perm(metaclass=_Registry):
    """Every permission the apps registered (see :func:`register_permission`)."""

    _entries: dict[str, Permission] = {}


class Role(metaclass=_Registry):
    """Every role the apps registered (see :func:`register_role`)."""

    _entries: dict[str, RoleName] = {}


# role code → the permissions it carries; roles with ``every_permission`` get all.
_GRANTS: dict[str, set[Permission]] = {}
_FULL: set[str] = set()


def register_role(name: str, code: str, label: str, *, every_permission: bool = False) -> RoleName:
    """Declare a role (from the owning app's ``permissions.py``); idempotent."""
    role = Role._entries.setdefault(name, RoleName(code, name=name, label=label))
    _GRANTS.setdefault(code, set())
    if every_permission:
        _FULL.add(code)
    return role


def register_permission(name: str, code: str, label: str, *, roles: Iterable[str]) -> Permission:
    """Declare a permission and the roles that carry it (admins carry every one)."""
    perm = Perm._entries.setdefault(name, Permission(code, name=name, label=label))
    for role in roles:
        _GRANTS.setdefault(str(role), set()).add(perm)
    return perm


def grant_permissions(role: str, perms: Iterable[Permission]) -> None:
    """Let a role registered by one app carry permissions registered by another (a 12371
    agent may view organisations and members)."""
    _GRANTS.setdefault(str(role), set()).update(perms)


def role_perms(role: str) -> frozenset[Permission]:
    """The permissions a role carries."""
    autodiscover()
    if role in _FULL:
        return frozenset(Perm)
    return frozenset(_GRANTS.get(role, ()))


def roles_with(perm: Permission) -> list[str]:
    """The roles that carry ``perm``."""
    return [str(role) for role in Role if perm in role_perms(role)]


def role_choices() -> list[tuple[str, str]]:
    """Choices for the role field of a role assignment (a callable: no migration churn)."""
    return Role.choices()


_discovered = False


def autodiscover() -> None:
    """Import every installed app's ``permissions`` module (once)."""
    global _discovered
    if _discovered:
        return
    from django.utils.module_loading import autodiscover_modules

    _discovered = True
    autodiscover_modules("permissions")


ALL = object()  # the superuser's scope: everything


def prefix_free(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one (a role below another role)."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return tuple(result)


def scope_paths(user, perm: Perm):
    """The organisation paths whose subtrees ``user`` holds ``perm`` on, or ALL."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    if user.is_superuser:
        return ALL
    return prefix_free(path for role, path in _grants(user) if perm in role_perms(role))


def held_roles(user) -> frozenset[str]:
    """The roles ``user`` holds at organisations not dissolved (the scope's own query:
    the 2FA gate asks on every page without a query of its own)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return frozenset(role for role, _ in _grants(user))


def _grants(user) -> list[tuple[str, str]]:
    """(role, organisation path) of each role ``user`` holds at an organisation not
    dissolved: read in one query per request and kept on the user object (``forget``
    drops it)."""
    if _GRANTS_KEY not in user.__dict__:
        user.__dict__[_GRANTS_KEY] = list(
            user.role_assignments.filter(org__dissolved_on__isnull=True).values_list(
                "role", "org__path"
            )
        )
    return user.__dict__[_GRANTS_KEY]


_GRANTS_KEY = "_scope_grants"


# --- Organisation paths ----------------------------------------------------------------
# The materialized path of an organisation is its ancestors' paths followed by STEPLEN
# characters of its own (treebeard: ``0001``, ``00010003``, ...). Every bit of arithmetic
# on paths lives here, so no app slices a path by hand.

STEPLEN = 4


def ancestor_paths(path: str, *, include_self: bool = False) -> list[str]:
    """The paths above ``path``, root first (and ``path`` last if asked)."""
    last = len(path) // STEPLEN if include_self else len(path) // STEPLEN - 1
    return [path[: i * STEPLEN] for i in range(1, last + 1)]


def path_above(path: str, levels: int = 1) -> str:
    """The path ``levels`` steps above ``path`` ('' above the root)."""
    keep = len(path) - levels * STEPLEN
    return path[:keep] if levels >= 0 and keep >= STEPLEN else ""


def within(path: str, top: str) -> bool:
    """Whether the organisation at ``path`` is ``top`` or below it."""
    return path.startswith(top)


def path_depth(path: str) -> int:
    return len(path) // STEPLEN


def common_path(paths: Iterable[str], steplen: int = STEPLEN) -> str:
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
    user.__dict__.pop(_GRANTS_KEY, None)


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


# --- Declarative scope ------------------------------------------------------------------

AlsoRule = Callable[[object, "Perm"], Q | None]

# Every model with a ScopedManager, filled in as models are declared: the move test and
# the property test walk it, so a new scoped model is covered without being listed.
REGISTRY: list[type[models.Model]] = []


class ScopedQuerySet(QuerySet):
    """A queryset that knows how its model belongs to the tree (see the module doc)."""

    _known_count: int | None = None

    def with_count(self, n: int) -> "ScopedQuerySet":
        """This queryset, whose ``count()`` is ``n`` (known from summary rows) without a
        query. Any further filter or slice is a new queryset that counts for itself."""
        clone = self._chain()
        clone._known_count = n
        return clone

    def count(self) -> int:
        return self._known_count if self._known_count is not None else super().count()

    def visible_to(self, user, perm: "Perm", *, also: bool = True) -> QuerySet:
        """The rows ``user`` may read (or change) under ``perm``: the ONE way rows are read.

        ``also=False`` leaves out the model's ``also`` rule: what someone sees in their
        capacity over a subtree (12371 staff), without their own rows (their questions).
        """
        rule: Scope = self.model._scope
        visible = path_q(scope_paths(user, perm), rule.path_field)
        if also and rule.also is not None and getattr(user, "is_authenticated", False):
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
    """Declares the scope rule on the model it is attached to (see :class:`Scope`).

    ``org`` is optional only for Django's sake: the related managers it derives from a
    model's default manager (``order.coordinations``) are built without arguments; they
    declare nothing and read the model's rule like any other.
    """

    def __init__(self, *args, org: str | None = None, also: AlsoRule | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._rule = Scope(org, also) if org is not None else None

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        if self._rule is not None and not cls._meta.abstract and not hasattr(cls, "_scope"):
            cls._scope = self._rule
            if cls not in REGISTRY:
                REGISTRY.append(cls)

    def visible_to(self, user, perm: "Perm", *, also: bool = True) -> QuerySet:
        return self.get_queryset().visible_to(user, perm, also=also)


class ScopedManager(ScopedManagerMixin, models.Manager.from_queryset(ScopedQuerySet)):
    """``objects = ScopedManager(org="branch")``: the model's scope, declared once."""


def org_model() -> type[models.Model]:
    """The organisation model (``settings.ORG_MODEL``): core names no domain app."""
    from django.apps import apps
    from django.conf import settings

    return apps.get_model(settings.ORG_MODEL)


SMALL_SUBTREE = 5_000  # organisations: a list over fewer is sorted after it is narrowed


def subtree_size(user, perm: "Perm", org=None, *, limit: int = SMALL_SUBTREE) -> int:
    """Organisations in ``org``'s subtree (or in the user's whole scope for ``perm``),
    counted up to ``limit + 1``: one range of the path index."""
    model = org_model()
    if org is not None:
        rows = model.objects.filter(path__startswith=org.path)
    else:
        rows = model.objects.filter(path_q(scope_paths(user, perm), "path"))
    return rows.order_by()[: limit + 1].count()


def in_list_order(queryset, order: tuple[str, ...], *, small: bool):
    """``queryset`` in ``order`` (ending with the key), read the way its size calls for.

    A list over the whole province is read in the order of its index (``meeting_list_order``)
    and stops after a page. A list narrowed to a small subtree (a county) is not: its rows
    are scattered through that index (hundreds of branches meet on the same day), so the
    database would walk thousands of other counties' rows to find 20 of its own. There,
    the order is written ``COALESCE(col, col)`` — the same values, but no index gives
    them — so the subtree's few thousand rows are found through their branches and
    sorted. PostgreSQL cannot tell the two cases apart itself (it assumes rows are
    spread evenly). Keyset pagination still knows the order (``keyset_order``).
    """
    queryset = queryset.order_by(*order)
    if small:
        queryset = queryset.order_by(
            *(
                OrderBy(
                    Coalesce(F(name.lstrip("-")), F(name.lstrip("-"))), descending=name[0] == "-"
                )
                for name in order[:-1]
            ),
            order[-1],
        )
    queryset.keyset_order = tuple(order)
    return queryset


def covers(user, perm: Perm, path: str) -> bool:
    """Whether the organisation at ``path`` lies in the user's scope for ``perm``."""
    paths = scope_paths(user, perm)
    return paths is ALL or any(within(path, p) for p in paths)


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
