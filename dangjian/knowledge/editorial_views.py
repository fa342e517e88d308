"""The editors' pages of 每日一答 (the schedule) and the 政策解读 column, under /consult/.

Members read the column (list and detail) and their own 每日一答; editors of the knowledge
base (``Perm.EDIT_KB``) schedule 每日一答 for their organisations and write, publish and
withdraw articles. Every write goes through ``services.daily`` / ``services.policy``.
"""

import calendar
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.http import client_ip
from dangjian.core.pages import edit_submit, form_submit, paginate, post_action, query_text
from dangjian.core.scope import Perm, covers
from dangjian.core.text import NameFormField
from dangjian.knowledge import selectors
from dangjian.knowledge.models import Entry, PolicyStatus
from dangjian.knowledge.services import daily as daily_services
from dangjian.knowledge.services import policy as policy_services
from dangjian.orgs import selectors as org_selectors

GET_POST = require_http_methods(["GET", "POST"])
MSG_NOT_EDITOR = "您没有编辑知识库的权限"
MSG_SCHEDULED = "已安排 {day:%Y年%-m月%-d日} 的每日一答"
MSG_UNSCHEDULED = "已取消该日的安排，当天将自动选取"
MSG_SAVED = "已保存"
POLICY_DONE = {"publish": "已发布，党员即可阅读", "withdraw": "已撤回"}
WEEKDAYS = "一二三四五六日"


def _require_editor(request) -> None:
    if not selectors.is_editor(request.user):
        raise PermissionDenied(MSG_NOT_EDITOR)


def _editor_org(request):
    """The organisation named by ``org`` (in the editor's scope), else their top one."""
    org_id = request.GET.get("org") or request.POST.get("org")
    if org_id:
        try:
            org = org_selectors.org_get(request.user, int(org_id))
        except (TypeError, ValueError):
            raise Http404("未找到") from None
        if not covers(request.user, Perm.EDIT_KB, org.path):
            raise PermissionDenied(MSG_NOT_EDITOR)
        return org
    org = selectors.default_org(request.user)
    if org is None:
        raise PermissionDenied(MSG_NOT_EDITOR)
    return org


def _month(request, today: dt.date) -> dt.date:
    try:
        return dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)


