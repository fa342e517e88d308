"""组织关系转入 pages: the list of letters arriving from outside the platform, the form
the receiving side types a paper letter into, the case's page (the checks from the 县委
down to the branch, with the buttons the user may press) and the 回执 PDF."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.http import client_ip
from dangjian.core.pages import form_submit, paginate, post_action
from dangjian.transfers import receipt as receipt_pdf
from dangjian.transfers import selectors, services
from dangjian.transfers.filters import IncomingFilter
from dangjian.transfers.forms import IncomingForm, NoteForm, ReasonForm

MSG_REGISTERED = "转入介绍信已登记，待逐级审核"
MSG_APPROVED = "已审核同意"
MSG_REJECTED = "已不予接收"
MSG_UNKNOWN_BRANCH = "没有该名称或组织代码的党支部，或您不能为其登记转入"
MSG_SAME_NAME = "您管辖的范围内有多个同名党支部，请填写组织代码"
MSG_NO_RIGHT = "您没有登记组织关系转入的权限"


def _receiving_branch(branches, given: str):
    """The branch the letter's header names, by its 组织代码 or, as a county clerk reads it
    off the paper, its full name (a name shared by two branches in scope needs the code)."""
    given = given.strip()
    by_code = branches.filter(code=given).first()
    if by_code is not None:
        return by_code
    by_name = list(branches.filter(name=given)[:2])
    if len(by_name) == 1:
        return by_name[0]
    raise ValidationError({"to_branch_code": MSG_SAME_NAME if by_name else MSG_UNKNOWN_BRANCH})


def _to_detail(incoming):
    return redirect("transfers:incoming_detail", incoming.pk)


@login_required
@require_GET
def incoming_list(request):
    qs = selectors.incoming_queryset(request.user)
    filters = IncomingFilter(request.GET or None, queryset=qs, request=request)
    page = paginate(request, filters.qs)
    may_register = selectors.receiving_branches(request.user).exists()
    return render(
        request,
        "transfers/incoming_list.html",
        {"page_obj": page, "filters": filters, "may_register": may_register},
    )


@login_required
@require_http_methods(["GET", "POST"])
def incoming_new(request):
    """The receiving side types in the letter; the branch is named by its 组织代码 or full
    name (a branch's own admin finds the code filled in)."""
    branches = selectors.receiving_branches(request.user)
    own = list(branches.order_by("path")[:2])
    if not own:
        raise PermissionDenied(MSG_NO_RIGHT)
    initial = {"to_branch_code": own[0].code} if len(own) == 1 else {}
    form = IncomingForm(request.POST or None, initial=initial)

    def save(data):
        branch = _receiving_branch(branches, data["to_branch_code"])
        return services.incoming_register(
            acting_user=request.user,
            to_branch=branch,
            ip=client_ip(request),
            **{k: v for k, v in data.items() if k != "to_branch_code"},
        )

    if response := form_submit(request, form, save, success=MSG_REGISTERED, then=_to_detail):
        return response
    return render(request, "transfers/incoming_new.html", {"form": form})


@login_required
@require_GET
def incoming_detail(request, pk):
    incoming = selectors.incoming_get(request.user, pk)
    return render(
        request,
        "transfers/incoming_detail.html",
        {
            "i": incoming,
            "steps": selectors.incoming_steps(incoming),
            "history": selectors.incoming_history(incoming),
            "can": selectors.incoming_actions_for(request.user, incoming),
            "returning": selectors.returning_member(incoming),
            "note_form": NoteForm(),
        },
    )


@login_required
@require_POST
def incoming_approve(request, pk):
    incoming = selectors.incoming_get(request.user, pk)
    form = NoteForm(request.POST)
    post_action(
        request,
        lambda: services.incoming_approve(
            acting_user=request.user,
            incoming=incoming,
            note=form.cleaned_data["note"],
            ip=client_ip(request),
        ),
        success=MSG_APPROVED,
        form=form,
    )
    return _to_detail(incoming)


@login_required
@require_POST
def incoming_reject(request, pk):
    incoming = selectors.incoming_get(request.user, pk)
    form = ReasonForm(request.POST)
    post_action(
        request,
        lambda: services.incoming_reject(
            acting_user=request.user,
            incoming=incoming,
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        ),
        success=MSG_REJECTED,
        form=form,
    )
    return _to_detail(incoming)


@never_cache
@login_required
@require_GET
def incoming_receipt(request, pk):
    incoming = selectors.incoming_get(request.user, pk)
    if incoming.receipt_no == "":
        raise Http404("未找到")
    services.receipt_download_record(
        acting_user=request.user, incoming=incoming, ip=client_ip(request)
    )
    return receipt_pdf.pdf_response(incoming)
