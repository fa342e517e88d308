"""Live chat pages: the asker's and the agent's side of one chat, polled without reload.

Split from views.orders, whose form helpers (``_text``, ``_error_text``) it shares.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import cases
from dangjian.core.http import client_ip
from dangjian.core.pages import (
    form_error_messages,
    form_submit,
    is_htmx,
    post_action,
)
from dangjian.core.ratelimit import ratelimit
from dangjian.desk import rules, selectors
from dangjian.desk.services import chats
from dangjian.desk.views.orders import _error_text, _text
from dangjian.knowledge import handoff
from dangjian.knowledge.session import session_ids

GET_POST = require_http_methods(["GET", "POST"])
MSG_TRANSFER_SENT = "已发出转接请求，对方接受后会话转给对方"
MSG_TRANSFER_ACCEPTED = "已接入转接的会话"
MSG_TRANSFER_DECLINED = "已拒绝转接"
MSG_TRANSFER_WITHDRAWN = "已撤回转接请求"
MSG_RATED = "感谢您的评价"
MSG_RATED_LOW = "感谢您的评价。您的问题已转回重新办理，工作人员会尽快再次答复您。"
MSG_RATED_LOW_VISITOR = (
    "感谢您的评价。您的问题已转回重新办理，请留下手机号码或获取查询码，以便查看答复。"
)
RATING_LABELS = dict(chats.CHAT_RATINGS)


# --- Live chats (asker and agent; a visitor by the conversation kept in their session)


MSG_PICK_AGENT = "请选择要转给的坐席"


class TransferForm(forms.Form):
    """The agents to pick from are those free when the page was drawn; one who went offline
    or filled up since is refused by the service, which says so (not "invalid choice")."""

    to_agent = forms.IntegerField(
        label="转给坐席",
        widget=forms.Select,
        error_messages={"required": MSG_PICK_AGENT, "invalid": MSG_PICK_AGENT},
    )
    note = _text("转接说明（仅坐席可见）", chats.TRANSFER_NOTE_MAX, rows=2)

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_agent"].widget.choices = [(u.pk, str(u)) for u in targets]


def _chat(request, pk):
    chat = selectors.chat_get(request.user, pk, session_ids=session_ids(request))
    return chat, chats.chat_side(request.user, chat, session_ids(request))


def _chat_state(chat) -> str:
    """What the page's controls depend on: the poll re-sends them when it changes."""
    return f"{chat.status}:{chat.agent_id or 0}:{chat.transfer_to_id or 0}"


def _chat_context(request, chat, side, **extra) -> dict:
    incoming = request.user.is_authenticated and chat.transfer_to_id == request.user.pk
    context = {
        "chat": chat,
        "side": side,
        "is_agent": side == "agent",
        "incoming": incoming,
        "state": _chat_state(chat),
        "ahead": chats.queue_ahead(chat),
        # The other side is typing: the agent's keystrokes for the asker, the asker's for
        # the agent (both stamped by the page's script, shown by the poll).
        "typing": chats.asker_typing(chat) if side == "agent" else chats.agent_typing(chat),
        "order_url": _chat_order_url(request, chat, side),
        # 满意/基本满意/不满意 once the chat has ended (the asker, once).
        "can_rate": side == "asker" and chats.can_rate(chat),
        "rate_form": extra.pop("rate_form", None) or ChatRateForm(),
        "rating_label": _rating_label(chat) if side == "asker" else "",
    }
    if side == "agent" and chat.status != "closed" and not extra.get("oob"):
        # The knowledge base beside the chat, searched for what the asker asked: the
        # agent answers from the base as the console's reply box does (the page, not
        # the 2-second poll, which leaves the pane alone).
        asked = chats.asked_question(chat.conversation)
        context["kb_query"] = "" if asked == chats.MSG_NO_QUESTION else asked
    drawn = extra.get("controls", True)  # a poll re-draws the controls only on a change
    if drawn and side == "agent" and chat.status == "active":
        context["canned"] = selectors.canned_replies(request.user)  # 常用答复 into the box
        context["categories"] = rules.categories()  # the order's 咨询分类, picked on ending
        if chat.transfer_to_id is None:
            context["transfer_form"] = extra.pop("transfer_form", None) or TransferForm(
                targets=chats.transfer_targets(chat)
            )
    context.update(extra)
    return context


