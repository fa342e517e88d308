"""Every read of the organisation tree, always through core.scope."""

from django.db.models import Q, QuerySet

from dangjian.core import scope
from dangjian.core.scope import ALL, Perm
from dangjian.orgs.choices import PositionTitle
from dangjian.orgs.models import Organisation, Position


def org_queryset(user) -> QuerySet[Organisation]:
    return Organisation.objects.visible_to(user, Perm.VIEW_ORG)


def org_get(user, org_id) -> Organisation:
    return scope.get_or_404(org_queryset(user), pk=org_id)


def org_roots(user) -> QuerySet[Organisation]:
    """The tops of the user's visible forest: their own organisations, or the tree roots."""
    paths = scope.scope_paths(user, Perm.VIEW_ORG)
    if paths is ALL:
        return Organisation.objects.get_root_nodes()
    return Organisation.objects.filter(path__in=paths).order_by("path")


def org_children(user, org: Organisation) -> QuerySet[Organisation]:
    """Direct children of a visible organisation (they are visible too: it is a subtree)."""
    return (
        org_queryset(user).filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
    )


def org_visible_ancestors(user, org: Organisation) -> list[Organisation]:
    """Breadcrumb above ``org``, stopping at the user's scope: nothing above it leaks."""
    prefixes = scope.ancestor_paths(org.path)
    return list(org_queryset(user).filter(path__in=prefixes).order_by("depth"))


def org_search(user, text: str) -> QuerySet[Organisation]:
    text = (text or "").strip()
    qs = org_queryset(user)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__iexact=text))
    return qs


def can_change(user, org: Organisation) -> bool:
    return scope.covers(user, Perm.CHANGE_ORG, org.path)


def current_positions(org: Organisation) -> QuerySet[Position]:
    return org.positions.filter(ended_on__isnull=True).select_related("member")


def secretary_of(org: Organisation):
    position = current_positions(org).filter(title=PositionTitle.SECRETARY).first()
    return position.member if position else None


def move_targets(user, org: Organisation) -> QuerySet[Organisation]:
    """Where ``org`` may be moved: active orgs the user can change, outside its own subtree."""
    from dangjian.orgs.rules import ALLOWED_PARENTS

    return (
        Organisation.objects.visible_to(user, Perm.CHANGE_ORG)
        .filter(dissolved_on__isnull=True, org_type__in=ALLOWED_PARENTS[org.org_type])
        .exclude(path__startswith=org.path)
        .exclude(pk=Organisation.objects.get_parent(org).pk if org.depth > 1 else None)
    )


def post_candidates(user, org: Organisation, text: str = ""):
    """Members who may be appointed in ``org``: its subtree's current members (a group's own).

    Read through the members selector, so the user's scope still applies.
    """
    from dangjian.members.choices import CURRENT_STATUSES
    from dangjian.members.selectors import member_queryset
    from dangjian.orgs.choices import OrgType

    qs = member_queryset(user).filter(status__in=CURRENT_STATUSES)
    if org.org_type == OrgType.GROUP:
        qs = qs.filter(group=org)
    else:
        qs = qs.filter(branch__path__startswith=org.path)
    text = (text or "").strip()
    return qs.filter(name__icontains=text) if text else qs


def position_get(org: Organisation, position_id) -> Position:
    """A current post of a visible organisation; anything else is 'not found'."""
    return scope.get_or_404(current_positions(org), pk=position_id)
