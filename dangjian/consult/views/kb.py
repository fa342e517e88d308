"""Pages of the knowledge base and the bot: the member chat (mobile, plain form POST that
htmx enhances), knowledge-base search and the editor's pages, 每日一答, the hotline
script, and the 问题优化清单."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.consult import imports
from dangjian.consult.api.kb import SESSION_KEY, remember_conversation
from dangjian.consult.models import (
    EntryKind,
    EntryStatus,
    PlatformFeedbackKind,
    PlatformFeedbackStatus,
)
from dangjian.consult.selectors import kb as selectors
from dangjian.consult.selectors import orders as orders_selectors
from dangjian.consult.services import kb as services
from dangjian.consult.services import kb_desk as desk
from dangjian.core.excel import SheetError
from dangjian.core.http import client_ip
from dangjian.core.pages import (
    apply_errors,
    form_submit,
    is_htmx,
    paginate,
    post_action,
    query_text,
    vary_on_htmx,
)
from dangjian.core.ratelimit import ratelimit
from dangjian.core.scope import Perm, covers
from dangjian.core.text import NameFormField
from dangjian.orgs import selectors as org_selectors

GET_POST = require_http_methods(["GET", "POST"])
MSG_SAVED = "已保存"
MSG_NOT_EDITOR = "您没有编辑知识库的权限"
MSG_IMPORTED = "已导入 {created} 条（其中发布 {published} 条）"
MSG_IMPORT_MERGED = "另有 {n} 行与前面的问题重复，已合并或跳过（如第{row}行：{message}）"
MSG_IMPORT_FAILED = "文件中有 {n} 处错误，未导入任何条目。请改正后重新上传。"
MSG_FEEDBACK_THANKS = "感谢您的意见，我们会认真研究并告知处理结果"
MSG_THANKS = "感谢您的评价"
STATUS_DONE = {
    "publish": "已发布，智能应答即时生效",
    "retire": "已停用",
    "restore": "已恢复为草稿",
}


def _session_ids(request) -> list[int]:
    return list(request.session.get(SESSION_KEY, []))


def _public_key(request):
    """Rate-limit visitors by IP; logged-in members are not limited here."""
    return None if request.user.is_authenticated else client_ip(request)


# --- Forms


class AskForm(forms.Form):
    question = forms.CharField(
        label="您的问题",
        max_length=services.ASK_MAX,
        widget=forms.TextInput(
            attrs={"placeholder": "例如：组织关系怎么转接？", "autocomplete": "off"}
        ),
    )


class EntryForm(forms.Form):
    question = NameFormField(label="标准问题", max_length=services.QUESTION_MAX)
    answer = forms.CharField(
        label="答案",
        max_length=services.ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="支持 Markdown：**加粗**、- 列表、[链接](https://…)；不支持 HTML。",
    )
    alternatives = forms.CharField(
        label="相似问法",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一条，帮助智能应答听懂不同说法",
    )
    category = forms.CharField(label="分类", max_length=40, required=False)
    tags = forms.CharField(label="标签", required=False, help_text="用顿号或逗号分隔")
    source = forms.CharField(label="依据/出处", max_length=200, required=False)
    office = forms.CharField(label="责任处室", max_length=60, required=False)
    valid_from = forms.DateField(
        label="生效日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label="失效日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label="类型", choices=EntryKind.choices, initial=EntryKind.FAQ)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["alternatives"] = imports._split(data["alternatives"], imports._ALT_SPLIT)
        data["tags"] = imports._split(data["tags"], imports._TAG_SPLIT)
        return data

    @classmethod
    def initial_of(cls, entry) -> dict:
        initial = {name: getattr(entry, name) for name in cls.base_fields}
        initial["alternatives"] = "\n".join(entry.alternatives or ())
        initial["tags"] = "、".join(entry.tags or ())
        return initial


class ImportForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx、.csv 或 .jsonl）")
    publish = forms.BooleanField(label="导入后立即发布", required=False)


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=PlatformFeedbackKind.choices)
    text = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 5}), max_length=2000)


class FeedbackStatusForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=PlatformFeedbackStatus.choices)
    reply = forms.CharField(label="处理说明", required=False, max_length=2000)


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


# --- The member chat


def _chat_context(request, conversation=None, form=None) -> dict:
    turns = list(selectors.conversation_messages(conversation)) if conversation else []
    for turn in turns:
        turn.html = selectors.answer_html(turn.text) if turn.entry_id else None
    return {
        "form": form or AskForm(),
        "conversation": conversation,
        "turns": turns,
        "categories": selectors.categories()[:12],
        "is_agent": orders_selectors.is_staff(request.user),
    }


def _own_conversation(request, conversation_id):
    if not conversation_id:
        return None
    try:
        return selectors.own_conversation(
            request.user, int(conversation_id), session_ids=_session_ids(request)
        )
    except (ValueError, TypeError):
        raise Http404("未找到") from None


def _after_turn(request, result):
    remember_conversation(request, result.conversation.pk)
    if is_htmx(request):
        context = _chat_context(request, result.conversation)
        context["turns"] = context["turns"][-2:]
        context["oob"] = True
        return vary_on_htmx(render(request, "consult/chat_turns.html", context))
    return redirect(f"{reverse('consult:chat')}?c={result.conversation.pk}#latest")


@ratelimit("public", key=_public_key)
@GET_POST
def chat(request):
    """智能问答: ask, see the answer with its source, rate it, or ask for a person."""
    conversation = _own_conversation(request, request.GET.get("c") or request.POST.get("c"))
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.ask(
                user=request.user,
                question=form.cleaned_data["question"],
                conversation=conversation,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _after_turn(request, result)
    status = 422 if form.errors else 200
    return render(
        request, "consult/chat.html", _chat_context(request, conversation, form), status=status
    )


@ratelimit("public", key=_public_key)
@require_POST
def chat_pick(request):
    """A candidate clicked (您是不是想问…): answer with that entry."""
    conversation = _own_conversation(request, request.POST.get("c"))
    try:
        entry = selectors.entry_get(request.user, int(request.POST.get("entry", "")))
    except (ValueError, TypeError):
        raise Http404("未找到") from None
    try:
        result = services.ask(user=request.user, conversation=conversation, entry=entry)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(reverse("consult:chat") + (f"?c={conversation.pk}" if conversation else ""))
    return _after_turn(request, result)


@require_POST
def chat_handoff(request, conversation_id):
    """转人工 at any time."""
    conversation = _own_conversation(request, conversation_id)
    result = services.conversation_handoff(user=request.user, conversation=conversation)
    return _after_turn(request, result)


@require_POST
def chat_feedback(request, message_id):
    """有用 / 没用 on one answer."""
    message = selectors.own_message(request.user, message_id, session_ids=_session_ids(request))
    services.message_feedback(message=message, helpful=request.POST.get("helpful") == "1")
    if is_htmx(request):
        return vary_on_htmx(HttpResponse(f'<span class="muted">{MSG_THANKS}</span>'))
    messages.success(request, MSG_THANKS)
    return redirect(f"{reverse('consult:chat')}?c={message.conversation_id}#latest")


# --- Knowledge base: search (members) and the editor's pages


def _require_editor(request) -> None:
    if not selectors.is_editor(request.user):
        raise PermissionDenied(MSG_NOT_EDITOR)


@login_required
@require_GET
def kb_list(request):
    """Members: search the published base, or browse 案例选编 (?kind=case). Editors: every
    entry of their scope, by status."""
    q = query_text(request)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    editor = selectors.is_editor(request.user)
    if editor and (status in EntryStatus.values or request.GET.get("all")):
        qs = selectors.entry_queryset(request.user)
        if status in EntryStatus.values:
            qs = qs.filter(status=status)
        if q:
            qs = qs.filter(question__icontains=q) | qs.filter(alternatives__icontains=q)
        results = paginate(request, qs.order_by("-updated_at", "-id"))
    elif kind in EntryKind.values:
        cases = selectors.public_queryset().filter(kind=kind)
        results = paginate(request, cases.order_by("-published_at", "-id"))
    elif q:
        results = paginate(request, selectors.search_public(q, limit=20))
    else:
        results = paginate(request, selectors.public_queryset().order_by("category", "id"))
    context = {
        "q": q,
        "status": status,
        "kind": kind,
        "statuses": EntryStatus.choices,
        "editor": editor,
        "page_obj": results,
    }
    template = "consult/kb/_results.html" if is_htmx(request) else "consult/kb/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def kb_detail(request, pk):
    entry = selectors.entry_get(request.user, pk)
    context = {
        "entry": entry,
        "answer_html": selectors.answer_html(entry.answer),
        "can_edit": selectors.can_edit(request.user, entry),
    }
    return render(request, "consult/kb/detail.html", context)


def _org_for_new(request):
    org_id = request.GET.get("org") or request.POST.get("org")
    if org_id:
        try:
            return org_selectors.org_get(request.user, int(org_id))
        except (ValueError, TypeError):
            raise Http404("未找到") from None
    org = selectors.default_org(request.user)
    if org is None:
        raise PermissionDenied(MSG_NOT_EDITOR)
    return org


def _to_entry(entry):
    return redirect("consult:kb_detail", entry.pk)


@login_required
@GET_POST
def kb_create(request):
    _require_editor(request)
    org = _org_for_new(request)
    if not covers(request.user, Perm.EDIT_KB, org.path):
        raise PermissionDenied(MSG_NOT_EDITOR)
    form = EntryForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda _: services.entry_create(
            acting_user=request.user, org=org, ip=client_ip(request), **form.service_fields()
        ),
        success=MSG_SAVED,
        then=_to_entry,
    ):
        return response
    return render(request, "consult/kb/form.html", {"form": form, "org": org})


@login_required
@GET_POST
def kb_edit(request, pk):
    entry = selectors.entry_get(request.user, pk)
    if not selectors.can_edit(request.user, entry):
        raise PermissionDenied(MSG_NOT_EDITOR)
    form = EntryForm(request.POST or None, initial=EntryForm.initial_of(entry))
    if response := form_submit(
        request,
        form,
        lambda _: services.entry_update(
            acting_user=request.user,
            entry=entry,
            ip=client_ip(request),
            **{k: v for k, v in form.service_fields().items() if k != "kind"},
        ),
        success=MSG_SAVED,
        then=_to_entry,
    ):
        return response
    return render(request, "consult/kb/form.html", {"form": form, "entry": entry, "org": entry.org})


ACTIONS = {
    "publish": services.entry_publish,
    "retire": services.entry_retire,
    "restore": services.entry_restore,
}


@login_required
@require_POST
def kb_status(request, pk, action):
    if action not in ACTIONS:
        raise Http404("未找到")
    entry = selectors.entry_get(request.user, pk)
    post_action(
        request,
        lambda: ACTIONS[action](acting_user=request.user, entry=entry, ip=client_ip(request)),
        success=STATUS_DONE[action],
    )
    return _to_entry(entry)


@login_required
@require_GET
def kb_history(request, pk):
    entry = selectors.entry_get(request.user, pk)
    services.authorize_edit(request.user, entry)
    rows = selectors.version_diff(list(selectors.entry_versions(entry)))
    labels = {name: EntryForm.base_fields[name].label for name in EntryForm.base_fields}
    labels["status"] = "状态"
    for row in rows:
        row["changed_labels"] = [labels.get(name, name) for name in row["changed"]]
    return render(request, "consult/kb/history.html", {"entry": entry, "rows": rows})


@login_required
@GET_POST
def kb_import(request):
    _require_editor(request)
    org = _org_for_new(request)
    if not covers(request.user, Perm.EDIT_KB, org.path):
        raise PermissionDenied(MSG_NOT_EDITOR)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / f"upload{suffix}"
            with open(target, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                outcome = imports.import_file(
                    acting_user=request.user,
                    org=org,
                    path=target,
                    publish=form.cleaned_data["publish"],
                    ip=client_ip(request),
                )
            except (SheetError, ValidationError) as exc:
                form.add_error("file", str(getattr(exc, "message", exc)))
            else:
                if not outcome.errors:
                    messages.success(request, MSG_IMPORTED.format(**outcome.__dict__))
                    if outcome.notes:
                        first = outcome.notes[0]
                        messages.warning(
                            request,
                            MSG_IMPORT_MERGED.format(
                                n=len(outcome.notes), row=first.row, message=first.message
                            ),
                        )
                    return redirect(reverse("consult:kb_list") + "?all=1")
                errors = outcome.errors
                form.add_error(None, MSG_IMPORT_FAILED.format(n=len(errors)))
    status = 422 if form.errors else 200
    context = {"form": form, "org": org, "errors": errors}
    return render(request, "consult/kb/import.html", context, status=status)


@login_required
@require_GET
def kb_export(request):
    _require_editor(request)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in imports.FORMATS:
        raise Http404("未找到")
    entries = list(selectors.entry_queryset(request.user).order_by("id"))
    content = imports.export_bytes(entries, fmt)
    services.export_record(
        acting_user=request.user, count=len(entries), fmt=fmt, ip=client_ip(request)
    )
    response = HttpResponse(content, content_type=imports.FORMATS[fmt])
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="kb-{stamp}.{fmt}"'
    return response


# --- 每日一答, hotline script, platform feedback


@login_required
@require_GET
def daily(request):
    page_obj = paginate(request, selectors.daily_archive())
    for item in page_obj:
        item.html = selectors.answer_html(item.entry.answer)
    return render(request, "consult/kb/daily.html", {"page_obj": page_obj})


@login_required
@require_GET
def hotline(request):
    """The hotline's voice menu as the agents' script (12371 staff only)."""
    if not selectors.can_handle(request.user):
        raise PermissionDenied("仅 12371 坐席与经办人员可查看")
    org = selectors.ivr_org(request.user)
    options = list(selectors.ivr_options(org)) if org else []
    can_edit = org is not None and covers(request.user, Perm.CHANGE_ORG, org.path)
    context = {"org": org, "options": options, "can_edit": can_edit}
    return render(request, "consult/kb/hotline.html", context)


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
            desk.ivr_menu_replace(
                acting_user=request.user, org=org, options=form.options(), ip=client_ip(request)
            )
        except ValidationError as exc:
            for line, texts in exc.message_dict.items():
                prefix = "" if line == "__all__" else f"第{line}行："
                for text in texts:
                    form.add_error("menu", prefix + text)
        else:
            messages.success(request, MSG_SAVED)
            return redirect("consult:hotline")
    return render(request, "consult/kb/hotline_edit.html", {"form": form, "org": org})


@login_required
@GET_POST
def feedback(request):
    """功能建议 / 使用问题: members submit; they see what became of theirs."""
    form = FeedbackForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: desk.feedback_submit(user=request.user, ip=client_ip(request), **data),
        success=MSG_FEEDBACK_THANKS,
        then=lambda _: redirect("consult:feedback"),
    ):
        return response
    mine = selectors.feedback_queryset(request.user).filter(user=request.user)[:20]
    return render(request, "consult/kb/feedback.html", {"form": form, "mine": mine})


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
    return render(request, "consult/kb/feedback_manage.html", context)


@login_required
@require_POST
def feedback_status(request, pk):
    item = selectors.feedback_get(request.user, pk)
    form = FeedbackStatusForm(request.POST)
    post_action(
        request,
        lambda: desk.feedback_set_status(
            acting_user=request.user, item=item, ip=client_ip(request), **form.cleaned_data
        ),
        success=MSG_SAVED,
        form=form,
    )
    return redirect("consult:feedback_manage")


urlpatterns = [
    path("chat/", chat, name="chat"),
    path("chat/pick/", chat_pick, name="chat_pick"),
    path("chat/<int:conversation_id>/handoff/", chat_handoff, name="chat_handoff"),
    path("chat/messages/<int:message_id>/feedback/", chat_feedback, name="chat_feedback"),
    path("kb/", kb_list, name="kb_list"),
    path("kb/new/", kb_create, name="kb_create"),
    path("kb/import/", kb_import, name="kb_import"),
    path("kb/export/", kb_export, name="kb_export"),
    path("kb/<int:pk>/", kb_detail, name="kb_detail"),
    path("kb/<int:pk>/edit/", kb_edit, name="kb_edit"),
    path("kb/<int:pk>/history/", kb_history, name="kb_history"),
    path("kb/<int:pk>/<slug:action>/", kb_status, name="kb_status"),
    path("daily/", daily, name="daily"),
    path("hotline/", hotline, name="hotline"),
    path("hotline/edit/", hotline_edit, name="hotline_edit"),
    path("feedback/", feedback, name="feedback"),
    path("feedback/manage/", feedback_manage, name="feedback_manage"),
    path("feedback/<int:pk>/status/", feedback_status, name="feedback_status"),
]