def _rating_label(chat) -> str:
    order = chat.work_order
    if order is None or order.rating is None:
        return ""
    return RATING_LABELS.get(order.rating, f"{order.rating} 分")


def _chat_order_url(request, chat, side) -> str:
    if chat.work_order_id is None:
        return ""
    if side == "asker":
        if request.user.is_authenticated:
            return reverse("desk:my_order", args=[chat.work_order_id])
        # A visitor whose question is still open leaves a confirmed phone number or takes
        # a look-up code on the bot page (nothing to do when it was answered in the chat).
        if not handoff.contact_needed(chat.conversation):
            return ""
        return f"{reverse('knowledge:chat')}?c={chat.conversation_id}#contact"
    return reverse("desk:order_detail", args=[chat.work_order_id])


@never_cache
@require_GET
def live_chat(request, pk):
    """在线人工: the conversation so far and the live turns, for the asker and the agent."""
    chat, side = _chat(request, pk)
    context = _chat_context(request, chat, side, chat_messages=selectors.chat_messages(chat))
    return render(request, "desk/orders/live_chat.html", context)


@never_cache
@require_GET
def live_chat_messages(request, pk):
    """New turns since ``after`` and the chat's state (htmx polls every 2 s); keeps the
    agent online; a waiting asker's poll gives the chat to an agent who has room. A
    closed chat answers 286: htmx stops polling."""
    chat, side = _chat(request, pk)
    if side == "agent":
        chats.heartbeat(request.user)
    elif chat.status == "waiting":
        chats.chat_dispatch()
        chat = selectors.chat_get(request.user, pk, session_ids=session_ids(request))
    try:
        after = max(0, min(int(request.GET.get("after", "0")), 2**63 - 1))
    except ValueError:
        after = 0
    context = _chat_context(
        request,
        chat,
        side,
        chat_messages=selectors.chat_messages(chat, after=after),
        oob=True,
        controls=request.GET.get("state") != _chat_state(chat),
    )
    status = 286 if chat.status == "closed" else 200
    return render(request, "desk/orders/_chat_poll.html", context, status=status)


@ratelimit("public", key=lambda r: None if r.user.is_authenticated else client_ip(r))
@require_POST
def live_chat_send(request, pk):
    chat, side = _chat(request, pk)
    try:
        message = chats.chat_post(
            acting_user=request.user,
            chat=chat,
            text=request.POST.get("text", ""),
            session_ids=session_ids(request),
        )
    except ValidationError as exc:
        if is_htmx(request):
            return render(
                request, "desk/orders/_chat_error.html", {"error": _error_text(exc)}, status=422
            )
        messages.error(request, _error_text(exc))
        return redirect("desk:live_chat", pk)
    if is_htmx(request):
        context = {"chat": chat, "side": side, "chat_messages": [message]}
        return render(request, "desk/orders/_chat_messages.html", context)
    return redirect("desk:live_chat", pk)


@ratelimit("public", key=lambda r: None if r.user.is_authenticated else client_ip(r))
@require_POST
def live_chat_typing(request, pk):
    """Either side's keystrokes (throttled by the page's script): the other side sees
    坐席正在输入… or 提问人正在输入…"""
    chat, _ = _chat(request, pk)
    try:
        chats.chat_typing(acting_user=request.user, chat=chat, session_ids=session_ids(request))
    except ValidationError as exc:
        return HttpResponse(_error_text(exc), status=422, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)


