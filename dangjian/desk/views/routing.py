"""Pages of central acceptance: the registry of offices (业务处室) and its upkeep, the
requests for input addressed to one's office (本处室协商联动), and an order's
re-categorising / re-routing and merging (buttons on the order page)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.http import client_ip
from dangjian.core.pages import edit_submit, form_submit, paginate, post_action
from dangjian.core.scope import Perm, scope_paths
from dangjian.core.text import NameFormField
from dangjian.desk import rules, selectors
from dangjian.desk.services import routing as services

GET_POST = require_http_methods(["GET", "POST"])
MSG_OFFICE_SAVED = "已保存业务处室“{name}”"
MSG_REROUTED = "已重新分类/转办"
MSG_MERGED = "已合并至工单 {number}"
MSG_NOT_OFFICE = "仅业务处室的责任人、联络员和12371工作人员可查看"
MSG_MAIN_UNKNOWN = "未找到该工单，请填写工单号（如 GD20261207000012）"


def category_choices(blank: str = "（未分类）") -> list[tuple[str, str]]:
    """The 咨询分类 select's options (rules.categories), blank first."""
    return [("", blank), *((c, c) for c in rules.categories())]


class OfficeForm(forms.Form):
    """An office: its name and categories, its 责任人 and 联络员 (an account, a name, or
    both, and a phone)."""

    name = forms.CharField(label="处室名称", max_length=60)
    categories = forms.MultipleChoiceField(
        label="负责的咨询分类", required=False, widget=forms.CheckboxSelectMultiple
    )
    lead = forms.ModelChoiceField(label="责任人账号", queryset=None, required=False)
    lead_name = NameFormField(label="责任人姓名", max_length=50, required=False)
    lead_phone = forms.CharField(label="责任人电话", max_length=30, required=False)
    liaison = forms.ModelChoiceField(label="联络员账号", queryset=None, required=False)
    liaison_name = NameFormField(label="联络员姓名", max_length=50, required=False)
    liaison_phone = forms.CharField(label="联络员电话", max_length=30, required=False)
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c, c) for c in rules.categories()]
        for name in ("lead", "liaison"):
            self.fields[name].queryset = people
            self.fields[name].empty_label = "（无账号，只填姓名）"
            self.fields[name].help_text = "关联账号后，本人会收到征求意见通知并可在平台回复"


class OfficeNewForm(OfficeForm):
    org = forms.ModelChoiceField(label="所属组织部门", queryset=None, empty_label=None)

    field_order = ["org"]

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs


