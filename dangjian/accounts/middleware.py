"""Session rules for the pages (and the session-authenticated API).

``SessionTimeoutMiddleware``: a session ends after SESSION_IDLE_SECONDS without a
request, and in any case SESSION_COOKIE_AGE after it began (absolute lifetime), even
if it was kept busy. ``AccessGateMiddleware``: a signed-in user who must pass a second
factor and has not, or whose password has expired, reaches nothing but the few pages
that resolve it (verify or enrol, change password, log out).
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from dangjian.accounts import services
from dangjian.accounts.twofactor import confirmed_device, is_verified, requires_2fa
from dangjian.accounts.validators import password_expired
from dangjian.core.http import client_ip

SESSION_STARTED = "dj_started"
SESSION_SEEN = "dj_seen"
SEEN_RESOLUTION = 60  # write the last-seen time at most once a minute

MSG_IDLE = "您已较长时间未操作，为保障账号安全已自动退出，请重新登录"
MSG_EXPIRED = "登录已超过有效期，请重新登录"
MSG_2FA_REQUIRED = "请先完成动态验证码验证"
MSG_PASSWORD_EXPIRED = "您的密码已超过{days}天未修改，请先修改密码"

# Where a session that still owes a second factor, or a new password, may go.
OPEN_DURING_2FA = {"accounts:otp_verify", "accounts:otp_enrol", "accounts:logout",
                   "accounts:login", "accounts:elder"}  # fmt: skip
OPEN_DURING_EXPIRY = {"accounts:password_change", "accounts:logout", "accounts:login",
                      "accounts:elder"}  # fmt: skip


def session_mark_start(request) -> None:
    """Start the clocks of a fresh login (the views call this right after login())."""
    now = int(time.time())
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _redirect(request, url: str) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":  # htmx: leave the fragment, go there
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.get(SESSION_STARTED)
            seen = session.get(SESSION_SEEN)
            reason = None
            if started is not None and now - started > settings.SESSION_COOKIE_AGE:
                reason = "expired"
            elif seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
                reason = "idle"
            if reason:
                services.logout_recorded(user=user, reason=reason, ip=client_ip(request))
                logout(request)  # flushes the session server-side; the view sees no user
                if not _is_api(request):
                    messages.info(request, MSG_IDLE if reason == "idle" else MSG_EXPIRED)
            else:
                if started is None:
                    session[SESSION_STARTED] = now
                if seen is None or now - seen >= SEEN_RESOLUTION:
                    session[SESSION_SEEN] = now
        return self.get_response(request)


class AccessGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if requires_2fa(user) and not is_verified(request):
                if not self._open(request, OPEN_DURING_2FA):
                    return self._refuse(request, MSG_2FA_REQUIRED, self._otp_url(user))
            elif password_expired(user) and not self._open(request, OPEN_DURING_EXPIRY):
                message = MSG_PASSWORD_EXPIRED.format(days=settings.PASSWORD_EXPIRY_DAYS)
                return self._refuse(request, message, reverse("accounts:password_change"))
        return self.get_response(request)

    @staticmethod
    def _open(request, names: set[str]) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in names

    @staticmethod
    def _otp_url(user) -> str:
        name = "accounts:otp_verify" if confirmed_device(user) else "accounts:otp_enrol"
        return reverse(name)

    @staticmethod
    def _refuse(request, message: str, url: str) -> HttpResponse:
        if _is_api(request):
            return JsonResponse({"detail": message}, status=403)
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return _redirect(request, url)
