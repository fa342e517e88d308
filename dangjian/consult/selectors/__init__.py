"""Every read of consult's rows goes through ``Model.objects.visible_to(user, perm)``."""

from django.db.models import Model, QuerySet

from dangjian.core import scope


def in_subtrees(model: type[Model], user, perm: scope.Perm) -> QuerySet:
    """Of the rows ``visible_to`` yields, only those its subtree rule gives, not its
    ``also`` rule's: what a person sees as 12371 staff, without their own questions.

    Lead: a candidate for core.scope (``visible_to(user, perm, also=False)``).
    """
    paths = scope.scope_paths(user, perm)
    return model.objects.visible_to(user, perm).filter(scope.path_q(paths, model._scope.path_field))
