"""The first screen after login: one panel per role the user holds (home.selectors).

It reads other apps only through their selectors; it owns no tables. ``?org=<id>`` drills
a leader's panel down into one organisation of their subtree (404 outside it).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dangjian.accounts.selectors import roles_of
from dangjian.core import scope, warnings
from dangjian.core.scope import Perm
from dangjian.home import selectors
from dangjian.members.choices import CURRENT_STATUSES, Status
from dangjian.members.selectors import status_breakdown
from dangjian.orgs.selectors import org_queryset

MAX_ID = 2**63 - 1


def _drill_org(request, user):
    """The organisation asked for with ``?org=`` (None when absent or malformed)."""
    text = request.GET.get("org", "")
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        return None
    return selectors.leader_org(user, int(text))


@login_required
@require_GET
def home(request):
    user = request.user
    drill = _drill_org(request, user)
    if drill is not None:
        context = {
            "drill": drill,
            "crumbs": selectors.leader_crumbs(user, drill),
            "leaders": [selectors.leader_panel(user, drill)],
        }
        return render(request, "home/home.html", context)
    held = selectors.roles(user)
    context = {
        "member": selectors.member_panel(user) if held.member_id else None,
        "branches": [
            selectors.branch_panel(user, b) for b in held.branches[: selectors.MAX_PANELS]
        ],
        "more_branches": held.branches[selectors.MAX_PANELS :],
        "agent": selectors.agent_panel(user) if held.agent else None,
        "leaders": [selectors.leader_panel(user, o) for o in held.subtrees[: selectors.MAX_PANELS]],
        "more_subtrees": held.subtrees[selectors.MAX_PANELS :],
    }
    # A member's own panel comes after the work of the roles they hold, unless a meeting's
    # check-in is open now: then the 签到 button comes first.
    member = context["member"]
    context["member_first"] = member is not None and any(m.checkin_open for m in member.meetings)
    if not (member or context["branches"] or context["agent"] or context["leaders"]):
        context.update(_scope_summary(user))
    return render(request, "home/home.html", context)


def _scope_summary(user) -> dict:
    """For a role with no panel of its own (a handler, an examiner at a branch): the roles
    held and the size of what they see."""
    breakdown = status_breakdown(user)
    by_status = [(label, breakdown.get(value, 0)) for value, label in Status.choices]
    sees_members = bool(scope.scope_paths(user, Perm.VIEW_MEMBER))
    summary = {
        "summary": True,
        "roles": list(roles_of(user)),
        "org_count": org_queryset(user).filter(dissolved_on__isnull=True).count(),
        "current_count": sum(breakdown.get(s, 0) for s in CURRENT_STATUSES),
        "by_status": [(label, n) for label, n in by_status if n],
        "sees_members": sees_members,
        "sees_warnings": warnings.sees_any(user),
    }
    if summary["sees_warnings"]:
        summary["open_warnings"] = (
            warnings.warning_queryset(user).filter(resolved_at__isnull=True).count()
        )
    return summary
