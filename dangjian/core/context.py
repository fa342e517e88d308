"""The request a piece of work runs for: its id, the client's address and the actor.

:class:`RequestContextMiddleware` sets it for every request in a context variable, so
it follows the request wherever the code goes and never leaks into the next request
on the same thread; ``audit.record`` reads it when a caller names no actor or address,
and stores the request id on the entry, so a log line, an audit entry and a reverse
proxy's access log can be matched. Jobs and commands may set one with :func:`bound`.

The request id comes from the ``X-Request-ID`` header when it is well-formed (a proxy
or client in front of us has already named the request), otherwise it is generated;
either way it is echoed in the response's ``X-Request-ID``.
"""

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dangjian.core.http import client_ip

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# 8–64 characters of letters, digits and ``._:-``: a UUID, a ULID, a proxy's hex id.
# Anything else (spaces, control characters, a 10 kB value) is replaced, never stored.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,64}")


@dataclass(frozen=True)
class RequestContext:
    """Who acts, from where, under which request id.

    ``request`` is kept rather than its user because the user is known only after the
    authentication middleware (or the API's bearer check) has run: :attr:`actor` looks
    at it when asked. ``user`` names the actor outright (jobs, commands).
    """

    request_id: str
    ip: str | None = None
    request: Any = None
    user: Any = None

    @property
    def actor(self):
        user = self.user if self.user is not None else getattr(self.request, "user", None)
        return user if getattr(user, "is_authenticated", False) else None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "dangjian_request_context", default=None
)


def current() -> RequestContext | None:
    """The context of the work in progress, or None outside any request or binding."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(value: str | None) -> str:
    """The client's request id if it is well-formed, else a fresh one."""
    if value and WELL_FORMED.fullmatch(value):
        return value
    return new_request_id()


@contextmanager
def bound(*, request_id: str | None = None, ip: str | None = None, user=None, request=None):
    """Run a block under a context (a job, a command, a test): restored on exit."""
    token = _current.set(
        RequestContext(request_id=request_id or new_request_id(), ip=ip, request=request, user=user)
    )
    try:
        yield current()
    finally:
        _current.reset(token)


def _bind_request(request) -> Iterator[RequestContext]:
    return bound(
        request_id=request_id_from(request.META.get(META_KEY)),
        ip=client_ip(request),
        request=request,
    )


class RequestContextMiddleware:
    """First in the chain: every response, even an early refusal, carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with _bind_request(request) as ctx:
            request.request_id = ctx.request_id
            response = self.get_response(request)
        response.headers[HEADER] = ctx.request_id
        return response
