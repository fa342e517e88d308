"""Pages of the knowledge base and the bot: the member chat (mobile, plain form POST that
htmx enhances), knowledge-base search and the editor's pages, and 每日一答."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.errors import field_errors
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
from dangjian.core.scope import Perm, covers, scope_paths
from dangjian.core.text import NameFormField
from dangjian.knowledge import handoff, imports, selectors
from dangjian.knowledge.models import EntryKind, EntryStatus
from dangjian.knowledge.services import bot
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.session import remember_conversation, session_ids
from dangjian.orgs import selectors as org_selectors

GET_POST = require_http_methods(["GET", "POST"])
MSG_SAVED = "已保存"
MSG_NOT_EDITOR = "您没有编辑知识库的权限"
MSG_IMPORTED = "已导入 {created} 条（其中发布 {published} 条）"
MSG_IMPORT_MERGED = "另有 {n} 行与前面的问题重复，已合并或跳过（如第{row}行：{message}）"
MSG_IMPORT_FAILED = "文件中有 {n} 处错误，未导入任何条目。请改正后重新上传。"
MSG_THANKS = "感谢您的评价"
STATUS_DONE = {
    "publish": "已发布，智能应答即时生效",
    "retire": "已停用",
    "restore": "已恢复为草稿",
}


def _public_key(request):
    """Rate-limit visitors by IP; logged-in members are not limited here."""
    return None if request.user.is_authenticated else client_ip(request)


# --- Forms


MSG_ASK_EMPTY = "请输入您的问题"
MSG_ASK_LONG = f"问题不能超过{bot.ASK_MAX}个字，请精简后再问"


class AskForm(forms.Form):
    question = forms.CharField(
        label="您的问题",
        max_length=bot.ASK_MAX,
        error_messages={"required": MSG_ASK_EMPTY, "max_length": MSG_ASK_LONG},
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


# --- The member chat


def _chat_context(request, conversation=None, form=None) -> dict:
    turns = list(selectors.conversation_messages(conversation)) if conversation else []
    for turn in turns:
        # An entry's answer, or a computed one (a confident bot turn without an entry): both
        # are Markdown, rendered with raw HTML off.
        computed = turn.role == "bot" and turn.confident and not turn.entry_id
        turn.html = selectors.answer_html(turn.text) if turn.entry_id or computed else None
    return {
        "form": form or AskForm(),
        "conversation": conversation,
        "turns": turns,
        # A visitor's order nobody can reach yet: a confirmed phone number or a look-up code.
        "ask_phone": not request.user.is_authenticated and handoff.contact_needed(conversation),
        "categories": selectors.categories()[:12],
        "is_agent": bool(scope_paths(request.user, Perm.HANDLE_CONSULT)),  # the desk's staff
        "live_chat_url": _live_chat_url(conversation),
        # The page's own address, with the conversation: a render answering a plain form
        # POST (an error, the contact card) shows it, so a reload or 大字模式 keeps the
        # conversation (base.html, site.js).
        "here": _chat_address(conversation.pk if conversation else None),
    }


def _chat_address(conversation_id: int | None) -> str:
    base = reverse("knowledge:chat")
    return f"{base}?c={conversation_id}" if conversation_id is not None else base


def _live_chat_url(conversation) -> str:
    chat_id = handoff.open_chat(conversation)
    return handoff.chat_url(chat_id) if chat_id is not None else ""


def _own_conversation(request, conversation_id):
    if not conversation_id:
        return None
    try:
        return selectors.own_conversation(
            request.user, int(conversation_id), session_ids=session_ids(request)
        )
    except (ValueError, TypeError):
        raise Http404("未找到") from None


def _after_turn(request, result):
    remember_conversation(request, result.conversation.pk)
    if result.chat_id is not None:  # a live chat is open: the asker talks to the agent there
        target = handoff.chat_url(result.chat_id)
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return vary_on_htmx(response)
        return redirect(target)
    if is_htmx(request):
        context = _chat_context(request, result.conversation)
        context["turns"] = context["turns"][-2:]
        context["oob"] = True
        response = render(request, "knowledge/chat_turns.html", context)
        # The address keeps the conversation (a reload or 大字模式 returns to it).
        response["HX-Replace-Url"] = _chat_address(result.conversation.pk)
        return vary_on_htmx(response)
    return redirect(f"{_chat_address(result.conversation.pk)}#latest")


@ratelimit("public", key=_public_key)
@GET_POST
def chat(request):
    """智能问答: ask, see the answer with its source, rate it, or ask for a person."""
    conversation = _own_conversation(request, request.GET.get("c") or request.POST.get("c"))
    contact = "phone" in request.POST or "lookup" in request.POST
    if request.method == "POST" and contact and conversation is not None:
        return _contact(request, conversation)
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = bot.ask(
                user=request.user,
                question=form.cleaned_data["question"],
                conversation=conversation,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _after_turn(request, result)
    if form.errors and is_htmx(request):  # the reason, shown where the answer would be
        return _refused(request, [e for errors in form.errors.values() for e in errors])
    status = 422 if form.errors else 200
    return render(
        request, "knowledge/chat.html", _chat_context(request, conversation, form), status=status
    )


def _refused(request, errors) -> HttpResponse:
    """A refused turn drawn into the conversation (htmx appends it where the answer would
    be), not a whole page nested in the log nor a generic failure notice at the top."""
    return render(request, "knowledge/chat_error.html", {"errors": errors}, status=422)


def _contact(request, conversation):
    """A visitor's way to get the answer: a phone number confirmed by an SMS code (two
    posts: 获取验证码, then 确认), or the order's number and a look-up code. Rendered, not
    redirected: the code is shown this once and kept nowhere in plain."""
    phone = request.POST.get("phone", "")[:30]
    code = "" if request.POST.get("action") == "send_code" else request.POST.get("code", "")
    try:
        if "lookup" in request.POST:
            result = bot.conversation_lookup_code(user=request.user, conversation=conversation)
        else:
            result = bot.conversation_contact(
                user=request.user, conversation=conversation, phone=phone, code=code[:12]
            )
    except ValidationError as exc:
        context = _chat_context(request, conversation)
        context.update(contact_phone=phone, contact_errors=field_errors(exc))
        return render(request, "knowledge/chat.html", context, status=422)
    context = _chat_context(request, conversation)
    context["contact_phone"] = phone if result.needs_contact else ""
    context["lookup"] = result if result.lookup_code else None
    return render(request, "knowledge/chat.html", context)


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
        result = bot.ask(user=request.user, conversation=conversation, entry=entry)
    except ValidationError as exc:  # the entry expired since it was offered
        if is_htmx(request):
            return _refused(request, exc.messages)
        messages.error(request, "；".join(exc.messages))
        return redirect(_chat_address(conversation.pk if conversation else None))
    return _after_turn(request, result)


@require_POST
def chat_handoff(request, conversation_id):
    """转人工 at any time (``rejected``: 都不是, none of the suggestions fits)."""
    conversation = _own_conversation(request, conversation_id)
    result = bot.conversation_handoff(
        user=request.user, conversation=conversation, rejected=bool(request.POST.get("rejected"))
    )
    return _after_turn(request, result)


@require_POST
def chat_feedback(request, message_id):
    """有用 / 没用 on one answer."""
    message = selectors.own_message(request.user, message_id, session_ids=session_ids(request))
    helpful = request.POST.get("helpful") == "1"
    bot.message_feedback(message=message, helpful=helpful)
    if is_htmx(request):
        thanks = format_html('<span class="muted">{}</span>', MSG_THANKS)
        if not helpful:  # 没用: offer a person
            thanks += render_to_string(
                "knowledge/chat_feedback.html",
                {"conversation_id": message.conversation_id},
                request=request,
            )
        return vary_on_htmx(HttpResponse(thanks))
    messages.success(request, MSG_THANKS)
    return redirect(f"{_chat_address(message.conversation_id)}#latest")


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
    template = "knowledge/kb/_results.html" if is_htmx(request) else "knowledge/kb/list.html"
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
    return render(request, "knowledge/kb/detail.html", context)


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
    return redirect("knowledge:kb_detail", entry.pk)


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
    return render(request, "knowledge/kb/form.html", {"form": form, "org": org})


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
    return render(
        request, "knowledge/kb/form.html", {"form": form, "entry": entry, "org": entry.org}
    )


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
    return render(request, "knowledge/kb/history.html", {"entry": entry, "rows": rows})


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
                    return redirect(reverse("knowledge:kb_list") + "?all=1")
                errors = outcome.errors
                form.add_error(None, MSG_IMPORT_FAILED.format(n=len(errors)))
    status = 422 if form.errors else 200
    context = {"form": form, "org": org, "errors": errors}
    return render(request, "knowledge/kb/import.html", context, status=status)


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


# --- 每日一答


@login_required
@require_GET
def daily(request):
    page_obj = paginate(request, selectors.daily_archive())
    for item in page_obj:
        item.html = selectors.answer_html(item.entry.answer)
    today = selectors.daily_today(request.user)
    context = {
        "page_obj": page_obj,
        "today": today,
        "today_html": selectors.answer_html(today.entry.answer) if today else "",
        "editor": selectors.is_editor(request.user),
    }
    return render(request, "knowledge/kb/daily.html", context)


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
]