@ratelimit("public", key=lambda r: None if r.user.is_authenticated else client_ip(r))
@require_POST
def live_chat_close(request, pk):
    """结束会话 by either side; 转为工单 files what is left open (a waiting asker's 留言)."""
    chat, side = _chat(request, pk)
    try:
        chats.chat_close(
            acting_user=request.user,
            chat=chat,
            to_order=request.POST.get("to_order") == "1",
            # Only the agent's form has the picker; an asker's post keeps the bot's guess.
            category=request.POST.get("category") if side == "agent" else None,
            ip=client_ip(request),
            session_ids=session_ids(request),
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    if side == "agent":
        return redirect("desk:order_console")
    return redirect("desk:live_chat", pk)


class ChatRateForm(forms.Form):
    rating = forms.TypedChoiceField(label="满意度", coerce=int, choices=chats.CHAT_RATINGS)
    comment = _text("评价意见（选填）", cases.COMMENT_MAX, required=False, rows=2)


@ratelimit("public", key=lambda r: None if r.user.is_authenticated else client_ip(r))
@require_POST
def live_chat_rate(request, pk):
    """满意/基本满意/不满意 (and a comment) by the asker once the chat has ended."""
    chat, side = _chat(request, pk)
    if side != "asker":
        raise PermissionDenied(chats.MSG_NOT_IN_CHAT)
    form = ChatRateForm(request.POST)
    if response := form_submit(
        request,
        form,
        lambda data: chats.chat_rate(
            acting_user=request.user,
            chat=chat,
            session_ids=session_ids(request),
            ip=client_ip(request),
            **data,
        ),
        success=lambda order: _rated_message(request, order),
        then=lambda _: redirect("desk:live_chat", pk),
    ):
        return response
    if not chats.can_rate(chat):  # rated already, or nothing to rate: no form to show it on
        form_error_messages(request, form)
    context = _chat_context(
        request,
        chat,
        side,
        chat_messages=selectors.chat_messages(chat),
        rate_form=form,
        here=reverse("desk:live_chat", args=[pk]),
    )
    return render(request, "desk/orders/live_chat.html", context, status=422)


def _rated_message(request, order) -> str:
    """不满意 reopened the order: say what happens next (a visitor must leave a way back)."""
    if not order.is_open:
        return MSG_RATED
    if request.user.is_authenticated or order.phone or order.lookup_digest:
        return MSG_RATED_LOW
    return MSG_RATED_LOW_VISITOR


@login_required
@require_POST
def live_chat_transfer(request, pk):
    """转接: ask another online agent with room to take the chat over, with a note."""
    chat, side = _chat(request, pk)
    if side != "agent":
        raise PermissionDenied(chats.MSG_NOT_CHAT_AGENT)
    targets = chats.transfer_targets(chat)
    form = TransferForm(request.POST, targets=targets)
    if response := form_submit(
        request,
        form,
        lambda data: chats.chat_transfer(
            acting_user=request.user,
            chat=chat,
            to_agent=next((u for u in targets if u.pk == data["to_agent"]), None),
            note=data["note"],
            ip=client_ip(request),
        ),
        success=MSG_TRANSFER_SENT,
        then=lambda _: redirect("desk:live_chat", pk),
    ):
        return response
    context = _chat_context(
        request,
        chat,
        side,
        chat_messages=selectors.chat_messages(chat),
        transfer_form=form,
        here=reverse("desk:live_chat", args=[pk]),  # not the form's address (GET: 405)
    )
    return render(request, "desk/orders/live_chat.html", context, status=422)


@login_required
@require_POST
def live_chat_transfer_accept(request, pk):
    chat, _ = _chat(request, pk)
    post_action(
        request,
        lambda: chats.chat_transfer_accept(
            acting_user=request.user, chat=chat, ip=client_ip(request)
        ),
        success=MSG_TRANSFER_ACCEPTED,
    )
    return redirect("desk:live_chat", pk)


@login_required
@require_POST
def live_chat_transfer_decline(request, pk):
    """拒绝 (the agent asked) or 撤回 (the chat's agent) a transfer request."""
    chat, side = _chat(request, pk)
    post_action(
        request,
        lambda: chats.chat_transfer_decline(
            acting_user=request.user, chat=chat, ip=client_ip(request)
        ),
        success=MSG_TRANSFER_WITHDRAWN if side == "agent" else MSG_TRANSFER_DECLINED,
    )
    if side == "agent":
        return redirect("desk:live_chat", pk)
    return redirect("desk:order_console")


urlpatterns = [
    path("live/<int:pk>/", live_chat, name="live_chat"),
    path("live/<int:pk>/messages/", live_chat_messages, name="live_chat_messages"),
    path("live/<int:pk>/send/", live_chat_send, name="live_chat_send"),
    path("live/<int:pk>/close/", live_chat_close, name="live_chat_close"),
    path("live/<int:pk>/typing/", live_chat_typing, name="live_chat_typing"),
    path("live/<int:pk>/rate/", live_chat_rate, name="live_chat_rate"),
    path("live/<int:pk>/transfer/", live_chat_transfer, name="live_chat_transfer"),
    path(
        "live/<int:pk>/transfer/accept/",
        live_chat_transfer_accept,
        name="live_chat_transfer_accept",
    ),
    path(
        "live/<int:pk>/transfer/decline/",
        live_chat_transfer_decline,
        name="live_chat_transfer_decline",
    ),
]
