"""Rate limits on Django's cache: a fixed window per (limit, key), opened by its first request.

    @ratelimit("login", key="ip")
    @ratelimit("login-user", key="username")
    def login_view(request): ...

A limit is named in ``settings.RATE_LIMITS`` as ``(requests, seconds)``; the key is
the client's IP address, the posted username, the logged-in user, or any function of
the request. Over the limit the request is answered 429 with a Chinese message and
``Retry-After`` — JSON ``{"detail": ...}`` under /api/, a page otherwise — and the view
never runs. Works on page views and on django-ninja operations alike.

The counters live in the default cache: per process with the default local-memory
cache, shared by every app server when REDIS_URL points the cache at Redis. While Redis
is unreachable the counters move to the database (:class:`~dangjian.core.models.
RateCounter`, one row per key, shared by every app server too): logins keep working
and the limits keep holding — not fail-open. When Redis answers again counting goes
back to it with fresh windows, so across the switch a key may get up to twice its limit
once; the lockout after failed logins (django-axes) lives in the database throughout.
"""

import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from dangjian.core.failures import CacheUnavailable
from dangjian.core.http import client_ip

MSG_TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试"


def _username(request) -> str | None:
    value = request.POST.get("username") if request.method == "POST" else None
    if value is None and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        value = body.get("username") if isinstance(body, dict) else None
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _user(request) -> str | None:
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else None


KEYS: dict[str, Callable] = {"ip": client_ip, "username": _username, "user": _user}


def hit(name: str, key: str) -> int | None:
    """Count one request for ``key`` under limit ``name``; seconds to wait if over, else None.

    The window opens at the key's first request and lasts ``period`` seconds (the cache
    entry's lifetime), so a burst cannot straddle a clock-aligned boundary to get twice
    the rate.
    """
    rate, period = settings.RATE_LIMITS[name]
    now = time.time()
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    counter = f"rl:{name}:{digest}"
    try:
        count, started = _count_in_cache(counter, period, now)
    except CacheUnavailable:
        count, started = _count_in_database(counter, period)
    if count > rate:
        return max(1, int(started + period - now))
    return None


def _count_in_cache(counter: str, period: int, now: float) -> tuple[int, float]:
    """This request's number in the window, and when the window opened (epoch seconds)."""
    started = f"{counter}:start"
    if cache.add(counter, 1, timeout=period):
        cache.set(started, now, timeout=period)
        return 1, now
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr: a new window
        cache.set(counter, 1, timeout=period)
        cache.set(started, now, timeout=period)
        return 1, now
    return count, cache.get(started, now)


def _count_in_database(counter: str, period: int) -> tuple[int, float]:
    """The same count kept in the database, for while the cache is unreachable."""
    from dangjian.core.models import RateCounter

    now = timezone.now()
    window = {"count": 1, "started_at": now, "expires_at": now + dt.timedelta(seconds=period)}
    with transaction.atomic():
        row, created = RateCounter.objects.select_for_update(no_key=True).get_or_create(
            key=counter, defaults=window
        )
        if not created:
            if row.expires_at <= now:
                for field, value in window.items():
                    setattr(row, field, value)
            else:
                row.count += 1
            row.save(update_fields=list(window))
    return row.count, row.started_at.timestamp()


def sweep_database_counters(now: dt.datetime | None = None) -> int:
    """Delete the database windows that have ended; returns how many."""
    from dangjian.core.models import RateCounter

    return RateCounter.objects.filter(expires_at__lte=now or timezone.now()).delete()[0]


def over(name: str, key: str) -> bool:
    """Whether ``key`` has used up limit ``name`` in its current window (counts nothing)."""
    rate, _ = settings.RATE_LIMITS[name]
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return (cache.get(f"rl:{name}:{digest}") or 0) >= rate


def too_many(request, seconds: int) -> HttpResponse:
    message = MSG_TOO_MANY.format(seconds=seconds)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def ratelimit(name: str, *, key: str | Callable = "ip", methods=("POST",)):
    """Limit the decorated view (page or ninja operation) by ``settings.RATE_LIMITS[name]``."""
    key_of = KEYS[key] if isinstance(key, str) else key

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if settings.RATE_LIMITS_ENABLED and request.method in methods:
                value = key_of(request)
                if value:
                    wait = hit(name, str(value))
                    if wait is not None:
                        return too_many(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
