"""Login lockout after repeated failures (django-axes), per account and per IP address.

Axes counts failed ``authenticate()`` calls — the login page, POST /api/v1/auth/token
and the admin's login all go through it — in its database tables, so every app server
sees the same counts. An account is locked after ``AXES_FAILURE_LIMIT`` failures
(default 5), an IP address after ``LOGIN_IP_FAILURE_LIMIT`` failures over any accounts
(default 20, higher because many users share an office's address). The lock lasts
``AXES_COOLOFF_TIME`` (default 15 minutes) after the last failure: each further attempt
while locked starts the cool-off again, so a guesser who keeps trying stays locked.
"""

import datetime as dt

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

MSG_LOCKED = "登录失败次数过多，已暂时锁定。请于 {until} 后再试（约 {minutes} 分钟）"


class LockoutBackend(AxesStandaloneBackend):
    """Axes' gate in AUTHENTICATION_BACKENDS (first), refusing locked-out logins.

    ``authenticate()`` without a request (shell, management commands, tests of other
    things) has no client to count: it is let through to the next backend instead of
    failing. Every HTTP login path passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate, higher threshold for an IP address.

    Needs ``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]`` (in that order):
    axes then gives the failures of this username (any address) and of this address
    (any username); this reports them against the one per-account limit axes compares.
    """

    def get_failures(self, request, credentials=None) -> int:
        by_user, by_ip = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_ip >= settings.LOGIN_IP_FAILURE_LIMIT:
            return max(by_user, settings.AXES_FAILURE_LIMIT)
        return by_user


def unlock_time() -> dt.datetime:
    """When a lock set (or renewed) now ends."""
    return timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)


def locked_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) or 1
    return MSG_LOCKED.format(until=f"{unlock_time():%H:%M}", minutes=minutes)


def retry_after() -> str:
    return str(int(settings.AXES_COOLOFF_TIME.total_seconds()))


def is_locked_out(request) -> bool:
    """Whether the last ``authenticate()`` on this request was refused by the lockout."""
    return bool(getattr(request, "axes_locked_out", False))


def forget_failures(username: str) -> None:
    """A correct password clears that account's failures (not its IP address's)."""
    from axes.utils import reset

    reset(username=username)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: our views answer a lockout themselves (429); anything else
    that authenticates (the admin's login) gets this plain 429 in Chinese."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": locked_message()}, status=429)
    else:
        response = HttpResponse(
            locked_message(), status=429, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = retry_after()
    return response
