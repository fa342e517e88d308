"""The first screen after login: who I am, where I hold roles, the size of what I see.

It reads other apps only through their selectors; it owns no tables.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dangjian.accounts.selectors import roles_of
from dangjian.core import scope, warnings
from dangjian.core.scope import Perm
from dangjian.members.choices import CURRENT_STATUSES, Status
from dangjian.members.selectors import status_breakdown
from dangjian.orgs.selectors import org_queryset


@login_required
def home(request):
    user = request.user
    breakdown = status_breakdown(user)
    by_status = [(label, breakdown.get(value, 0)) for value, label in Status.choices]
    sees_members = bool(scope.scope_paths(user, Perm.VIEW_MEMBER)) or bool(user.member_id)
    context = {
        "roles": list(roles_of(user)),
        "org_count": org_queryset(user).filter(dissolved_on__isnull=True).count(),
        "current_count": sum(breakdown.get(s, 0) for s in CURRENT_STATUSES),
        "by_status": [(label, n) for label, n in by_status if n],
        "sees_members": sees_members,
        "sees_warnings": warnings.sees_any(user),
    }
    if context["sees_warnings"]:
        context["open_warnings"] = (
            warnings.warning_queryset(user).filter(resolved_at__isnull=True).count()
        )
    return render(request, "home/home.html", context)
