"""Issue 19.2: with Redis unreachable, logins work and the rate limits still hold.

The cache points at a port nothing listens on (connection refused at once), through
the production backend (dangjian.core.cache.ResilientRedisCache); the fault suite
stops a real Redis.
"""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from dangjian.core import cache as resilient
from dangjian.core import ratelimit
from dangjian.core.failures import CacheUnavailable
from dangjian.core.models import RateCounter
from tests.kit import PASSWORD

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "dangjian.core.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
LIMITS = {"login": (30, 300), "login-user": (3, 300), "public": (2, 60)}


@pytest.fixture
def redis_down():
    resilient.breaker.reset()
    with override_settings(CACHES=UNREACHABLE_REDIS):
        from django.core.cache import cache

        yield cache
    resilient.breaker.reset()


def _token(client, username):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )


def test_reads_miss_writes_are_skipped_decisions_raise(redis_down):
    cache = redis_down
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("k", 1) is None
    assert cache.delete("k") is False
    assert cache.get_or_set("k", lambda: 42) == 42
    assert resilient.breaker.is_open()
    with pytest.raises(CacheUnavailable):
        cache.add("k", 1)
    with pytest.raises(CacheUnavailable):
        cache.incr("k")
    assert cache.ping() is False


def test_login_works_without_the_cache(cast, client, redis_down):
    response = _token(client, "member")
    assert response.status_code == 200
    assert response.json()["token"].startswith("dj_")


def test_login_limits_still_hold_without_the_cache(cast, client, redis_down):
    with override_settings(RATE_LIMITS=LIMITS):
        statuses = [_token(client, "member").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = _token(client, "member")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 300
    assert refused.json() == {"detail": ratelimit.MSG_TOO_MANY.format(seconds=wait)}
    assert RateCounter.objects.filter(key__startswith="rl:login-user:").get().count == 5


def test_public_page_is_served_and_limited_without_the_cache(client, redis_down):
    with override_settings(RATE_LIMITS=LIMITS):
        statuses = [client.get("/consult/public/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_window_counted_in_the_database_ends(db):
    first = ratelimit._count_in_database("rl:test:k", 60)
    assert first[0] == 1
    assert ratelimit._count_in_database("rl:test:k", 60)[0] == 2
    RateCounter.objects.filter(key="rl:test:k").update(expires_at=timezone.now())
    assert ratelimit._count_in_database("rl:test:k", 60)[0] == 1  # a new window
    later = timezone.now() + dt.timedelta(seconds=61)
    assert ratelimit.sweep_database_counters(later) == 1
    assert not RateCounter.objects.exists()


def test_with_the_cache_up_nothing_is_counted_in_the_database(cast, client):
    with override_settings(RATE_LIMITS=LIMITS):
        statuses = [_token(client, "member").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert not RateCounter.objects.exists()
