"""The demo's "today": the day every generated date is drawn up to.

A run of ``seed_demo`` is anchored at the first day of the current month (or at ``--as-of``),
so a demo seeded in any month has the last twelve months of meetings, a 12371 queue that is
still being worked, probation periods still running and applicants' next steps due — not a
province that stopped in November 2026 and has raised 预警 for everyone since. Everything
else (the tests, the benches, a module's ``seed`` called directly) keeps the fixed
:data:`REFERENCE_DATE`, so the same seed gives byte-identical rows on any day; so does
``seed_demo`` given the same ``--as-of``.

The anchor is a context variable set for the length of one run (:func:`anchored`), not a
setting: nothing outside the demo's generators and seeds reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from dangjian.core import calendar

REFERENCE_DATE = dt.date(2026, 11, 1)  # the anchor when none is set: tests, benches

_anchor: ContextVar[dt.date] = ContextVar("demo_anchor", default=REFERENCE_DATE)


def today() -> dt.date:
    """The demo's today: generated dates lie on or before it."""
    return _anchor.get()


def now() -> dt.datetime:
    """The start of the demo's today (Asia/Shanghai): the 12371 desk's traffic ends here."""
    return dt.datetime.combine(today(), dt.time.min, calendar.TZ)


@contextmanager
def anchored(day: dt.date) -> Iterator[None]:
    """Generate and seed as if today were ``day`` (restored afterwards)."""
    token = _anchor.set(day)
    try:
        yield
    finally:
        _anchor.reset(token)
