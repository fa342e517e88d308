"""常用答复 (统一口径): the reply templates agents insert in replies and live chats, kept by
the desk admin (MANAGE_OFFICES over the template's organisation department)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.http import client_ip
from dangjian.core.pages import edit_submit, form_submit, paginate, post_action
from dangjian.desk import selectors
from dangjian.desk.services import chats as services
from dangjian.desk.services.workflow import REPLY_MAX
from dangjian.desk.views.routing import category_choices

GET_POST = require_http_methods(["GET", "POST"])
MSG_SAVED = "已保存常用答复“{title}”"
MSG_DELETED = "已删除常用答复"
MSG_NO_MANAGE = "仅12371服务台管理员可维护常用答复"


class CannedForm(forms.Form):
    title = forms.CharField(label="标题", max_length=services.CANNED_TITLE_MAX)
    category = forms.ChoiceField(label="咨询分类", required=False)
    text = forms.CharField(
        label="内容", max_length=REPLY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices("（不限分类）")


class CannedNewForm(CannedForm):
    org = forms.ModelChoiceField(label="适用的组织部门", queryset=None, empty_label=None)

    field_order = ["org"]

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].help_text = "该组织部门及其下级的坐席都能使用"


def _managing(user) -> None:
    if not selectors.can_manage_offices(user):
        raise PermissionDenied(MSG_NO_MANAGE)


@never_cache
@login_required
@require_GET
def canned_list(request):
    """常用答复: those the admin keeps, by organisation and title."""
    _managing(request.user)
    page_obj = paginate(request, selectors.canned_managed(request.user))
    return render(request, "desk/canned/list.html", {"page_obj": page_obj})


@never_cache
@login_required
@GET_POST
def canned_new(request):
    user = request.user
    _managing(user)
    form = CannedNewForm(request.POST or None, orgs=selectors.office_orgs(user))
    if response := form_submit(
        request,
        form,
        lambda data: services.canned_create(acting_user=user, **data),
        success=lambda reply: MSG_SAVED.format(title=reply.title),
        then=lambda _: redirect("desk:canned_list"),
    ):
        return response
    status = 422 if form.errors else 200
    return render(request, "desk/canned/form.html", {"form": form}, status=status)


@never_cache
@login_required
@GET_POST
def canned_edit(request, pk):
    user = request.user
    reply = selectors.canned_get(user, pk)
    initial = {name: getattr(reply, name) for name in services.CANNED_FIELDS}
    form = CannedForm(request.POST or None, initial=initial)
    if response := edit_submit(
        request,
        form,
        lambda changes: services.canned_update(
            acting_user=user, reply=reply, changes=changes, ip=client_ip(request)
        ),
        instance=reply,
        success=lambda r: MSG_SAVED.format(title=r.title),
        then=lambda _: redirect("desk:canned_list"),
    ):
        return response
    status = 422 if form.errors else 200
    return render(request, "desk/canned/form.html", {"form": form, "reply": reply}, status=status)


@login_required
@require_POST
def canned_delete(request, pk):
    reply = selectors.canned_get(request.user, pk)
    post_action(
        request,
        lambda: services.canned_delete(
            acting_user=request.user, reply=reply, ip=client_ip(request)
        ),
        success=MSG_DELETED,
    )
    return redirect("desk:canned_list")


urlpatterns = [
    path("canned/", canned_list, name="canned_list"),
    path("canned/new/", canned_new, name="canned_new"),
    path("canned/<int:pk>/edit/", canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", canned_delete, name="canned_delete"),
]
