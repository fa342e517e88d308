"""The shared cache (Redis), made safe to lose: pages go on uncached while it is away.

Django's Redis backend raises on every call when Redis is unreachable, so a cache read
anywhere turned an outage into 500s. :class:`ResilientRedisCache` keeps Django's backend
and changes what a failure means:

- a read (``get``, ``get_many``, ``has_key``) is a miss: the page is computed afresh;
- a write or delete (``set``, ``delete``, ``touch``, ``clear`` …) is skipped;
- ``get_or_set`` returns the default, computed afresh and not stored;
- a call whose answer decides something (``add``, ``incr``, ``decr``) raises :class:`~dangjian.core.failures.CacheUnavailable`, for the caller to choose a
  fallback (the rate limiter counts in the database instead, see ``core.ratelimit``).

After a failure the backend does not try Redis again for ``BREAKER_SECONDS`` (a circuit
breaker), so an outage costs one connection attempt per process every few seconds, not
one per call; with short socket timeouts (settings) an unreachable host cannot hold a
request for long either. The first call after the pause tries again: recovery needs no
restart.
"""

import functools
import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

from dangjian.core.failures import CacheUnavailable

log = logging.getLogger(__name__)

BREAKER_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeout, OSError)


class _Breaker:
    """Open for BREAKER_SECONDS after a failure, per process (shared by its threads)."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._until

    def trip(self, exc: BaseException) -> None:
        with self._lock:
            if not self.is_open():
                log.warning("cache unreachable, going on without it: %s", exc)
            self._until = time.monotonic() + BREAKER_SECONDS

    def reset(self) -> None:
        self._until = 0.0


breaker = _Breaker()


def _guarded(fallback):
    """Run the backend call unless the breaker is open; on a failure, trip it and
    return ``fallback(args, kwargs)`` (which may raise CacheUnavailable)."""

    def decorate(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if breaker.is_open():
                return fallback(args, kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                breaker.trip(exc)
                return fallback(args, kwargs)

        return call

    return decorate


def _miss(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _unavailable(args, kwargs):
    raise CacheUnavailable("缓存服务暂时不可用")


def _constant(value):
    return lambda args, kwargs: value


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that degrades instead of failing (module docstring)."""

    get = _guarded(_miss)(RedisCache.get)
    get_many = _guarded(_constant({}))(RedisCache.get_many)
    has_key = _guarded(_constant(False))(RedisCache.has_key)
    set = _guarded(_constant(None))(RedisCache.set)
    set_many = _guarded(_constant([]))(RedisCache.set_many)
    touch = _guarded(_constant(False))(RedisCache.touch)
    delete = _guarded(_constant(False))(RedisCache.delete)
    delete_many = _guarded(_constant(None))(RedisCache.delete_many)
    clear = _guarded(_constant(False))(RedisCache.clear)
    add = _guarded(_unavailable)(RedisCache.add)
    incr = _guarded(_unavailable)(RedisCache.incr)
    decr = _guarded(_unavailable)(RedisCache.decr)

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        """The cached value, or ``default`` computed afresh (and not stored) without Redis."""
        try:
            return super().get_or_set(key, default, timeout=timeout, version=version)
        except CacheUnavailable:
            return default() if callable(default) else default

    def ping(self) -> bool:
        """Whether Redis answers now (the readiness check; ignores the breaker)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except UNREACHABLE:
            return False