class RerouteForm(forms.Form):
    category = forms.ChoiceField(label="咨询分类", required=False)
    org = forms.IntegerField(label="承办组织部门", min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(label="原因", max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


class MergeForm(forms.Form):
    main = forms.CharField(label="主工单号", max_length=30)


# --- The registry


@never_cache
@login_required
@require_GET
def office_list(request):
    """业务处室: each with its categories, 责任人 and 联络员 (the agents' phone book)."""
    if not selectors.is_staff(request.user) and not selectors.can_manage_offices(request.user):
        raise PermissionDenied("仅12371坐席、经办人员与管理员可查看")
    offices = selectors.office_queryset(request.user).order_by("org__depth", "org_id", "name")
    context = {
        "page_obj": paginate(request, offices),
        "can_manage": selectors.can_manage_offices(request.user),
        "acceptance": rules.ACCEPTANCE_MODES[rules.acceptance()],
    }
    return render(request, "desk/offices/list.html", context)


@never_cache
@login_required
@GET_POST
def office_new(request):
    user = request.user
    if not selectors.can_manage_offices(user):
        raise PermissionDenied(services.MSG_NO_MANAGE)
    form = OfficeNewForm(
        request.POST or None, people=selectors.office_people(user), orgs=selectors.office_orgs(user)
    )
    if response := form_submit(
        request,
        form,
        lambda data: services.office_create(acting_user=user, ip=client_ip(request), **data),
        success=lambda office: MSG_OFFICE_SAVED.format(name=office.name),
        then=lambda _: redirect("desk:office_list"),
    ):
        return response
    return render(request, "desk/offices/form.html", {"form": form})


@never_cache
@login_required
@GET_POST
def office_edit(request, pk):
    user = request.user
    office = selectors.office_get(user, pk)
    if not selectors.can_manage_offices(user, office.org):
        raise PermissionDenied(services.MSG_NO_MANAGE)
    initial = {name: getattr(office, name) for name in services.OFFICE_FIELDS}
    form = OfficeForm(request.POST or None, initial=initial, people=selectors.office_people(user))
    if response := edit_submit(
        request,
        form,
        lambda changes: services.office_update(
            acting_user=user, office=office, changes=changes, ip=client_ip(request)
        ),
        instance=office,
        success=lambda o: MSG_OFFICE_SAVED.format(name=o.name),
        then=lambda _: redirect("desk:office_list"),
    ):
        return response
    return render(request, "desk/offices/form.html", {"form": form, "office": office})


@never_cache
@login_required
@require_GET
def consultations(request):
    """本处室协商联动: the open requests to one's office by deadline (the late ones
    marked), or those answered (``?show=answered``). For the offices' 责任人 and 联络员
    (their menu's 协商联动) and the desk's staff."""
    user = request.user
    if not (selectors.is_office_contact(user) or scope_paths(user, Perm.HANDLE_CONSULT)):
        raise PermissionDenied(MSG_NOT_OFFICE)
    answered = request.GET.get("show") == "answered"
    page_obj = paginate(request, selectors.my_consultations(user, answered=answered))
    context = {"page_obj": page_obj, "answered": answered, "now": timezone.now()}
    return render(request, "desk/offices/consultations.html", context)


# --- Re-routing and merging an order


@login_required
@require_POST
def order_reroute(request, pk):
    order = selectors.order_get(request.user, pk)
    services.authorize_handle(request.user, order)
    form = RerouteForm(request.POST)

    def act():
        target = selectors.reroute_target_get(request.user, form.cleaned_data["org"])
        services.order_reroute(
            acting_user=request.user,
            order=order,
            category=form.cleaned_data["category"],
            org=target,
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        )

    post_action(request, act, success=MSG_REROUTED, form=form)
    return redirect("desk:order_detail", pk)


def _order_by_number(user, text: str):
    """An order by its number (GD + date + id) or its bare id, in the user's scope."""
    text = text.strip().upper()
    digits = text[len("GD") + 8 :] if text.startswith("GD") else text
    if not digits.isdigit() or len(digits) > 18:
        return None
    order = selectors.order_queryset(user).filter(pk=int(digits)).first()
    if order is None or (text.startswith("GD") and order.number != text):
        return None
    return order


@login_required
@require_POST
def order_merge(request, pk):
    order = selectors.order_get(request.user, pk)
    services.authorize_handle(request.user, order)
    form = MergeForm(request.POST)
    main = _order_by_number(request.user, form.cleaned_data["main"]) if form.is_valid() else None
    if form.is_valid() and main is None:
        form.add_error("main", MSG_MAIN_UNKNOWN)
    number = main.number if main is not None else ""
    merged = post_action(
        request,
        lambda: services.order_merge(
            acting_user=request.user, order=order, main=main, ip=client_ip(request)
        ),
        success=MSG_MERGED.format(number=number),
        form=form,
    )
    # Merged: on to the order kept, where the case goes on (the duplicate is closed).
    # Refused: back to the page the button was on (``back``: the main order's, whose
    # 并入本工单 list posts each duplicate's merge).
    if merged:
        return redirect("desk:order_detail", main.pk)
    if request.POST.get("back") == "main" and main is not None:
        return redirect("desk:order_detail", main.pk)
    return redirect("desk:order_detail", pk)


urlpatterns = [
    path("offices/", office_list, name="office_list"),
    path("offices/new/", office_new, name="office_new"),
    path("offices/<int:pk>/edit/", office_edit, name="office_edit"),
    path("consultations/", consultations, name="my_consultations"),
    path("orders/<int:pk>/reroute/", order_reroute, name="order_reroute"),
    path("orders/<int:pk>/merge/", order_merge, name="order_merge"),
]
