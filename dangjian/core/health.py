"""Probes for a load balancer or orchestrator: ``GET /healthz`` and ``GET /readyz``.

- ``/healthz`` — the process is alive and answering. Touches nothing else, so a
  database outage never gets app servers restarted for nothing.
- ``/readyz`` — the process can serve: the database, the cache, the task broker and the
  upload storage are each checked, and the body says which failed::

      {"status": "fail", "checks": {"database": "ok", "cache": "fail",
                                    "broker": "off", "storage": "ok"}}

  200 when every check is "ok" (or "off": a broker that is not configured, the
  embedded default), 503 otherwise. No host name, address, version or error text is
  ever shown; failures are logged.

Answered by a middleware placed first, before sessions, users and host checks (a probe
often comes by IP address), so a probe costs one query, one cache round trip, one
broker connection and one small file write.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

log = logging.getLogger(__name__)

PATHS = ("/healthz", "/readyz")
BROKER_TIMEOUT_SECONDS = 1.0
STORAGE_MIN_FREE_BYTES = 16 * 1024 * 1024  # below it an upload would soon fail: not ready


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    ping = getattr(cache, "ping", None)  # dangjian.core.cache.ResilientRedisCache
    if ping is not None:
        return "ok" if ping() else "fail"
    cache.set("readyz", 1, timeout=5)
    return "ok" if cache.get("readyz") == 1 else "fail"


def check_broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "off"  # tasks run inline
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    return "ok"


def check_storage() -> str:
    root = settings.UPLOAD_DIR
    os.makedirs(root, mode=0o700, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()
    return "ok" if shutil.disk_usage(root).free >= STORAGE_MIN_FREE_BYTES else "fail"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def readiness() -> dict[str, str]:
    """Each check's outcome: "ok", "fail" or "off"."""
    outcomes = {}
    for name, check in CHECKS.items():
        try:
            outcomes[name] = check()
        except Exception as exc:
            log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            outcomes[name] = "fail"
    return outcomes


def _answer(path: str) -> JsonResponse:
    if path == "/healthz":
        response = JsonResponse({"status": "ok"})
    else:
        checks = readiness()
        ready = all(outcome in ("ok", "off") for outcome in checks.values())
        response = JsonResponse(
            {"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503
        )
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    """Answers the two probe paths before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PATHS and request.method in ("GET", "HEAD"):
            return _answer(request.path)
        return self.get_response(request)
