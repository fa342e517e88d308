"""Every read of member records, always through core.scope."""

from bisect import bisect_left
from itertools import accumulate

from django.db.models import Count, QuerySet

from dangjian.core import crypto, rollups, scope
from dangjian.core.scope import Perm
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.members.models import ID_INDEX, Member

MSG_NO_DETAILS = "同一党支部的党员之间只能查看姓名、党小组和职务"

# Sorts after every character of a treebeard path (0-9, A-Z): path + PATH_END bounds a subtree.
PATH_END = "~"


def member_queryset(user) -> QuerySet[Member]:
    """Members the user may see: their scope's branches, plus their own record."""
    return Member.objects.visible_to(user, Perm.VIEW_MEMBER).select_related("branch", "group")


def with_scope_total(user, qs: QuerySet[Member], filters: dict) -> QuerySet[Member]:
    """The unfiltered list counted from the rollups (exact, as :func:`status_breakdown`):
    a province's list pages without counting its 2.6 million rows each time."""
    if any(value not in (None, "") for value in filters.values()):
        return qs
    figures = _scope_status_figures(user)
    return qs if figures is None else qs.with_count(sum(figures.values()))


def member_get(user, member_id) -> Member:
    return scope.get_or_404(member_queryset(user), pk=member_id)


def sees_details(user, member: Member) -> bool:
    """Birth date, ethnicity, education, status, masked ID/phone/address…: the member
    themself, and those over their branch (VIEW_MEMBER_DETAILS); a fellow member of the
    branch sees the name, the group and the posts only."""
    return getattr(user, "member_id", None) == member.pk or scope.covers(
        user, Perm.VIEW_MEMBER_DETAILS, member.branch.path
    )


def sees_any_details(user) -> bool:
    """Whether the user sees anyone's details but their own (the list's detail filters)."""
    return bool(scope.scope_paths(user, Perm.VIEW_MEMBER_DETAILS))


def mark_details(user, members) -> list[Member]:
    """The members with ``details_shown`` set (for a page of a list)."""
    members = list(members)
    for member in members:
        member.details_shown = sees_details(user, member)
    return members


def with_posts(qs: QuerySet[Member]) -> QuerySet[Member]:
    """The members with their current posts (``current_posts``), in one more query."""
    from django.db.models import Prefetch

    from dangjian.orgs.models import Position

    current = Position.objects.filter(ended_on__isnull=True).select_related("org")
    return qs.prefetch_related(Prefetch("positions", queryset=current, to_attr="current_posts"))


def posts_of(member: Member) -> list[str]:
    """ "第一党支部书记", from the prefetched posts (or one query for a single member)."""
    posts = getattr(member, "current_posts", None)
    if posts is None:
        posts = member.positions.filter(ended_on__isnull=True).select_related("org")
    return [f"{p.org.name}{p.get_title_display()}" for p in posts]


def detail_queryset(user) -> QuerySet[Member]:
    """Members whose details the user may see: filtering on a detail (民族, 年龄段…)
    searches only these, so a filter never tells a member what the list does not."""
    return Member.objects.visible_to(user, Perm.VIEW_MEMBER_DETAILS).select_related(
        "branch", "group"
    )


def can_change(user, member: Member) -> bool:
    return scope.covers(user, Perm.CHANGE_MEMBER, member.branch.path)


def can_reveal(user, member: Member) -> bool:
    """Unmasked ID/phone: the member themself, or an admin over their branch."""
    return getattr(user, "member_id", None) == member.pk or scope.covers(
        user, Perm.REVEAL_MEMBER, member.branch.path
    )


NEW_MEMBER_BRANCHES_SHOWN = 12


def new_member_branches(user, org=None) -> list:
    """The branches ``user`` may file a new member in (CHANGE_MEMBER), within ``org``
    when the list is narrowed to one; at most one more than are shown (to say there are
    more). Empty for those who may not add members."""
    from dangjian.orgs.models import Organisation
    from dangjian.orgs.rules import MEMBER_HOLDING_TYPES

    if not scope.scope_paths(user, Perm.CHANGE_MEMBER):
        return []
    qs = Organisation.objects.visible_to(user, Perm.CHANGE_MEMBER).filter(
        org_type__in=MEMBER_HOLDING_TYPES, dissolved_on__isnull=True
    )
    if org is not None:
        qs = qs.filter(path__startswith=org.path)
    return list(qs.order_by("path")[: NEW_MEMBER_BRANCHES_SHOWN + 1])


