"""Pages of work orders: the agent console, hotline logging, order handling, the
member's 我的咨询, the public 咨询列表, statistics (the public form: views.public; live chats: views.chat).

Views check access through the selectors, parse input with a form, and call one service;
a refused write comes back as the form's Chinese error, never a 500.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from ninja.errors import ValidationError as NinjaValidationError

from dangjian.core import cases, scope
from dangjian.core.errors import field_errors
from dangjian.core.http import client_ip
from dangjian.core.pages import (
    form_submit,
    is_htmx,
    paginate,
    query_text,
    vary_on_htmx,
)
from dangjian.core.periods import month_period
from dangjian.core.ratelimit import ratelimit
from dangjian.core.scope import Perm
from dangjian.core.text import NameFormField
from dangjian.desk import rules, selectors, stats
from dangjian.desk.models import OrderKind, OrderSource, OrderStatus, Priority
from dangjian.desk.services import chats, routing
from dangjian.desk.services import orders as services
from dangjian.desk.views.routing import RerouteForm, category_choices
from dangjian.knowledge import selectors as kb_selectors
from dangjian.orgs import selectors as org_selectors

GET_POST = require_http_methods(["GET", "POST"])
MSG_LOGGED = "来电已登记，工单号 {number}"
MSG_SENT = "留言已提交，工单号 {number}。答复后会通知您。"
MSG_DONE = {
    "claim": "已受理",
    "reply": "已答复，已通知提问人",
    "coordinate": "已发出征求意见",
    "publish": "已更新公开设置",
    "rate": "感谢您的评价",
    "reopen": "已提交，工作人员会重新办理",
    "answer": "意见已回复",
}
MSG_KB_DRAFT = "已生成知识库草稿（条目 {id}），审核后发布"
MSG_NOT_STAFF = "您不是12371坐席或经办人"


def _require_staff(user) -> None:
    if not selectors.is_staff(user):
        raise PermissionDenied(MSG_NOT_STAFF)


def _error_text(exc: ValidationError) -> str:
    return "；".join(m for msgs in field_errors(exc).values() for m in msgs)


# --- Forms (they parse; the services decide what is valid)


def _text(label, max_length, required=True, rows=None, field=forms.CharField, **attrs):
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return field(label=label, max_length=max_length, required=required, widget=widget)


class HotlineForm(forms.Form):
    """登记来电: phone first (caller history appears), then the gist; Enter submits."""

    phone = _text("来电号码", 30, autofocus=True, inputmode="tel", autocomplete="off")
    caller_name = _text("来电人", 50, required=False, field=NameFormField, autocomplete="off")
    category = forms.ChoiceField(label="咨询分类", required=False, choices=category_choices)
    summary = _text("问题摘要", 200)
    priority = forms.ChoiceField(label="紧急程度", choices=Priority.choices, initial="normal")
    reply = _text("当场答复（已在电话中解答时填写）", 5000, required=False, rows=3)


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        label="类型", choices=[(OrderKind.HELP, "有事找党帮"), (OrderKind.SPEAK, "有话向党说")]
    )
    category = forms.ChoiceField(label="分类", required=False, choices=category_choices)
    summary = _text("标题", 200)
    detail = _text("具体内容", 5000, required=False, rows=5)


class ReplyForm(forms.Form):
    text = _text("答复内容", 5000, rows=8, id="reply-text")


class CoordinateForm(forms.Form):
    """协商联动: offices picked from the registry, the question, the workdays they have."""

    offices = forms.TypedMultipleChoiceField(label="协办处室", coerce=int)
    question = _text("征求意见内容", 5000, rows=3)
    workdays = forms.TypedChoiceField(
        label="回复时限",
        coerce=int,
        initial=rules.CONSULTATION_WORKDAYS,
        choices=[(n, f"{n}个工作日") for n in range(1, rules.CONSULTATION_MAX_WORKDAYS + 1)],
    )

    def __init__(self, *args, offices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offices"].choices = [(o.pk, o.name) for o in offices]


class PublishForm(forms.Form):
    public = forms.BooleanField(label="公开到咨询列表", required=False)
    public_question = _text("公开的问题（隐去姓名、电话等）", 200, required=False)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="满意度",
        coerce=int,
        choices=[
            (5, "5 非常满意"),
            (4, "4 满意"),
            (3, "3 基本满意"),
            (2, "2 不满意"),
            (1, "1 非常不满意"),
        ],
        widget=forms.RadioSelect,
    )
    comment = _text("评价意见", 500, required=False, rows=2)


class ReopenForm(forms.Form):
    reason = _text("不满意的原因", 500, rows=2)


class AnswerForm(forms.Form):
    answer = _text("处室意见", 5000, rows=3)


class StatsForm(forms.Form):
    org = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    since = forms.DateField(
        label="起始日期",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    until = forms.DateField(
        label="截止日期",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


# --- The agent console

QUEUE_LIMIT = 100
QUEUE_KEYS = ("q", "status", "category", "source", "who", "overdue")


class QueueForm(forms.Form):
    """The console's search and filters (the queue itself: selectors.console_queue)."""

    q = forms.CharField(
        label="搜索",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "工单号、电话、姓名或问题",
                "autocomplete": "off",
                "data-shortcut": "/",
            }
        ),
    )
    status = forms.ChoiceField(
        label="状态", choices=[("", "未办结"), *OrderStatus.choices], required=False
    )
    category = forms.ChoiceField(label="分类", choices=[("", "全部")], required=False)
    source = forms.ChoiceField(
        label="渠道", choices=[("", "全部"), *OrderSource.choices], required=False
    )
    who = forms.ChoiceField(label="范围", choices=selectors.WHO_CHOICES, required=False)
    overdue = forms.BooleanField(label="仅看超时", required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.get("category", "") if self.is_bound else ""
        names = sorted({*categories, *([chosen] if chosen else [])})
        self.fields["category"].choices = [("", "全部"), *[(c, c) for c in names]]

    def filters(self) -> dict | None:
        """The selector's keyword arguments; None when a value is refused."""
        if not self.is_bound:
            return {"who": "todo"}
        if not self.is_valid():
            return None
        data = dict(self.cleaned_data)
        data["who"] = data["who"] or "todo"
        return data

    def query(self) -> str:
        """The filters as a query string (links keep them)."""
        if not self.is_bound or not self.is_valid():
            return ""
        data = {k: v for k, v in self.cleaned_data.items() if v and k in QUEUE_KEYS}
        if data.get("overdue"):
            data["overdue"] = "1"
        return urlencode(data)


def _queue_form(request, data=None) -> QueueForm:
    data = request.GET if data is None else data
    bound = {k: data[k] for k in QUEUE_KEYS if k in data}
    return QueueForm(bound or None, categories=selectors.queue_categories(request.user))


def _console_url(query: str = "", order_id=None) -> str:
    parts = [p for p in (query, f"order={order_id}" if order_id else "") if p]
    url = reverse("desk:order_console")
    return f"{url}?{'&'.join(parts)}" if parts else url


def _queue_context(request, form: QueueForm, current=None) -> dict:
    filters = form.filters()
    rows = (
        []
        if filters is None
        else list(selectors.console_queue(request.user, **filters)[: QUEUE_LIMIT + 1])
    )
    return {
        "queue": rows[:QUEUE_LIMIT],
        "queue_more": len(rows) > QUEUE_LIMIT,
        "queue_form": form,
        "queue_query": form.query(),
        "current_id": current,
        "now": timezone.now(),
    }


def _case_context(request, order, query: str) -> dict:
    user = request.user
    can_handle = selectors.can_handle(user, order)
    return {
        "order": order,
        "can_handle": can_handle,
        "moves": cases.allowed(order, user) if can_handle else set(),
        "transcript": selectors.conversation_transcript(order),
        "history": selectors.caller_history(
            user, phone=order.phone, asker_id=order.asker_id, exclude=order.pk
        )
        if can_handle
        else [],
        "canned": selectors.canned_replies(user) if can_handle else [],
        "reply_form": ReplyForm(initial={"text": services.merged_draft(order)}),
        "queue_query": query,
        "now": timezone.now(),
    }


def _console_context(user) -> dict:
    return {
        "escalated": selectors.escalated_to_me(user)[:20],
        "coordinations": selectors.pending_coordinations(user)[:20],
        "chats": selectors.active_chats(user),
        "chat_transfers": selectors.transfers_to(user),
        "chats_waiting": chats.queue_length(),
        "presence": selectors.presence(user),
        "now": timezone.now(),
    }


def _current_order(request):
    """The case chosen with ?order= (None when absent, unknown or out of sight)."""
    try:
        pk = int(request.GET.get("order", ""))
    except ValueError:
        return None
    if not 1 <= pk <= 2**63 - 1:
        return None
    return selectors.order_queryset(request.user).filter(pk=pk).first()


def _console_page(request, order=None, missing=False):
    """The whole console: the queue as the query string filters it, beside the case
    ``order`` (or the call form)."""
    context = _console_context(request.user)
    context["can_manage_canned"] = selectors.can_manage_offices(request.user)
    form = _queue_form(request)
    context.update(_queue_context(request, form, order.pk if order else None))
    if order is not None:
        context.update(_case_context(request, order, form.query()))
    else:
        context["missing"] = missing
        context["hotline_form"] = HotlineForm()
        context["categories"] = kb_selectors.categories()
    return vary_on_htmx(render(request, "desk/orders/console.html", context))


@never_cache
@login_required
@require_GET
def console(request):
    """坐席工作台: the queue (search, filters, most urgent first) beside the current case,
    live chats and requests for input; the call form when no case is open."""
    _require_staff(request.user)
    if is_htmx(request):
        services.heartbeat(request.user)
        context = _console_context(request.user)
        return vary_on_htmx(render(request, "desk/orders/_console_panels.html", context))
    order = _current_order(request)
    return _console_page(request, order, missing=order is None and "order" in request.GET)


@never_cache
@login_required
@require_GET
def console_queue(request):
    """The queue as the filters ask (htmx: the list, polled and on every change; else
    the whole console so filtered)."""
    _require_staff(request.user)
    form = _queue_form(request)
    current = _current_order(request)
    if not is_htmx(request):
        return _console_page(request, current)
    context = _queue_context(request, form, current.pk if current else None)
    response = render(request, "desk/orders/_console_queue.html", context)
    if request.headers.get("HX-Trigger") == "queue-filters":
        response["HX-Push-Url"] = _console_url(form.query(), current.pk if current else None)
    return vary_on_htmx(response)


@never_cache
@login_required
@require_GET
def console_case(request, pk):
    """One case beside the queue (htmx: the pane; else the whole console with it open)."""
    order = selectors.order_get(request.user, pk)
    if not selectors.can_handle(request.user, order):
        raise PermissionDenied(MSG_NOT_STAFF)
    if not is_htmx(request):
        return _console_page(request, order)
    query = _queue_form(request).query()
    response = render(
        request, "desk/orders/_console_case.html", _case_context(request, order, query)
    )
    response["HX-Push-Url"] = _console_url(query, order.pk)
    return vary_on_htmx(response)


def _back_to(request, pk):
    """Where an action returns: the console with the case open (and its filters), when
    it was posted from there; else the order's page."""
    if "console" not in request.POST:
        return redirect("desk:order_detail", pk)
    form = _queue_form(request, QueryDict(request.POST["console"][:1000]))
    return redirect(_console_url(form.query(), pk))


@login_required
@require_POST
def presence(request):
    _require_staff(request.user)
    services.presence_set(user=request.user, online=request.POST.get("online") == "1")
    return redirect("desk:order_console")


@never_cache
@login_required
@GET_POST
def hotline(request):
    """登记来电 (the console's form also posts here)."""
    _require_staff(request.user)
    form = HotlineForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.hotline_log(acting_user=request.user, ip=client_ip(request), **data),
        success=lambda order: MSG_LOGGED.format(number=order.number),
        then=lambda _: redirect("desk:order_console"),
    ):
        return response
    context = {"form": form, "categories": kb_selectors.categories()}
    return render(request, "desk/orders/hotline.html", context)


