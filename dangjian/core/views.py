"""The home page (who I am, where I hold roles, the size of what I can see) and the inbox."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.accounts.selectors import roles_of
from dangjian.core import notify, scope
from dangjian.core.apitools import MSG_BAD_REQUEST
from dangjian.core.pages import paginate
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
    }
    return render(request, "core/home.html", context)


@login_required
def inbox(request):
    """消息中心: the user's notifications; POST marks them all read."""
    if request.method == "POST":
        notify.mark_read(request.user)
        return redirect("inbox")
    page = paginate(request, notify.inbox(request.user))
    return render(request, "core/inbox.html", {"page_obj": page})


@login_required
@require_POST
def inbox_open(request, pk: int):
    """Open one message: mark it read and follow its link (only within this site)."""
    message = get_object_or_404(notify.inbox(request.user), pk=pk)
    notify.mark_read(request.user, [message.pk])
    target = message.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("inbox")
    return redirect(target)


def bad_request(request, exception=None):
    """handler400: a request Django could not parse (a multipart body without a boundary,
    too many fields…) — JSON in the API's error format under /api/, a Chinese page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MSG_BAD_REQUEST}, status=400)
    return render(request, "400.html", status=400)
