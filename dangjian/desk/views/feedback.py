"""The 问题优化清单: members' suggestions and problems about the platform, and the page
where the admins over them move each along."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.http import client_ip
from dangjian.core.pages import form_submit, paginate, post_action
from dangjian.desk import selectors
from dangjian.desk.models import PlatformFeedbackKind, PlatformFeedbackStatus
from dangjian.desk.services import feedback as services

GET_POST = require_http_methods(["GET", "POST"])
MSG_SAVED = "已保存"
MSG_FEEDBACK_THANKS = "感谢您的意见，我们会认真研究并告知处理结果"


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=PlatformFeedbackKind.choices)
    text = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 5}), max_length=2000)


class FeedbackStatusForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=PlatformFeedbackStatus.choices)
    reply = forms.CharField(label="处理说明", required=False, max_length=2000)


@login_required
@GET_POST
def feedback(request):
    """功能建议 / 使用问题: members submit; they see what became of theirs."""
    form = FeedbackForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.feedback_submit(user=request.user, ip=client_ip(request), **data),
        success=MSG_FEEDBACK_THANKS,
        then=lambda _: redirect("desk:feedback"),
    ):
        return response
    mine = selectors.feedback_queryset(request.user).filter(user=request.user)[:20]
    return render(request, "desk/feedback/submit.html", {"form": form, "mine": mine})


@login_required
@require_GET
def feedback_manage(request):
    """问题优化清单 for the admins over the submitters."""
    if not selectors.is_admin(request.user):
        raise PermissionDenied("仅管理员可查看问题优化清单")
    qs = selectors.feedback_queryset(request.user).exclude(user=request.user)
    status = request.GET.get("status", "")
    if status in PlatformFeedbackStatus.values:
        qs = qs.filter(status=status)
    context = {
        "page_obj": paginate(request, qs),
        "statuses": PlatformFeedbackStatus.choices,
        "status": status,
        "status_form": FeedbackStatusForm(),
    }
    return render(request, "desk/feedback/manage.html", context)


@login_required
@require_POST
def feedback_status(request, pk):
    item = selectors.feedback_get(request.user, pk)
    form = FeedbackStatusForm(request.POST)
    post_action(
        request,
        lambda: services.feedback_set_status(
            acting_user=request.user, item=item, ip=client_ip(request), **form.cleaned_data
        ),
        success=MSG_SAVED,
        form=form,
    )
    return redirect("desk:feedback_manage")


urlpatterns = [
    path("feedback/", feedback, name="feedback"),
    path("feedback/manage/", feedback_manage, name="feedback_manage"),
    path("feedback/<int:pk>/status/", feedback_status, name="feedback_status"),
]