@never_cache
@login_required
@require_GET
def caller_history(request):
    """The caller's earlier orders as the agent types the number (htmx fragment)."""
    _require_staff(request.user)
    history = selectors.caller_history(request.user, phone=request.GET.get("phone", "")[:30])
    return render(request, "desk/orders/_history.html", {"history": history})


@never_cache
@login_required
@require_GET
def kb_search(request):
    """Knowledge-base answers beside the reply box (htmx fragment)."""
    _require_staff(request.user)
    text = query_text(request, limit=200)
    entries = kb_selectors.search_public(text, limit=8) if text.strip() else []
    return render(request, "desk/orders/_kb_hits.html", {"entries": entries, "q": text})


# --- One order (staff)


def _detail_context(user, order) -> dict:
    can_handle = selectors.can_handle(user, order)
    return {
        "order": order,
        "can_handle": can_handle,
        "moves": cases.allowed(order, user),
        "events": selectors.order_events(order),
        "coordinations": selectors.order_coordinations(order),
        "transcript": selectors.conversation_transcript(order),
        "history": selectors.caller_history(
            user, phone=order.phone, asker_id=order.asker_id, exclude=order.pk
        )
        if can_handle
        else [],
        "canned": selectors.canned_replies(user) if can_handle else [],
        "can_edit_kb": kb_selectors.is_editor(user)
        and scope.covers(user, Perm.EDIT_KB, order.org.path),
        "reply_form": ReplyForm(initial={"text": services.merged_draft(order)}),
        **_routing_context(user, order, can_handle),
        "publish_form": PublishForm(
            initial={
                "public": order.public,
                "public_question": order.public_question or order.summary,
            }
        ),
        "answer_form": AnswerForm(),
    }


