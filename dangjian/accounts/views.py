"""Login, logout and the elder-mode (适老化) switch."""

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.forms import LoginForm
from dangjian.accounts.services import login_recorded
from dangjian.core.http import client_ip

MSG_LOGIN_FAILED = "用户名或密码不正确，请重新输入"
ELDER_COOKIE = "elder"
ELDER_COOKIE_AGE = 365 * 24 * 3600


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(fallback)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        ip = client_ip(request)
        login_recorded(user=user, username=username, success=user is not None, ip=ip)
        if user is not None:
            login(request, user)
            return HttpResponseRedirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
        form.add_error(None, MSG_LOGIN_FAILED)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


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
