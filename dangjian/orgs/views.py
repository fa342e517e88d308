"""Organisation pages: the tree (lazy), search, detail, and the four tree writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import scope
from dangjian.core.http import client_ip
from dangjian.core.pages import (
    edit_submit,
    form_submit,
    is_htmx,
    list_filter,
    list_results,
    paginate,
    post_action,
    vary_on_htmx,
)
from dangjian.core.scope import Perm
from dangjian.members.selectors import member_counts
from dangjian.orgs import selectors, services
from dangjian.orgs.filters import OrgFilter
from dangjian.orgs.forms import (
    DissolveForm,
    EndPositionForm,
    MoveForm,
    OrgForm,
    PositionForm,
    child_types,
)
from dangjian.orgs.rules import can_hold_members

MSG_SAVED = "已保存"


def _to_detail(org):
    return redirect("orgs:detail", org.pk)


MOVE_TARGETS_SHOWN = 200
CANDIDATES_SHOWN = 200
GET_POST = require_http_methods(["GET", "POST"])


def _with_counts(user, nodes) -> list:
    """Nodes annotated with their subtree's member count, shown only where members are visible."""
    nodes = list(nodes)
    counts = member_counts(user, nodes)
    for node in nodes:
        node.member_count = counts[node.pk]
        node.show_count = node.member_count is not None
    return nodes


def _changeable(user, pk):
    """The organisation, if visible (else 404) and changeable (else 403)."""
    org = selectors.org_get(user, pk)
    if not selectors.can_change(user, org):
        raise PermissionDenied("您没有权限修改该组织")
    return org


@login_required
@require_GET
def tree(request):
    roots = _with_counts(request.user, selectors.org_roots(request.user))
    return render(request, "orgs/tree.html", {"nodes": roots})


@login_required
@require_GET
def children(request, pk):
    org = selectors.org_get(request.user, pk)
    nodes = _with_counts(request.user, selectors.org_children(request.user, org))
    template = "orgs/_children.html" if is_htmx(request) else "orgs/children.html"
    return vary_on_htmx(render(request, template, {"org": org, "nodes": nodes}))


@login_required
@require_GET
def search(request):
    filterset = list_filter(request, OrgFilter, selectors.org_queryset(request.user), hidden=())
    results, _ = list_results(filterset)
    text = (request.GET.get("q") or "").strip()
    context = {"filterset": filterset, "q": text, "searched": filterset.is_bound}
    if is_htmx(request) and not text and request.headers.get("HX-Target") == "search-results":
        # The tree page's box was cleared: show the tree again, not every organisation.
        return vary_on_htmx(render(request, "orgs/_search_results.html", context))
    context.update(page_obj=paginate(request, results), show_results=True)
    template = "orgs/_search_results.html" if is_htmx(request) else "orgs/search.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def detail(request, pk):
    user = request.user
    org = selectors.org_get(user, pk)
    can_change = selectors.can_change(user, org)
    sees_members = scope.covers(user, Perm.VIEW_MEMBER, org.path)
    context = {
        "org": org,
        "ancestors": selectors.org_visible_ancestors(user, org),
        "children": _with_counts(user, selectors.org_children(user, org)),
        "positions": list(selectors.current_positions(org)),
        "end_form": EndPositionForm() if can_change else None,
        "secretary": selectors.secretary_of(org),
        "member_count": member_counts(user, [org])[org.pk],
        "sees_members": sees_members,
        "can_change": can_change,
        "can_add_child": can_change and org.is_active and bool(child_types(org.org_type)),
        "can_add_member": org.is_active
        and can_hold_members(org.org_type)
        and scope.covers(user, Perm.CHANGE_MEMBER, org.path),
    }
    return render(request, "orgs/detail.html", context)


@login_required
@GET_POST
def create(request, parent_id):
    parent = _changeable(request.user, parent_id)
    types = child_types(parent.org_type)
    form = OrgForm(request.POST or None, type_choices=[("", "请选择"), *types])
    if types and (
        response := form_submit(
            request,
            form,
            lambda data: services.org_create(
                acting_user=request.user, parent=parent, ip=client_ip(request), **data
            ),
            success=MSG_SAVED,
            then=_to_detail,
        )
    ):
        return response
    return render(request, "orgs/form.html", {"form": form, "parent": parent, "types": types})


@login_required
@GET_POST
def edit(request, pk):
    org = _changeable(request.user, pk)
    initial = {name: getattr(org, name) for name in OrgForm.base_fields}
    form = OrgForm(request.POST or None, initial=initial)
    if response := edit_submit(
        request,
        form,
        lambda changes: services.org_update(
            acting_user=request.user, org=org, ip=client_ip(request), **changes
        ),
        instance=org,
        success=MSG_SAVED,
        then=_to_detail,
    ):
        return response
    return render(request, "orgs/form.html", {"form": form, "org": org})


@login_required
@GET_POST
def move(request, pk):
    org = _changeable(request.user, pk)
    targets = selectors.move_targets(request.user, org)
    q = (request.GET.get("q") or "").strip()
    shown = targets.filter(name__icontains=q) if q else targets
    shown = list(shown.order_by("path")[:MOVE_TARGETS_SHOWN])
    form = MoveForm(request.POST or None, targets=targets, shown=shown)
    if response := form_submit(
        request,
        form,
        lambda data: services.org_move(
            acting_user=request.user, org=org, new_parent=data["target"], ip=client_ip(request)
        ),
        success=MSG_SAVED,
        then=_to_detail,
    ):
        return response
    context = {
        "org": org,
        "form": form,
        "q": q,
        "has_targets": bool(shown) or bool(q),
        "truncated": len(shown) == MOVE_TARGETS_SHOWN,
    }
    return render(request, "orgs/move.html", context)


@login_required
@GET_POST
def dissolve(request, pk):
    org = _changeable(request.user, pk)
    form = DissolveForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.org_dissolve(
            acting_user=request.user,
            org=org,
            dissolved_on=data["dissolved_on"],
            reason=data["reason"],
            ip=client_ip(request),
        ),
        success="已撤销",
        then=_to_detail,
    ):
        return response
    return render(request, "orgs/dissolve.html", {"org": org, "form": form})


@login_required
@GET_POST
def position_add(request, pk):
    """任命: appoint a member of the organisation's subtree to a post in it."""
    org = _changeable(request.user, pk)
    candidates = selectors.post_candidates(request.user, org)
    q = (request.GET.get("q") or "").strip()
    shown = selectors.post_candidates(request.user, org, q).select_related("branch")
    form = PositionForm(request.POST or None, candidates=candidates, shown=shown[:CANDIDATES_SHOWN])
    if response := form_submit(
        request,
        form,
        lambda data: services.position_assign(
            acting_user=request.user, org=org, ip=client_ip(request), **data
        ),
        success="已任命",
        then=lambda _: _to_detail(org),
    ):
        return response
    context = {"org": org, "form": form, "q": q, "more": shown.count() > CANDIDATES_SHOWN}
    return render(request, "orgs/position_form.html", context)


@login_required
@require_http_methods(["POST"])
def position_end(request, pk, position_id):
    """离任: end a current post; errors come back as a message on the detail page."""
    org = _changeable(request.user, pk)
    position = selectors.position_get(org, position_id)
    form = EndPositionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的离任日期")
        return _to_detail(org)
    post_action(
        request,
        lambda: services.position_end(
            acting_user=request.user,
            position=position,
            ended_on=form.cleaned_data["ended_on"],
            ip=client_ip(request),
        ),
        success=f"{position.member.name}已离任{position.get_title_display()}",
    )
    return _to_detail(org)