def current_member_count(org) -> int:
    """Current members (正式/预备/流动/失联) anywhere in ``org``'s subtree."""
    return Member.objects.filter(
        branch__path__startswith=org.path, status__in=CURRENT_STATUSES
    ).count()


def member_counts(user, orgs) -> dict[int, int | None]:
    """Current members of each organisation's whole subtree, keyed by organisation id.

    From the ``members.status`` rollup rows (:func:`rollups.current_breakdowns`, exact);
    before the rollups are built, one grouped query (members per branch over the organisations' subtrees), then prefix
    sums over the sorted branch paths: cheap for a page of organisations at any depth,
    where a per-row correlated ``LIKE`` subquery is not. ``None`` where the user may
    see the organisation but not its members (a handler), so no count leaks.
    """
    orgs = list(orgs)
    shown = [o for o in orgs if scope.covers(user, Perm.VIEW_MEMBER, o.path)]
    counts: dict[int, int | None] = {o.pk: None for o in orgs}
    if not shown:
        return counts
    figures = rollups.current_breakdowns(user, shown, "members.status")
    if figures is not None:  # the subtree totals, exact: a few rows whatever the size
        for org in shown:
            counts[org.pk] = sum(figures[org.pk].get(s, 0) for s in CURRENT_STATUSES)
        return counts
    roots = scope.prefix_free(o.path for o in shown)
    per_branch = sorted(
        Member.objects.filter(scope.path_q(roots, "branch__path"), status__in=CURRENT_STATUSES)
        .order_by()
        .values_list("branch__path")
        .annotate(n=Count("pk"))
    )
    paths = [path for path, _ in per_branch]
    running = [0, *accumulate(n for _, n in per_branch)]
    for org in shown:
        low = bisect_left(paths, org.path)
        high = bisect_left(paths, org.path + PATH_END)
        counts[org.pk] = running[high] - running[low]
    return counts


def status_breakdown(user, org=None) -> dict[str, int]:
    """Count of visible members by status, optionally within ``org``'s subtree.

    The whole scope comes from the rollup rows of its top organisations (plus the user's
    own record when it lies outside them), so a province costs what a branch does.
    """
    if org is None:
        figures = _scope_status_figures(user)
        if figures is not None:
            return figures
    qs = member_queryset(user)
    if org is not None:
        qs = qs.filter(branch__path__startswith=org.path)
    return dict(qs.order_by().values_list("status").annotate(n=Count("pk")))


def _scope_status_figures(user) -> dict[str, int] | None:
    """Members by status over the user's whole member scope, from the rollups (None
    before they are built)."""
    from dangjian.orgs.models import Organisation

    paths = scope.scope_paths(user, Perm.VIEW_MEMBER)
    if paths is scope.ALL:
        tops = list(Organisation.objects.filter(depth=1))
    else:
        tops = list(Organisation.objects.filter(path__in=paths)) if paths else []
    figures = rollups.current_breakdowns(user, tops, "members.status")
    if figures is None:
        return None
    total: dict[str, int] = {}
    for by_status in figures.values():
        for status, n in by_status.items():
            total[status] = total.get(status, 0) + n
    own = getattr(user, "member_id", None)
    if own and paths is not scope.ALL:  # their own record, when outside what they oversee
        outside = Member.objects.filter(pk=own).exclude(scope.path_q(paths, "branch__path"))
        for status in outside.values_list("status", flat=True):
            total[status] = total.get(status, 0) + 1
    return total


def member_with_id_number(id_number: str) -> Member | None:
    """The record registered under this (valid, normalised) ID number, wherever it is, or
    None. Unscoped, for services deciding whether a person is already on the platform
    (组织关系转入: a member once 已转出 who comes back); never shown as such."""
    digests = crypto.blind_indexes(id_number, purpose=ID_INDEX)
    return Member.objects.select_related("branch").filter(id_number_digest__in=digests).first()
