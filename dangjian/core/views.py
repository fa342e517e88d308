"""Core's pages: the inbox (消息中心) of ``core.notify``, and the warnings (预警) of one's
subtree with their resolve and assign actions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.core import notify, scope, warnings
from dangjian.core.apitools import MSG_BAD_REQUEST
from dangjian.core.filters import WarningFilter
from dangjian.core.http import client_ip
from dangjian.core.pages import (
    apply_errors,
    is_htmx,
    list_filter,
    list_results,
    paginate,
    vary_on_htmx,
)
from dangjian.core.scope import Perm


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


# --- Warnings (预警) -------------------------------------------------------------------

MSG_RESOLVED = "预警{label}"
MSG_ASSIGNED = "已指派给{who}"
MSG_UNASSIGNED = "已取消指派"


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label="处理结果",
        choices=[(r.value, r.label) for r in warnings.PERSON_RESOLUTIONS],
        widget=forms.RadioSelect,
        initial=warnings.Resolution.HANDLED,
    )
    note = forms.CharField(
        label="处理说明",
        max_length=warnings.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明采取了哪些措施，或忽略的理由",
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label="责任人", queryset=None, required=False, empty_label="（不指派）"
    )

    def __init__(self, *args, acting_user, warning, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = warnings.assignable_users(acting_user, warning)


def _warning_filterset(request) -> WarningFilter:
    data = request.GET.copy()
    data.setdefault("state", "open")
    queryset = warnings.warning_queryset(request.user)
    filterset = list_filter(request, WarningFilter, queryset, data=data)
    for name in ("raised_from", "raised_to"):
        filterset.form.fields[name].widget.input_type = "date"
    return filterset


@login_required
@require_GET
def warning_list(request):
    """预警: the warnings of the user's subtree, open ones first by default, filterable by
    kind, organisation (and its subtree), state, assignee = me and the day raised."""
    filterset = _warning_filterset(request)
    results, org = list_results(
        filterset,
        lambda pk: (
            scope.org_model()
            .objects.visible_to(request.user, Perm.VIEW_WARNING)
            .filter(pk=pk)
            .first()
        ),
    )
    context = {
        "filterset": filterset,
        "page_obj": paginate(request, results),
        "org": org,
        "sees_warnings": warnings.sees_any(request.user),
    }
    template = "core/_warning_results.html" if is_htmx(request) else "core/warnings.html"
    return vary_on_htmx(render(request, template, context))


def _detail_context(request, warning, **forms_) -> dict:
    changeable = warning.is_open and warnings.can_change(request.user, warning)
    context = {"w": warning, "changeable": changeable}
    if changeable:
        context["resolve_form"] = forms_.get("resolve_form") or ResolveForm()
        context["assign_form"] = forms_.get("assign_form") or AssignForm(
            acting_user=request.user,
            warning=warning,
            initial={"assignee": warning.assignee_id},
        )
    return context


@login_required
@require_GET
def warning_detail(request, pk: int):
    warning = warnings.warning_get(request.user, pk)
    return render(request, "core/warning_detail.html", _detail_context(request, warning))


@login_required
@require_POST
def warning_resolve(request, pk: int):
    warning = warnings.warning_get(request.user, pk)
    warnings.require_change(request.user, warning)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            warnings.warning_resolve(
                acting_user=request.user,
                warning=warning,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            label = warnings.Resolution(form.cleaned_data["resolution"]).label
            messages.success(request, MSG_RESOLVED.format(label=label))
            return redirect("warning_detail", pk=warning.pk)
    context = _detail_context(request, warning, resolve_form=form)
    return render(request, "core/warning_detail.html", context)


@login_required
@require_POST
def warning_assign(request, pk: int):
    warning = warnings.warning_get(request.user, pk)
    warnings.require_change(request.user, warning)
    form = AssignForm(request.POST, acting_user=request.user, warning=warning)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            warnings.warning_assign(
                acting_user=request.user, warning=warning, assignee=assignee, ip=client_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            who = MSG_ASSIGNED.format(who=assignee) if assignee else MSG_UNASSIGNED
            messages.success(request, who)
            return redirect("warning_detail", pk=warning.pk)
    context = _detail_context(request, warning, assign_form=form)
    return render(request, "core/warning_detail.html", context)


def bad_request(request, exception=None):
    """handler400: a request Django could not parse (a multipart body without a boundary,
    too many fields…) — JSON in the API's error format under /api/, a Chinese page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MSG_BAD_REQUEST}, status=400)
    return render(request, "400.html", status=400)
