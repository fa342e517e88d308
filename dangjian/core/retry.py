"""Running a service transaction again when the database aborted it for a lock conflict.

PostgreSQL resolves a deadlock by aborting one of the transactions in it (SQLSTATE
40P01), and a serializable or repeatable-read transaction that lost a race is aborted
with 40001. Neither means the request was wrong: the same transaction, started again,
succeeds. ``@retry_conflicts`` put above ``@transaction.atomic`` on a service does
that a bounded number of times, with a short random pause, before letting the error
through (then answered 503 with Retry-After by :mod:`dangjian.core.failures`).

Only the outermost transaction is retried: inside an enclosing ``atomic`` block the
whole enclosing transaction is already lost, so the error goes up to whoever opened it.
Nothing was committed by an aborted transaction and its ``on_commit`` callbacks were
dropped, so running it again cannot duplicate a write. A service that does something
outside the database before failing (a stored file) must undo it itself, as
``photo_add`` does.

The lock order that keeps deadlocks rare in the first place is in docs/operations.md.
"""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

log = logging.getLogger(__name__)

CONFLICT_STATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
ATTEMPTS = 3
PAUSE_SECONDS = 0.05  # the n-th retry waits up to n × this, at random

F = TypeVar("F", bound=Callable)


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is a deadlock or serialization failure reported by the database."""
    cause = exc.__cause__ if isinstance(exc, OperationalError) else exc
    return getattr(cause, "sqlstate", None) in CONFLICT_STATES


def retry_conflicts(fn: F) -> F:
    """Call ``fn`` again (up to ``ATTEMPTS`` times in all) when its transaction is aborted
    by a deadlock or a serialization failure; put it above ``@transaction.atomic``."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        attempt = 1
        while True:
            outermost = not connection.in_atomic_block
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not (outermost and is_conflict(exc)) or attempt >= ATTEMPTS:
                    raise
                log.warning("%s: %s, attempt %d, retrying", fn.__qualname__, exc, attempt)
                time.sleep(random.uniform(0, PAUSE_SECONDS * attempt))
                attempt += 1

    return wrapped  # type: ignore[return-value]
