"""Issue 19.4 and 19.6: pooled connections, checked before use; a restart loses no request.

A database restart ends every server-side connection. Terminating them all from
outside does the same to the app's pool; the requests after it must all succeed
(before, 5 of the next 16 failed on stale persistent connections).
"""

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from dangjian.accounts.services import token_issue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def committed_cast(transactional_db):
    """The cast in a transactional test (a previous one may have flushed it)."""
    from dangjian.orgs.models import Organisation
    from tests.kit import build_cast, reload

    if not Organisation.objects.exists():
        pytest.dangjian_cast = build_cast()
    return reload(pytest.dangjian_cast)


def _terminate_every_connection() -> int:
    """What a restart does to the app's connections: the server ends them all."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def _hold_several_connections() -> None:
    """Fill the pool with idle connections, as busy threads leave it."""
    import threading

    def use() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.2)")
        connection.close()

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def test_connections_are_pooled_and_checked():
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    assert db["CONN_HEALTH_CHECKS"] is True
    pool = db["OPTIONS"].get("pool")
    if pool:
        assert db["CONN_MAX_AGE"] == 0
        assert pool["max_size"] >= 1 and 0 < pool["timeout"] <= 10


def test_every_request_after_a_restart_succeeds(committed_cast, client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    raw, _ = token_issue(user=committed_cast.user["province_admin"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def request() -> int:
        # What the server's request_started/request_finished handlers do (the test
        # client turns them off): a connection past its age or unusable is let go.
        close_old_connections()
        status = client.get("/api/v1/orgs", **headers).status_code
        close_old_connections()
        return status

    _hold_several_connections()  # several idle in the pool, all dead after the restart
    assert request() == 200
    assert _terminate_every_connection() >= 1
    assert [request() for _ in range(16)] == [200] * 16