def _routing_context(user, order, can_handle: bool) -> dict:
    """Central acceptance on the order page: offices to consult (those responsible for
    the category first), re-categorising / re-routing, duplicates to merge."""
    offices = list(selectors.consultable_offices(user)[:100]) if can_handle else []
    return {
        "offices": offices,
        "suggested_offices": {o.pk for o in selectors.offices_for(order.category, offices)},
        "answerable": {
            c.pk
            for c in selectors.order_coordinations(order)
            if c.answered_at is None and services.answers_for_office(user, c)
        },
        "reroute_form": RerouteForm(initial={"category": order.category, "org": order.org_id}),
        "reroute_targets": selectors.reroute_targets(user, order)[:100] if can_handle else [],
        "duplicates": selectors.duplicate_candidates(user, order) if can_handle else [],
        "merged": selectors.merged_orders(order),
        "workday_choices": range(1, rules.CONSULTATION_MAX_WORKDAYS + 1),
        "default_workdays": rules.CONSULTATION_WORKDAYS,
        "can_manage_offices": selectors.can_manage_offices(user),
        "now": timezone.now(),
    }


@never_cache
@login_required
@require_GET
def order_detail(request, pk):
    order = selectors.order_get(request.user, pk)
    if order.asker_id == request.user.pk and not selectors.can_handle(request.user, order):
        return redirect("desk:my_order", pk)
    return render(request, "desk/orders/detail.html", _detail_context(request.user, order))


