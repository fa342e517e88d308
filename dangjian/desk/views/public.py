"""我要咨询: a resident's question from the public site, without an account; 咨询查询:
a visitor reads the reply with the order's number and look-up code (services.lookup).

The form used to create an order per post — 60 a minute per address, any phone number.
Now an order needs:

1. the phone confirmed by an SMS code (core.notify, one code per number per minute,
   the number normalised by core.phone first), sent by the form's 获取验证码 button and
   typed in before 提交 — two plain posts, no JavaScript needed;
2. room under the limits per confirmed phone (``public-order-phone``) and per address
   (``public-order-ip``), besides the request limit of every public page (``public``);
3. above a low rate of posts from one address (``public-pow``), a proof of work
   (core.pow) that the page's script solves; below it nobody is asked.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from dangjian.core import notify, pow
from dangjian.core.crypto import mask_phone
from dangjian.core.http import client_ip
from dangjian.core.pages import apply_errors
from dangjian.core.phone import normalize_phone
from dangjian.core.ratelimit import hit, over, ratelimit
from dangjian.core.text import NameFormField
from dangjian.desk.services import lookup
from dangjian.desk.services import orders as services
from dangjian.desk.views.orders import _text

PURPOSE = "consult-public"
SEND, SUBMIT = "send_code", "submit"
MSG_PUBLIC_SENT = "留言已提交，工单号 {number}。答复后将以短信告知您。"
MSG_CODE_SENT = "验证码已发送至 {phone}，5 分钟内有效。请填写验证码后点“提交”。"
MSG_CODE_REQUIRED = "请先点“获取验证码”，并填写短信中的6位验证码"
MSG_PHONE_LIMIT = "该手机号今日提交的咨询已达上限，请明天再试，或拨打12371"
MSG_LOOKUP_LIMIT = "查询过于频繁，请稍后再试，或拨打12371"
MSG_ADDRESS_LIMIT = "您所在网络今日提交的咨询已达上限，请明天再试，或拨打12371"


class PublicForm(forms.Form):
    caller_name = _text("姓名", 50, field=NameFormField, autocomplete="name")
    phone = _text("手机号", 30, inputmode="tel", autocomplete="tel")
    summary = _text("您的问题", 200)
    detail = _text("补充说明", 5000, required=False, rows=4)
    code = _text(
        "短信验证码",
        6,
        required=False,
        inputmode="numeric",
        autocomplete="one-time-code",
        pattern="[0-9]*",
    )
    pow_challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    pow_nonce = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("caller_name", "phone", "summary", "detail")}


def _proof(request, form: PublicForm, address: str) -> bool:
    """Count this post; above the low rate it must carry a solved challenge."""
    if hit("public-pow", address) is None:
        return True
    try:
        pow.verify(form.cleaned_data["pow_challenge"], form.cleaned_data["pow_nonce"], PURPOSE)
    except pow.PowError as exc:
        form.add_error(None, str(exc))
        return False
    return True


def _send_code(request, form: PublicForm) -> None:
    phone = form.cleaned_data["phone"]
    if over("public-order-phone", phone):
        form.add_error("phone", MSG_PHONE_LIMIT)
        return
    try:
        notify.sms_code_issue(phone, PURPOSE)
    except notify.SmsCodeError as exc:
        form.add_error("phone", str(exc))
        return
    messages.info(request, MSG_CODE_SENT.format(phone=mask_phone(phone)))


def _submit(request, form: PublicForm, address: str):
    data = form.cleaned_data
    if not data["code"]:
        form.add_error("code", MSG_CODE_REQUIRED)
        return None
    try:
        notify.sms_code_verify(data["phone"], PURPOSE, data["code"])
    except notify.SmsCodeError as exc:
        form.add_error("code", str(exc))
        return None
    if hit("public-order-phone", data["phone"]) is not None:
        form.add_error("phone", MSG_PHONE_LIMIT)
        return None
    if hit("public-order-ip", address) is not None:
        form.add_error(None, MSG_ADDRESS_LIMIT)
        return None
    try:
        order = services.order_create(
            acting_user=None, source="public", ip=address, **form.service_fields()
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    messages.success(request, MSG_PUBLIC_SENT.format(number=order.number))
    return redirect("desk:public_questions")


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("public")
def public_ask(request):
    address = client_ip(request) or "unknown"
    form = PublicForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _proof(request, form, address):
        if request.POST.get("action") == SEND:
            _send_code(request, form)
        else:
            done = _submit(request, form, address)
            if done is not None:
                return done
    # A fresh challenge only for an address over the rate: its script solves it before
    # the next post. A new code or a failed post keeps the typed fields (not the code).
    challenge = pow.issue(PURPOSE) if over("public-pow", address) else ""
    if form.is_bound:
        data = form.data.copy()
        data.update({"pow_challenge": challenge, "pow_nonce": "", "code": ""})
        form.data = data
    else:
        form.initial["pow_challenge"] = challenge
    status = 422 if form.errors else 200
    context = {"form": form, "challenge": challenge, "pow_bits": pow.bits()}
    return render(request, "desk/orders/public_ask.html", context, status=status)


class LookupForm(forms.Form):
    number = _text("工单号", 30, autocomplete="off", placeholder="如 GD20261207000123")
    code = _text("查询码", 20, autocomplete="off", autocapitalize="characters")


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("public")
def public_lookup(request):
    """咨询查询: a visitor reads their order's status and the reply with its number and
    look-up code (rate-limited per address and per number; a wrong number or code is
    answered alike)."""
    form = LookupForm(request.POST or None)
    order = None
    if request.method == "POST" and form.is_valid():
        address = client_ip(request) or "unknown"
        number = form.cleaned_data["number"].strip().upper()
        limited = hit("public-lookup", address) is not None
        if limited or hit("public-lookup-order", number) is not None:
            form.add_error(None, MSG_LOOKUP_LIMIT)
        else:
            try:
                order = lookup.order_lookup(number=number, code=form.cleaned_data["code"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:  # the code is not written back into the page (a shared or borrowed phone)
                form = LookupForm(initial={"number": order.number})
    status = 422 if form.errors else 200
    context = {"form": form, "order": order}
    return render(request, "desk/orders/public_lookup.html", context, status=status)


urlpatterns = [
    path("public/ask/", public_ask, name="public_ask"),
    path("public/lookup/", public_lookup, name="public_lookup"),
]
