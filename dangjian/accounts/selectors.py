"""Reads about users and their roles."""

from django.db.models import QuerySet

from dangjian.accounts.models import RoleAssignment


def roles_of(user) -> QuerySet[RoleAssignment]:
    """The user's own role assignments, with their organisations."""
    return RoleAssignment.objects.filter(user=user).select_related("org").order_by("org__path")
