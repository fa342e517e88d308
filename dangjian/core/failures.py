"""Answers a client can act on when a service the site depends on fails.

A request that fails because the database, the cache or the task broker is unreachable
(or the connection pool stayed exhausted) is answered **503** with ``Retry-After``; one
whose file could not be stored because the disk is full is answered **507**. The API
answers ``{"detail": "<中文>"}``, pages the site's Chinese error page, with the same
status. Anything else stays a 500: a bug is not dressed up as an outage.

Two entry points, because Django turns an exception into a response at each layer:
:class:`FailureMiddleware` (``process_exception``) for exceptions raised by views,
django-ninja operations included, and :func:`server_error` (``handler500``) for those
raised by middleware (a session or user lookup while the database is away).
"""

import errno
import logging
import sys
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from dangjian.core.retry import is_conflict

log = logging.getLogger(__name__)

MSG_DATABASE = "数据库暂时不可用，请稍后重试"
MSG_BUSY = "系统繁忙，请稍后重试"
MSG_CACHE = "缓存服务暂时不可用，请稍后重试"
MSG_BROKER = "任务队列暂时不可用，请稍后重试"
MSG_STORAGE = "存储空间不足，文件未能保存，请联系系统管理员"

RETRY_AFTER_SECONDS = 5
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
DISK_FULL_SQLSTATE = "53100"  # PostgreSQL: disk_full


@dataclass(frozen=True)
class Failure:
    status: int
    message: str
    retry_after: int | None = None
    service: str = ""


class CacheUnavailable(Exception):
    """The shared cache (Redis) could not be reached (raised by dangjian.core.cache)."""


def _external_errors() -> dict[type, Failure]:
    """Client-library exceptions meaning "the cache or broker is unreachable"."""
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    cache = Failure(503, MSG_CACHE, RETRY_AFTER_SECONDS, "cache")
    return {
        CacheUnavailable: cache,
        RedisConnectionError: cache,
        RedisTimeout: cache,
        BrokerError: Failure(503, MSG_BROKER, RETRY_AFTER_SECONDS, "broker"),
    }


def _classify_one(exc: BaseException) -> Failure | None:
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return Failure(507, MSG_STORAGE, service="storage")
    if isinstance(exc, OperationalError | InterfaceError):
        if getattr(exc.__cause__, "sqlstate", None) == DISK_FULL_SQLSTATE:
            return Failure(507, MSG_STORAGE, service="database")
        if is_conflict(exc):
            return Failure(503, MSG_BUSY, 1, "database")
        return Failure(503, MSG_DATABASE, RETRY_AFTER_SECONDS, "database")
    for kind, failure in _external_errors().items():
        if isinstance(exc, kind):
            return failure
    return None


def classify(exc: BaseException | None) -> Failure | None:
    """The failure ``exc`` (or an exception it was raised from) stands for, if any."""
    seen = 0
    while exc is not None and seen < 5:
        failure = _classify_one(exc)
        if failure is not None:
            return failure
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def respond(request, failure: Failure) -> HttpResponse:
    """JSON under /api/, the error page elsewhere; rendered without the request context
    (its processors would read the user from the very database that is away)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": failure.message}, status=failure.status)
    else:
        page = loader.get_template("unavailable.html").render(
            {"status": failure.status, "message": failure.message}
        )
        response = HttpResponse(page, status=failure.status)
    if failure.retry_after is not None:
        response["Retry-After"] = str(failure.retry_after)
    return response


def _answer(request, exc: BaseException) -> HttpResponse | None:
    failure = classify(exc)
    if failure is None:
        return None
    log.warning(
        "%s %s answered %d: %s unavailable (%s: %s)",
        request.method,
        request.path,
        failure.status,
        failure.service,
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    return respond(request, failure)


class FailureMiddleware:
    """Turns an outage met by a view into 503/507 (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return _answer(request, exception)


def server_error(request) -> HttpResponse:
    """``handler500``: an outage met by middleware is a 503/507 too; anything else is
    Django's plain 500 page."""
    response = _answer(request, sys.exc_info()[1])
    return response if response is not None else defaults.server_error(request)
