"""Transfer pages, for a member on a phone and the admins who approve: the list, the
application (for oneself, or for a member of one's branch), the transfer's page (the
chain of approvals and every step, with the buttons the user may press), the letter PDF,
and the public verification page the letter's QR code opens (no login)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.http import client_ip
from dangjian.core.pages import form_submit, paginate, post_action, query_text
from dangjian.core.scope import Perm, scope_paths
from dangjian.members import selectors as member_selectors
from dangjian.transfers import letter as letter_pdf
from dangjian.transfers import selectors, services
from dangjian.transfers.filters import TransferFilter
from dangjian.transfers.forms import ApplyForm, NoteForm, ReasonForm, ReceiptForm

GET_POST = require_http_methods(["GET", "POST"])
MSG_APPLIED = "转接申请已提交，请关注审批进度"
MSG_APPROVED = "已审批同意"
MSG_REJECTED = "已退回申请"
MSG_WITHDRAWN = "申请已撤回"
MSG_REISSUED = "已重新开具介绍信，原介绍信作废"
MSG_RECEIVED = "回执已登记，组织关系转接完成"
MSG_NO_MEMBER = "您的账号未关联党员信息，无法申请转接；请联系所在党支部代为申请"


def _to_detail(transfer):
    return redirect("transfers:detail", transfer.pk)


@login_required
@require_GET
def transfer_list(request):
    qs = selectors.transfer_queryset(request.user)
    filters = TransferFilter(request.GET or None, queryset=qs, request=request)
    page = paginate(request, filters.qs)
    return render(
        request,
        "transfers/list.html",
        {
            "page_obj": page,
            "filters": filters,
            "may_apply": bool(request.user.member_id),
            # someone over a subtree (a member alone sees only their own letters: no filters)
            "oversees": bool(scope_paths(request.user, Perm.VIEW_TRANSFER)),
        },
    )


def _apply(request, member):
    text = query_text(request)
    found = list(selectors.destination_search(text)) if text else []
    form = ApplyForm(request.POST or None, destinations=found)
    if request.method == "POST":
        chosen = request.POST.get("to_org", "")
        if chosen.isdigit() and not any(o.pk == int(chosen) for o in found):
            found.append(selectors.destination_get(int(chosen)))
            form = ApplyForm(request.POST, destinations=[o for o in found if o])

    def save(data):
        return services.transfer_apply(
            acting_user=request.user,
            member=member,
            reason=data["reason"],
            to_branch=data["to_org"],
            external_org=data["external_org"],
            external_scope=data["external_scope"],
            ip=client_ip(request),
        )

    if response := form_submit(request, form, save, success=MSG_APPLIED, then=_to_detail):
        return response
    return render(
        request,
        "transfers/apply.html",
        {"form": form, "member": member, "q": text, "found": found, "searched": bool(text)},
    )


@login_required
@GET_POST
def apply(request):
    """The member applies for themselves."""
    if not request.user.member_id:
        return render(request, "transfers/no_member.html", {"message": MSG_NO_MEMBER})
    return _apply(request, request.user.member)


@login_required
@GET_POST
def apply_for(request, member_id):
    """The branch's side applies on a member's behalf (the service checks the right)."""
    member = member_selectors.member_get(request.user, member_id)
    services.authorize_apply(acting_user=request.user, member=member)
    return _apply(request, member)


@login_required
@require_GET
def detail(request, pk):
    transfer = selectors.transfer_get(request.user, pk)
    return render(
        request,
        "transfers/detail.html",
        {
            "t": transfer,
            "steps": selectors.steps_of(transfer),
            "history": selectors.history_of(transfer),
            "can": selectors.actions_for(request.user, transfer),
            "note_form": NoteForm(),
            "reason_form": ReasonForm(),
            "receipt_form": ReceiptForm(initial={"received_on": timezone.localdate()}),
            "mine": request.user.member_id == transfer.member_id,
        },
    )


def _action(request, pk, act, *, success: str, form=None):
    transfer = selectors.transfer_get(request.user, pk)
    post_action(
        request,
        lambda: act(transfer, form.cleaned_data if form else {}),
        success=success,
        form=form,
    )
    return _to_detail(transfer)


@login_required
@require_POST
def approve(request, pk):
    return _action(
        request,
        pk,
        lambda t, data: services.transfer_approve(
            acting_user=request.user, transfer=t, note=data["note"], ip=client_ip(request)
        ),
        success=MSG_APPROVED,
        form=NoteForm(request.POST),
    )


@login_required
@require_POST
def reject(request, pk):
    return _action(
        request,
        pk,
        lambda t, data: services.transfer_reject(
            acting_user=request.user, transfer=t, reason=data["reason"], ip=client_ip(request)
        ),
        success=MSG_REJECTED,
        form=ReasonForm(request.POST),
    )


@login_required
@require_POST
def withdraw(request, pk):
    return _action(
        request,
        pk,
        lambda t, data: services.transfer_withdraw(
            acting_user=request.user, transfer=t, reason=data["reason"], ip=client_ip(request)
        ),
        success=MSG_WITHDRAWN,
        form=ReasonForm(request.POST),
    )


@login_required
@require_POST
def reissue(request, pk):
    return _action(
        request,
        pk,
        lambda t, data: services.transfer_reissue(
            acting_user=request.user, transfer=t, ip=client_ip(request)
        ),
        success=MSG_REISSUED,
    )


@login_required
@require_POST
def receipt(request, pk):
    return _action(
        request,
        pk,
        lambda t, data: services.transfer_receive(
            acting_user=request.user,
            transfer=t,
            received_on=data["received_on"],
            note=data["note"],
            ip=client_ip(request),
        ),
        success=MSG_RECEIVED,
        form=ReceiptForm(request.POST),
    )


@never_cache
@login_required
@require_GET
def letter(request, pk):
    transfer = selectors.transfer_get(request.user, pk)
    if transfer.letter_no is None:
        raise Http404("未找到")
    services.letter_download_record(
        acting_user=request.user, transfer=transfer, ip=client_ip(request)
    )
    return letter_pdf.pdf_response(transfer, request)


@never_cache
@require_GET
def verify(request, token):
    """Public: whether a letter is genuine and still valid; only the name and the two
    organisations are shown."""
    result = selectors.verify(token[:200])
    return render(request, "transfers/verify.html", {"v": result, "home": reverse("home")})
