"""The inbox (消息中心): the pages of ``core.notify``."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.core import notify
from dangjian.core.pages import paginate


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
