"""Member pages: the filtered list, detail with an audited reveal, create and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scope, uploads
from dangjian.core.exports import ExportRefused
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
from dangjian.members import exports, selectors, services
from dangjian.members.filters import MemberFilter
from dangjian.members.forms import MemberForm
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.choices import OrgType
from dangjian.orgs.rules import can_hold_members

MSG_SAVED = "已保存"
MSG_PHOTO_SAVED = "证件照已更新"
GET_POST = require_http_methods(["GET", "POST"])


def _to_detail(member):
    return redirect("members:detail", member.pk)


def _filterset(request) -> MemberFilter:
    if any(request.GET.get(name) for name in MemberFilter.DETAILS):
        queryset = selectors.detail_queryset(request.user)  # a detail filters only these
    else:
        queryset = selectors.member_queryset(request.user)
    return list_filter(request, MemberFilter, queryset, search="输入姓名", all_label="全部")


def _visible_org(user, pk):
    return org_selectors.org_queryset(user).filter(pk=pk).first()


def _groups(user, branch):
    return org_selectors.org_children(user, branch).filter(
        org_type=OrgType.GROUP, dissolved_on__isnull=True
    )


# Shown folded on phones under 更多筛选 (the name search stays on top), open when in use.
MORE_FILTERS = ("status", "education", "gender", "ethnicity", "age_band")


@login_required
@require_GET
def member_list(request):
    filterset = _filterset(request)
    results, org = list_results(filterset, lambda pk: _visible_org(request.user, pk))
    results = selectors.with_posts(results)
    if not filterset.is_bound or filterset.form.is_valid():
        used = filterset.form.cleaned_data if filterset.is_bound else {}
        results = selectors.with_scope_total(request.user, results, used)
    page_obj = paginate(request, results, capped=True)
    page_obj.object_list = selectors.mark_details(request.user, page_obj.object_list)
    first = page_obj.start_index() - 1 if page_obj.paginator.count else 0
    if services.is_bulk_read(count=len(page_obj), first=first):
        services.member_bulk_read_record(
            acting_user=request.user,
            count=len(page_obj),
            first=first,
            filters={k: v for k, v in request.GET.items() if k != "page"},
            channel="page",
            ip=client_ip(request),
        )
    narrowing = [name for name in MORE_FILTERS if request.GET.get(name)]
    context = {
        "filterset": filterset,
        "page_obj": page_obj,
        "org": org,
        "more_filters": MORE_FILTERS if selectors.sees_any_details(request.user) else (),
        "narrowing": narrowing,
        "can_export": exports.can_export(request.user),
    }
    if not is_htmx(request):
        branches = selectors.new_member_branches(request.user, org)
        context["new_member_branches"] = branches[: selectors.NEW_MEMBER_BRANCHES_SHOWN]
        context["more_new_member_branches"] = len(branches) > selectors.NEW_MEMBER_BRANCHES_SHOWN
    template = "members/_results.html" if is_htmx(request) else "members/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def detail(request, pk):
    member = selectors.member_get(request.user, pk)
    context = {
        "member": member,
        "details_shown": selectors.sees_details(request.user, member),
        "posts": selectors.posts_of(member),
        "can_reveal": selectors.can_reveal(request.user, member),
        "can_change": selectors.can_change(request.user, member),
    }
    return render(request, "members/detail.html", context)


@never_cache
@login_required
@require_POST
def reveal(request, pk):
    member = selectors.member_get(request.user, pk)
    values = services.member_reveal(acting_user=request.user, member=member, ip=client_ip(request))
    context = {"member": member, "revealed": values, "can_reveal": True}
    if is_htmx(request):
        return vary_on_htmx(render(request, "members/_sensitive.html", context))
    context["can_change"] = selectors.can_change(request.user, member)
    context["details_shown"] = True  # revealed to the member or an admin over the branch
    context["posts"] = selectors.posts_of(member)
    return vary_on_htmx(render(request, "members/detail.html", context))


@login_required
@GET_POST
def create(request, branch_id):
    branch = org_selectors.org_get(request.user, branch_id)
    if not can_hold_members(branch.org_type):
        raise Http404("未找到")
    if not scope.covers(request.user, Perm.CHANGE_MEMBER, branch.path):
        raise PermissionDenied("您没有权限在该党支部新增党员")
    form = MemberForm(request.POST or None, groups=_groups(request.user, branch))
    if response := form_submit(
        request,
        form,
        lambda data: services.member_create(
            acting_user=request.user, branch=branch, ip=client_ip(request), **data
        ),
        success=MSG_SAVED,
        then=_to_detail,
    ):
        return response
    return render(request, "members/form.html", {"form": form, "branch": branch})


@login_required
@GET_POST
def edit(request, pk):
    member = selectors.member_get(request.user, pk)
    if not selectors.can_change(request.user, member):
        raise PermissionDenied("您没有权限修改该党员信息")
    initial = {
        name: getattr(member, name)
        for name in MemberForm.base_fields
        if name not in MemberForm.SENSITIVE
    }
    form = MemberForm(
        request.POST or None,
        initial=initial,
        groups=_groups(request.user, member.branch),
        editing=member,
    )
    if response := edit_submit(
        request,
        form,
        lambda changes: services.member_update(
            acting_user=request.user, member=member, ip=client_ip(request), **changes
        ),
        instance=member,
        changes=form.changes,
        success=MSG_SAVED,
        then=_to_detail,
    ):
        return response
    return render(request, "members/form.html", {"form": form, "member": member})


# --- 拿不走: the roster export and the photo


@never_cache
@login_required
@require_GET
def export(request):
    """The list's filters → 党员名册 (.xlsx, or ?format=csv): masked, watermarked, audited.

    Over the user's row limit: back to the list with a message, nothing exported.
    """
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Http404("未找到")
    if not exports.can_export(request.user):
        raise PermissionDenied(exports.MSG_NO_EXPORT)
    data = request.GET.copy()
    data.pop("format", None)
    data.pop("page", None)
    filterset = MemberFilter(data, queryset=exports.export_queryset(request.user), request=request)
    back = redirect(f"{reverse('members:list')}?{data.urlencode()}")
    if not filterset.is_valid():
        messages.error(request, "筛选条件有误，请修改后再导出")
        return back
    cleaned = filterset.form.cleaned_data
    org = None
    if cleaned.get("org") is not None:
        org = org_selectors.org_get(request.user, cleaned["org"])
    try:
        return exports.member_roster_export(
            user=request.user,
            queryset=filterset.qs,
            filters=cleaned,
            fmt=fmt,
            org=org,
            ip=client_ip(request),
        )
    except ExportRefused as exc:
        messages.error(request, exc.message)
        return back


@never_cache
@login_required
@require_GET
def photo(request, pk):
    """The member's photo, to whoever may see the member's details (404 if not the
    member at all, 403 for a fellow member of the branch)."""
    member = selectors.member_get(request.user, pk)
    if not selectors.sees_details(request.user, member):
        raise PermissionDenied(selectors.MSG_NO_DETAILS)
    return uploads.file_response(member.photo if member.photo_id else None)


@login_required
@require_POST
def photo_upload(request, pk):
    member = selectors.member_get(request.user, pk)
    if not selectors.can_change(request.user, member):
        raise PermissionDenied("您没有权限修改该党员信息")
    if post_action(
        request,
        lambda: services.member_photo_set(
            acting_user=request.user,
            member=member,
            upload=request.FILES.get("photo"),
            ip=client_ip(request),
        ),
        success=MSG_PHOTO_SAVED,
    ):
        return _to_detail(member)
    return redirect("members:edit", member.pk)