def _order_action(request, pk, form_class, call, done: str):
    """Run one staff action on an order; errors come back as a message on the order page."""
    order = selectors.order_get(request.user, pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return _back_to(request, pk)
    try:
        result = call(order, form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done.format(result=result) if "{" in done else done)
    return _back_to(request, pk)


@login_required
@require_POST
def order_claim(request, pk):
    def call(order, data):
        return services.order_claim(acting_user=request.user, order=order, ip=client_ip(request))

    return _order_action(request, pk, None, call, MSG_DONE["claim"])


@login_required
@require_POST
def order_reply(request, pk):
    def call(order, data):
        return services.order_reply(
            acting_user=request.user, order=order, text=data["text"], ip=client_ip(request)
        )

    return _order_action(request, pk, ReplyForm, call, MSG_DONE["reply"])


@login_required
@require_POST
def order_coordinate(request, pk):
    def call(order, data):
        offices = [selectors.office_get(request.user, office_id) for office_id in data["offices"]]
        return services.order_coordinate(
            acting_user=request.user,
            order=order,
            offices=offices,
            question=data["question"],
            workdays=data["workdays"],
            ip=client_ip(request),
        )

    def form(data):
        return CoordinateForm(data, offices=selectors.consultable_offices(request.user))

    routing.authorize_handle(request.user, selectors.order_get(request.user, pk))
    return _order_action(request, pk, form, call, MSG_DONE["coordinate"])


@login_required
@require_POST
def order_publish(request, pk):
    def call(order, data):
        return services.order_publish(
            acting_user=request.user, order=order, ip=client_ip(request), **data
        )

    return _order_action(request, pk, PublishForm, call, MSG_DONE["publish"])


@login_required
@require_POST
def order_to_kb(request, pk):
    def call(order, data):
        return services.order_to_kb(acting_user=request.user, order=order, ip=client_ip(request))

    return _order_action(request, pk, None, call, MSG_KB_DRAFT.replace("{id}", "{result.pk}"))


@login_required
@require_POST
def coordination_answer(request, pk):
    item = selectors.coordination_get(request.user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            services.coordination_answer(
                acting_user=request.user,
                coordination=item,
                answer=form.cleaned_data["answer"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, MSG_DONE["answer"])
    return redirect("desk:order_detail", item.order_id)


# --- The member's side: leave a message, my questions


@login_required
@GET_POST
def message_new(request):
    """有话向党说 / 有事找党帮."""
    form = MessageForm(request.POST or None, initial={"kind": request.GET.get("kind", "help")})
    if response := form_submit(
        request,
        form,
        lambda data: services.order_create(
            acting_user=request.user,
            source="web",
            asker=request.user,
            ip=client_ip(request),
            **data,
        ),
        success=lambda order: MSG_SENT.format(number=order.number),
        then=lambda order: redirect("desk:my_order", order.pk),
    ):
        return response
    context = {"form": form, "categories": kb_selectors.categories()}
    return render(request, "desk/orders/message.html", context)


@login_required
@require_GET
def my_orders(request):
    page_obj = paginate(request, selectors.asked_orders(request.user))
    return render(request, "desk/orders/my_list.html", {"page_obj": page_obj})


def _my_context(order, user, **forms_) -> dict:
    moves = cases.allowed(order, user)
    return {
        "order": order,
        # A refused rating or reopening is drawn at the form's address: the page names its
        # own, so a reload or 大字模式 returns here (base.html, site.js).
        "here": reverse("desk:my_order", args=[order.pk]),
        "rate_form": forms_.get("rate_form") or RateForm(),
        "reopen_form": forms_.get("reopen_form") or ReopenForm(),
        "can_rate": "rate" in moves,
        "can_reopen": "reopen" in moves,
        "events": selectors.order_events(order),
    }


@never_cache
@login_required
@require_GET
def my_order(request, pk):
    order = selectors.own_order(request.user, pk)
    return render(request, "desk/orders/my_detail.html", _my_context(order, request.user))


@login_required
@require_POST
def my_order_rate(request, pk):
    order = selectors.own_order(request.user, pk)
    form = RateForm(request.POST)
    if response := form_submit(
        request,
        form,
        lambda data: services.order_rate(
            acting_user=request.user, order=order, ip=client_ip(request), **data
        ),
        success=MSG_DONE["rate"],
        then=lambda _: redirect("desk:my_order", pk),
    ):
        return response
    context = _my_context(order, request.user, rate_form=form)
    return render(request, "desk/orders/my_detail.html", context, status=422)


@login_required
@require_POST
def my_order_reopen(request, pk):
    order = selectors.own_order(request.user, pk)
    form = ReopenForm(request.POST)
    if response := form_submit(
        request,
        form,
        lambda data: services.order_reopen(
            acting_user=request.user, order=order, ip=client_ip(request), reason=data["reason"]
        ),
        success=MSG_DONE["reopen"],
        then=lambda _: redirect("desk:my_order", pk),
    ):
        return response
    context = _my_context(order, request.user, reopen_form=form)
    return render(request, "desk/orders/my_detail.html", context, status=422)


# --- The public site


@require_GET
@ratelimit("public", methods=("GET",))
def public_questions(request):
    """咨询列表: answered questions an agent published, asker anonymised."""
    page_obj = paginate(request, selectors.public_questions())
    return render(request, "desk/orders/public_list.html", {"page_obj": page_obj})


# --- Statistics


def _stats_request(request):
    """The statistics asked for: the subtree (404 outside scope), the period (a bad one
    falls back to the last 30 days with a message), and the figures."""
    if not scope.scope_paths(request.user, Perm.VIEW_CONSULT):
        raise PermissionDenied("您没有查看12371统计的权限")
    form = StatsForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    org = stats.stats_org(request.user, data.get("org"))
    error = "" if not form.is_bound or form.is_valid() else "日期格式有误，已显示最近30天"
    try:
        since, until = stats.period(data.get("since"), data.get("until"))
    except NinjaValidationError as exc:
        error = exc.errors[0]["msg_zh"]
        since, until = stats.period(None, None)
    return org, error, stats.figures(request.user, org=org, since=since, until=until)


@login_required
@require_GET
def order_stats(request):
    org, error, figures = _stats_request(request)
    data = stats.payload(figures)
    applied = {"org": org.pk, "since": data["since"], "until": data["until"]}
    quick = stats.quick_periods(timezone.localdate())
    ranges = [(since, until) for _, since, until in quick]
    shown = (data["since"], data["until"])
    current = ranges.index(shown) if shown in ranges else None  # 近7天 may be 本月 too
    periods = [
        (label, urlencode({"org": org.pk, "since": since, "until": until}), n == current)
        for n, (label, since, until) in enumerate(quick)
    ]
    context = {
        "periods": periods,
        "form": StatsForm(initial=applied),  # the fields show the range applied
        "figures": data,
        "summary": stats.summary_rows(figures),
        "org": org,
        "error": error,
        "export_query": urlencode(applied),
        "children": org_selectors.org_children(request.user, org)[:50],
        "latest": _latest_month(request.user, figures) if not figures.orders else None,
    }
    return render(request, "desk/orders/stats.html", context)


def _latest_month(user, figures) -> dict | None:
    """Nothing received in the period: when the subtree received orders earlier, the day
    of the latest and a link to its month."""
    day = stats.latest_received(user, figures.org, figures.since)
    if day is None:
        return None
    month = month_period(day.year, day.month)
    query = urlencode({"org": figures.org.pk, "since": month.first, "until": month.last})
    return {"day": day, "query": query, "label": month.label}


@login_required
@require_GET
def order_stats_export(request):
    """The same figures as an Excel workbook."""
    _, _, figures = _stats_request(request)
    return stats.xlsx_response(stats.workbook(request.user, figures))


urlpatterns = [
    path("console/", console, name="order_console"),
    path("console/presence/", presence, name="agent_presence"),
    path("console/hotline/", hotline, name="hotline_log"),
    path("console/history/", caller_history, name="caller_history"),
    path("console/kb-search/", kb_search, name="agent_kb_search"),
    path("console/queue/", console_queue, name="console_queue"),
    path("console/case/<int:pk>/", console_case, name="console_case"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
    path("orders/<int:pk>/claim/", order_claim, name="order_claim"),
    path("orders/<int:pk>/reply/", order_reply, name="order_reply"),
    path("orders/<int:pk>/coordinate/", order_coordinate, name="order_coordinate"),
    path("orders/<int:pk>/publish/", order_publish, name="order_publish"),
    path("orders/<int:pk>/to-kb/", order_to_kb, name="order_to_kb"),
    path("coordinations/<int:pk>/answer/", coordination_answer, name="coordination_answer"),
    path("message/", message_new, name="message_new"),
    path("my/", my_orders, name="my_orders"),
    path("my/<int:pk>/", my_order, name="my_order"),
    path("my/<int:pk>/rate/", my_order_rate, name="my_order_rate"),
    path("my/<int:pk>/reopen/", my_order_reopen, name="my_order_reopen"),
    path("public/", public_questions, name="public_questions"),
    path("stats/", order_stats, name="order_stats"),
    path("stats/export/", order_stats_export, name="order_stats_export"),
]
