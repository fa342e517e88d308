"""Django's PostgreSQL backend whose connection pool recovers at once after a restart.

After a database restart every idle connection in the pool is dead. psycopg_pool's own
check finds them one request at a time, and with several dead ones queued ahead of the
replacements a request could wait out the pool timeout and answer 503 although the
database was back. Here the first failed check also starts a check of the whole pool in
the background (``ConnectionPool.check``: dead ones discarded and replaced), so the
request that found it gets a fresh connection within milliseconds.
"""

import logging
import threading

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)


def _checker(pool: ConnectionPool):
    purging = threading.Lock()

    def purge() -> None:
        if not purging.acquire(blocking=False):
            return  # one purge at a time is enough
        try:
            pool.check()
        except Exception:
            log.warning("checking the connection pool failed", exc_info=True)
        finally:
            purging.release()

    def check(conn) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            threading.Thread(target=purge, name="pool-purge", daemon=True).start()
            raise

    return check


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None and getattr(pool, "_check", None) is ConnectionPool.check_connection:
            pool._check = _checker(pool)  # psycopg_pool keeps its check callable here
        return pool
