"""The tree API: reads along the organisation tree for the modules that route work up it.

Transfers (组织关系转接), recruitment (发展党员), appeals and appointments all ask the same
questions — who is above this organisation, where do two organisations meet, which
organisations must approve a move from one to the other, who holds a post here or
nearest above — so they are answered once, here.

Every answer comes from the materialized path (treebeard, ``steplen`` 4): the paths of
an organisation's ancestors are prefixes of its own, computed from the string and
fetched in ONE query, whatever the depth. Nothing here checks the caller's scope: these
are building blocks for services that have already authorised their objects (the API
answers through ``orgs.selectors`` first).
"""

from typing import TYPE_CHECKING, NamedTuple

from dangjian.core.scope import ancestor_paths, common_path, path_above
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.orgs.choices import Level, OrgType
from dangjian.orgs.models import Organisation, Position
from dangjian.orgs.rules import LEVEL_OF_TYPE

if TYPE_CHECKING:
    from dangjian.members.models import Member


MSG_DIFFERENT_TREES = "两个组织不在同一棵组织树中，无法确定审批链"
MSG_NEAREST_NEEDS_CRITERION = "请指定要查找的组织层级（level）或组织类型（org_type）"
MSG_UNKNOWN_LEVEL = "未知的组织层级：{value}"
MSG_UNKNOWN_TYPE = "未知的组织类型：{value}"


class DifferentTreesError(ValueError):
    """Two organisations share no root, so no chain of approval joins them."""

    def __init__(self):
        super().__init__(MSG_DIFFERENT_TREES)


class PostHolder(NamedTuple):
    """Who holds a post, and at which organisation they were found (self or above)."""

    member: "Member"
    org: Organisation


def _by_paths(paths: list[str], known: tuple[Organisation, ...] = ()) -> list[Organisation]:
    """The organisations at ``paths``, in that order, in at most one query.

    ``known`` instances are reused rather than fetched again, so a caller gets back the
    very objects it passed in.
    """
    found = {org.path: org for org in known}
    missing = [p for p in paths if p not in found]
    if missing:
        found.update((org.path, org) for org in Organisation.objects.filter(path__in=missing))
    return [found[p] for p in paths]


def parent(org: Organisation) -> Organisation | None:
    """The organisation directly above ``org`` (None for a root)."""
    above = path_above(org.path)
    return Organisation.objects.get(path=above) if above else None


def ancestors(org: Organisation, *, include_self: bool = False) -> list[Organisation]:
    """Every organisation above ``org``, root first (and ``org`` last if asked)."""
    paths = ancestor_paths(org.path, include_self=include_self)
    return _by_paths(paths, known=(org,))


def _types_of(level: str | None, org_type: str | None) -> set[str]:
    if level is None and org_type is None:
        raise ValueError(MSG_NEAREST_NEEDS_CRITERION)
    if level is not None and level not in Level.values:
        raise ValueError(MSG_UNKNOWN_LEVEL.format(value=level))
    if org_type is not None and org_type not in OrgType.values:
        raise ValueError(MSG_UNKNOWN_TYPE.format(value=org_type))
    types = set(OrgType.values)
    if level is not None:
        types &= {t for t, lvl in LEVEL_OF_TYPE.items() if lvl == level}
    if org_type is not None:
        types &= {org_type}
    return types


def nearest_ancestor(
    org: Organisation,
    *,
    level: str | None = None,
    org_type: str | None = None,
    include_self: bool = True,
) -> Organisation | None:
    """The nearest organisation at or above ``org`` of that level and/or type, or None.

    "Which county does this branch belong to" is ``nearest_ancestor(b, level="county")``;
    a county committee asked the same question answers itself (``include_self``).
    Structural: dissolution is not looked at (an active organisation's ancestors are
    active: a committee with active children cannot be dissolved).
    """
    types = _types_of(level, org_type)
    if include_self and org.org_type in types:
        return org
    paths = ancestor_paths(org.path)
    if not paths:
        return None
    return (
        Organisation.objects.filter(path__in=paths, org_type__in=types).order_by("-depth").first()
    )


def lowest_common_ancestor(a: Organisation, b: Organisation) -> Organisation | None:
    """The deepest organisation at or above both (None when they have different roots)."""
    path = common_path([a.path, b.path])
    if not path:
        return None
    return _by_paths([path], known=(a, b))[0]


def approval_chain_paths(a_path: str, b_path: str) -> list[str]:
    """The paths of :func:`approval_chain` (pure string work, no query)."""
    meet = common_path([a_path, b_path])
    if not meet:
        raise DifferentTreesError
    up = [p for p in ancestor_paths(a_path, include_self=True) if len(p) > len(meet)]
    down = [p for p in ancestor_paths(b_path, include_self=True) if len(p) > len(meet)]
    return [*reversed(up), meet, *down]


def approval_chain(a: Organisation, b: Organisation) -> list[Organisation]:
    """The organisations a matter passes from ``a`` to ``b``, in order.

    Up from ``a`` to just below the lowest common ancestor, through that ancestor, then
    down to ``b``. Ancestors shared above the meeting point are not on the chain: a
    transfer inside one county goes no higher than the county. Edge cases: ``a == b`` →
    ``[a]``; ``b`` under ``a`` → ``[a, ..., b]`` (down only); ``a`` under ``b`` →
    ``[a, ..., b]`` (up only); different roots → :class:`DifferentTreesError`.
    """
    return _by_paths(approval_chain_paths(a.path, b.path), known=(a, b))


def post_holder(org: Organisation, title: str, *, fallback: bool = True) -> PostHolder | None:
    """Who currently holds the post ``title`` at ``org`` — or, with ``fallback``, at the
    nearest active organisation above that has a holder. One query.

    Dissolved organisations are skipped, and so are holders who are no longer current
    members (停止党籍, 出党, 去世: their post may not have been closed yet). Where several
    hold the post (委员), the longest-serving is answered.
    """
    paths = ancestor_paths(org.path, include_self=True) if fallback else [org.path]
    position = (
        Position.objects.filter(
            org__path__in=paths,
            org__dissolved_on__isnull=True,
            title=title,
            ended_on__isnull=True,
            member__status__in=CURRENT_STATUSES,
        )
        .select_related("member", "org")
        .order_by("-org__depth", "started_on", "pk")
        .first()
    )
    return PostHolder(position.member, position.org) if position else None
