"""Login (password, then the second factor), logout, password change, elder mode."""

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import (
    authenticate,
    login,
    logout,
    password_validation,
    update_session_auth_hash,
)
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import lockout, services, twofactor
from dangjian.accounts.forms import LoginForm, OtpForm, PasswordChangeForm
from dangjian.accounts.middleware import session_mark_start
from dangjian.accounts.services import login_recorded
from dangjian.accounts.validators import password_expired
from dangjian.core.http import client_ip
from dangjian.core.pages import apply_errors
from dangjian.core.ratelimit import ratelimit

MSG_LOGIN_FAILED = "用户名或密码不正确，请重新输入"
MSG_PASSWORD_CHANGED = "密码已修改"
MSG_OTP_ENROLLED = "动态验证码已绑定，今后登录时需输入手机上显示的验证码"
ELDER_COOKIE = "elder"
ELDER_COOKIE_AGE = 365 * 24 * 3600


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(fallback)


def _next_step(request, user) -> str:
    """Where a user goes after their password: second factor, new password, or on."""
    target = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    if twofactor.requires_2fa(user) and not twofactor.is_verified(request):
        name = "accounts:otp_verify" if twofactor.confirmed_device(user) else "accounts:otp_enrol"
    elif password_expired(user):
        name = "accounts:password_change"
    else:
        return target
    return f"{reverse(name)}?{urlencode({'next': target})}"


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("login", key="ip")
@ratelimit("login-user", key="username")
def login_view(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        ip = client_ip(request)
        locked = lockout.is_locked_out(request)
        login_recorded(user=user, username=username, success=user is not None, ip=ip, locked=locked)
        if user is not None:
            lockout.forget_failures(username)
            login(request, user)  # a new session key
            session_mark_start(request)
            return HttpResponseRedirect(_next_step(request, user))
        if locked:
            form.add_error(None, lockout.locked_message())
            status = 429
        else:
            form.add_error(None, MSG_LOGIN_FAILED)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    response = render(
        request, "accounts/login.html", {"form": form, "next": next_url}, status=status
    )
    if status == 429:
        response["Retry-After"] = lockout.retry_after()
    return response


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.logout_recorded(user=request.user, reason="logout", ip=client_ip(request))
    logout(request)  # the session row is deleted: the old cookie is worthless
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _otp_done(request, device) -> HttpResponseRedirect:
    request.session.cycle_key()  # a new session key once the second factor is passed
    django_otp.login(request, device)
    return HttpResponseRedirect(_next_step(request, request.user))


@sensitive_post_parameters("token")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@ratelimit("otp", key="user")
def otp_verify_view(request):
    """Second step of the login: the code from the user's authenticator app."""
    if twofactor.is_verified(request):
        return HttpResponseRedirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
    if twofactor.confirmed_device(request.user) is None:
        return HttpResponseRedirect(f"{reverse('accounts:otp_enrol')}?{request.GET.urlencode()}")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_verify(
                user=request.user, token=form.cleaned_data["token"], ip=client_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _otp_done(request, device)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@ratelimit("otp", key="user")
def otp_enrol_view(request):
    """Bind an authenticator app: scan the QR code (or type the secret), confirm a code.

    Only while the user has no confirmed device: otherwise someone holding just the
    password could add a device of their own.
    """
    if twofactor.confirmed_device(request.user) is not None:
        if twofactor.is_verified(request):
            messages.info(request, services.MSG_OTP_ALREADY)
            return redirect("home")
        return HttpResponseRedirect(f"{reverse('accounts:otp_verify')}?{request.GET.urlencode()}")
    device = services.otp_enrol_start(user=request.user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_enrol_confirm(
                user=request.user, token=form.cleaned_data["token"], ip=client_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, MSG_OTP_ENROLLED)
            return _otp_done(request, device)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context = {
        "form": form,
        "next": next_url,
        "qr": twofactor.qr_data_uri(device),
        "secret": twofactor.base32_secret(device),
        "required": twofactor.requires_2fa(request.user),
    }
    return render(request, "accounts/otp_enrol.html", context)


@sensitive_post_parameters("old_password", "new_password", "new_password2")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@ratelimit("password-change", key="user")
def password_change_view(request):
    """Change one's own password (and the only page open while it has expired)."""
    user = request.user
    help_texts = password_validation.password_validators_help_texts()
    form = PasswordChangeForm(request.POST or None, help_texts=help_texts)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, user)  # stay signed in (new session key)
            messages.success(request, MSG_PASSWORD_CHANGED)
            return HttpResponseRedirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context = {
        "form": form,
        "next": next_url,
        "expired": password_expired(user),
        "expiry_days": settings.PASSWORD_EXPIRY_DAYS,
    }
    return render(request, "accounts/password_change.html", context)


@require_POST
def elder_view(request):
    """Switch elder mode on (elder=1) or off (elder=0) and go back where the user was."""
    response = HttpResponseRedirect(_safe_next(request, "home"))
    response.set_cookie(
        ELDER_COOKIE,
        "1" if request.POST.get("elder") == "1" else "0",
        max_age=ELDER_COOKIE_AGE,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
