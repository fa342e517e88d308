"""Every read of member records, always through core.scope."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from dangjian.core import scope
from dangjian.core.scope import Perm
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.members.models import Member


def member_queryset(user) -> QuerySet[Member]:
    """Members the user may see: their scope's branches, plus their own record."""
    visible = scope.path_q(scope.scope_paths(user, Perm.VIEW_MEMBER), "branch__path")
    own = getattr(user, "member_id", None)
    if own:
        visible |= Q(pk=own)
    return Member.objects.filter(visible).select_related("branch", "group")


def member_get(user, member_id) -> Member:
    return scope.get_or_404(member_queryset(user), pk=member_id)


def can_change(user, member: Member) -> bool:
    return scope.covers(user, Perm.CHANGE_MEMBER, member.branch.path)


def can_reveal(user, member: Member) -> bool:
    """Unmasked ID/phone: the member themself, or an admin over their branch."""
    return getattr(user, "member_id", None) == member.pk or scope.covers(
        user, Perm.REVEAL_MEMBER, member.branch.path
    )


def current_member_count(org) -> int:
    """Current members (正式/预备/流动/失联) anywhere in ``org``'s subtree."""
    return Member.objects.filter(
        branch__path__startswith=org.path, status__in=CURRENT_STATUSES
    ).count()


def with_member_counts(org_qs: QuerySet) -> QuerySet:
    """Annotate each organisation with ``member_count`` of its whole subtree, in one query."""
    sub = (
        Member.objects.filter(
            branch__path__startswith=OuterRef("path"),
            status__in=CURRENT_STATUSES,
        )
        .order_by()
        .values(dummy=Value(1))
        .annotate(n=Count("pk"))
        .values("n")
    )
    return org_qs.annotate(member_count=Coalesce(Subquery(sub, output_field=IntegerField()), 0))


def status_breakdown(user, org=None) -> dict[str, int]:
    """Count of visible members by status, optionally within ``org``'s subtree."""
    qs = member_queryset(user)
    if org is not None:
        qs = qs.filter(branch__path__startswith=org.path)
    return dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
