"""The hotline script: the voice menu (IVR) as the agents read it, edited by the admins
of the organisation that runs the hotline."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core.http import client_ip
from dangjian.core.scope import Perm, covers
from dangjian.desk import selectors
from dangjian.desk.services import ivr

GET_POST = require_http_methods(["GET", "POST"])
MSG_SAVED = "已保存"


class IvrForm(forms.Form):
    menu = forms.CharField(
        label="语音菜单",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一项：按键 | 播报内容 | 转接队列 | 咨询分类（可空）",
    )

    def options(self) -> list[dict]:
        result = []
        for line in self.cleaned_data["menu"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + ["", "", "", ""]
            result.append(
                {"key": parts[0], "label": parts[1], "queue": parts[2], "category": parts[3]}
            )
        return result


@login_required
@require_GET
def hotline(request):
    """The hotline's voice menu as the agents' script (12371 staff only)."""
    if not selectors.is_staff(request.user):
        raise PermissionDenied("仅 12371 坐席与经办人员可查看")
    org = selectors.ivr_org(request.user)
    options = list(selectors.ivr_options(org)) if org else []
    can_edit = org is not None and covers(request.user, Perm.CHANGE_ORG, org.path)
    context = {"org": org, "options": options, "can_edit": can_edit}
    return render(request, "desk/hotline/script.html", context)


@login_required
@GET_POST
def hotline_edit(request):
    org = selectors.ivr_org(request.user)
    if org is None or not covers(request.user, Perm.CHANGE_ORG, org.path):
        raise PermissionDenied("仅热线所属组织的管理员可修改语音菜单")
    current = "\n".join(
        f"{o.key} | {o.label} | {o.queue} | {o.category}" for o in selectors.ivr_options(org)
    )
    form = IvrForm(request.POST or None, initial={"menu": current})
    if request.method == "POST" and form.is_valid():
        try:
            ivr.ivr_menu_replace(
                acting_user=request.user, org=org, options=form.options(), ip=client_ip(request)
            )
        except ValidationError as exc:
            for line, texts in exc.message_dict.items():
                prefix = "" if line == "__all__" else f"第{line}行："
                for text in texts:
                    form.add_error("menu", prefix + text)
        else:
            messages.success(request, MSG_SAVED)
            return redirect("desk:hotline")
    return render(request, "desk/hotline/script_edit.html", {"form": form, "org": org})


urlpatterns = [
    path("hotline/", hotline, name="hotline"),
    path("hotline/edit/", hotline_edit, name="hotline_edit"),
]
