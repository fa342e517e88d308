"""Reads about users and their roles."""

from typing import NamedTuple

from django.db.models import QuerySet

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core.scope import Role
from dangjian.orgs.models import Organisation
from dangjian.orgs.tree import ancestor_paths


class RoleHolders(NamedTuple):
    """The users holding a role, and the organisation where they were found (self or above)."""

    users: list[User]
    org: Organisation


def account_by_username(username: str) -> User | None:
    """The active login of that name (an applicant's, given to the branch receiving their
    application), or None."""
    username = (username or "").strip()
    if not username:
        return None
    return User.objects.filter(username=username, is_active=True).first()


def roles_of(user) -> QuerySet[RoleAssignment]:
    """The user's own role assignments, with their organisations."""
    return RoleAssignment.objects.filter(user=user).select_related("org").order_by("org__path")


def role_holders(org: Organisation, role: Role, *, fallback: bool = True) -> RoleHolders | None:
    """The active users holding ``role`` at ``org`` — or, with ``fallback``, at the nearest
    active organisation above that has any. One query, whatever the depth.

    For routing work ("send it to the branch's 管理员, or the committee's if it has none"):
    here rather than in ``orgs``, because accounts depends on orgs, not the other way.
    Dissolved organisations and deactivated users are skipped.
    """
    paths = ancestor_paths(org.path, include_self=True) if fallback else [org.path]
    grants = list(
        RoleAssignment.objects.filter(
            org__path__in=paths,
            org__dissolved_on__isnull=True,
            role=role,
            user__is_active=True,
        )
        .select_related("user", "org")
        .order_by("-org__depth", "user__username")
    )
    if not grants:
        return None
    nearest = grants[0].org
    return RoleHolders([g.user for g in grants if g.org_id == nearest.pk], nearest)