def _day(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return default


# --- 每日一答: the member's day and the editors' schedule


class ScheduleForm(forms.Form):
    day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    entry = forms.IntegerField(label="条目", min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label="编者按（可选）", max_length=200, required=False)


def _weeks(month: dt.date, planned: dict[dt.date, object], today: dt.date) -> list[list]:
    """The month's weeks, Monday first: each day with its schedule (None outside the month)."""
    weeks = []
    for week in calendar.Calendar().monthdatescalendar(month.year, month.month):
        weeks.append(
            [
                {
                    "day": d,
                    "name": WEEKDAYS[d.weekday()],
                    "item": planned.get(d),
                    "past": d < today,
                    "today": d == today,
                }
                if d.month == month.month
                else None
                for d in week
            ]
        )
    return weeks


@login_required
@GET_POST
def daily_plan(request):
    """The editor's calendar of 每日一答 for one organisation, and the entry picker."""
    _require_editor(request)
    org = _editor_org(request)
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    form = ScheduleForm(request.POST or None, initial={"day": tomorrow})

    def save(data):
        entry = Entry.objects.filter(pk=data["entry"]).first()
        return daily_services.daily_schedule(
            acting_user=request.user,
            org=org,
            day=data["day"],
            entry=entry,
            note=data["note"],
            ip=client_ip(request),
        )

    if response := form_submit(
        request,
        form,
        save,
        success=lambda item: MSG_SCHEDULED.format(day=item.day),
        then=lambda item: redirect(
            f"{reverse('knowledge:daily_plan')}?org={org.pk}&month={item.day:%Y-%m}"
        ),
    ):
        return response
    month = _month(request, today)
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    planned = {
        item.day: item
        for item in selectors.schedule_queryset(request.user).filter(
            org=org, day__gte=first, day__lte=last
        )
    }
    pick_day = _day(request.GET.get("day"), tomorrow)
    q = query_text(request)
    context = {
        "org": org,
        "orgs": selectors.editor_orgs(request.user),
        "form": form,
        "month": first,
        "previous": (first - dt.timedelta(days=1)).replace(day=1),
        "next": last + dt.timedelta(days=1),
        "weeks": _weeks(first, planned, today),
        "weekdays": WEEKDAYS,
        "pick_day": pick_day,
        "q": q,
        "found": selectors.schedule_search(q, pick_day),
        "today": today,
    }
    return render(request, "knowledge/daily/plan.html", context)


@login_required
@require_POST
def daily_unplan(request, schedule_id):
    item = selectors.schedule_get(request.user, schedule_id)
    post_action(
        request,
        lambda: daily_services.daily_unschedule(
            acting_user=request.user, item=item, ip=client_ip(request)
        ),
        success=MSG_UNSCHEDULED,
    )
    return redirect(f"{reverse('knowledge:daily_plan')}?org={item.org_id}&month={item.day:%Y-%m}")


# --- 政策解读


class ArticleForm(forms.Form):
    title = NameFormField(label="标题", max_length=120)
    summary = forms.CharField(label="摘要（可选）", max_length=200, required=False)
    body = forms.CharField(
        label="正文",
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="支持 Markdown：**加粗**、列表、小标题（## ）等",
    )
    source = forms.CharField(label="依据/出处", max_length=200, required=False)
    publish_date = forms.DateField(label="发布日期", widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def initial_of(cls, article) -> dict:
        return {name: getattr(article, name) for name in cls.base_fields}


@login_required
@require_GET
def policy_list(request):
    """Members: the published column, newest first. Editors (?manage=1): every article of
    their organisations, by status."""
    editor = selectors.is_editor(request.user)
    manage = editor and request.GET.get("manage") == "1"
    qs = selectors.policy_manage(request.user) if manage else selectors.policy_public()
    status = request.GET.get("status", "")
    if manage and status in PolicyStatus.values:
        qs = qs.filter(status=status)
    q = query_text(request)
    if q:
        qs = qs.filter(title__icontains=q)
    context = {
        "page_obj": paginate(request, qs.order_by("-publish_date", "-id")),
        "editor": editor,
        "manage": manage,
        "status": status,
        "statuses": PolicyStatus.choices,
        "q": q,
    }
    return render(request, "knowledge/policy/list.html", context)


@login_required
@require_GET
def policy_detail(request, article_id):
    article = selectors.policy_get(request.user, article_id)
    context = {
        "article": article,
        "body_html": selectors.answer_html(article.body),
        "can_edit": selectors.policy_can_edit(request.user, article),
    }
    return render(request, "knowledge/policy/detail.html", context)


def _to_article(article):
    return redirect("knowledge:policy_detail", article.pk)


@login_required
@GET_POST
def policy_create(request):
    _require_editor(request)
    org = _editor_org(request)
    form = ArticleForm(request.POST or None, initial={"publish_date": timezone.localdate()})
    if response := form_submit(
        request,
        form,
        lambda data: policy_services.article_create(
            acting_user=request.user, org=org, ip=client_ip(request), **data
        ),
        success=MSG_SAVED,
        then=_to_article,
    ):
        return response
    return render(request, "knowledge/policy/form.html", {"form": form, "org": org})


@login_required
@GET_POST
def policy_edit(request, article_id):
    article = selectors.policy_get(request.user, article_id)
    if not selectors.policy_can_edit(request.user, article):
        raise PermissionDenied(MSG_NOT_EDITOR)
    form = ArticleForm(request.POST or None, initial=ArticleForm.initial_of(article))
    if response := edit_submit(
        request,
        form,
        lambda changes: policy_services.article_update(
            acting_user=request.user, article=article, ip=client_ip(request), **changes
        ),
        instance=article,
        success=MSG_SAVED,
        then=_to_article,
    ):
        return response
    context = {"form": form, "article": article, "org": article.org}
    return render(request, "knowledge/policy/form.html", context)


POLICY_ACTIONS = {
    "publish": policy_services.article_publish,
    "withdraw": policy_services.article_withdraw,
}


@login_required
@require_POST
def policy_status(request, article_id, action):
    if action not in POLICY_ACTIONS:
        raise Http404("未找到")
    article = selectors.policy_get(request.user, article_id)
    post_action(
        request,
        lambda: POLICY_ACTIONS[action](
            acting_user=request.user, article=article, ip=client_ip(request)
        ),
        success=POLICY_DONE[action],
    )
    return _to_article(article)


urlpatterns = [
    path("daily/plan/", daily_plan, name="daily_plan"),
    path("daily/plan/<int:schedule_id>/cancel/", daily_unplan, name="daily_unplan"),
    path("policy/", policy_list, name="policy_list"),
    path("policy/new/", policy_create, name="policy_create"),
    path("policy/<int:article_id>/", policy_detail, name="policy_detail"),
    path("policy/<int:article_id>/edit/", policy_edit, name="policy_edit"),
    path("policy/<int:article_id>/<slug:action>/", policy_status, name="policy_status"),
]
