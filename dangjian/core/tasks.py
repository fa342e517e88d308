"""Core's periodic jobs (registered when Django starts: core.apps autodiscovers tasks)."""

import datetime as dt

from dangjian.core import audit, jobs, ratelimit, rollups


@jobs.periodic("* * * * *", name="core.rollups_refresh")
def rollups_refresh(*, at: dt.datetime) -> None:
    """Fold the organisations marked since the last run into the subtree totals, so a
    write shows in every ancestor's figures within a couple of minutes."""
    rollups.refresh()


@jobs.periodic("*/5 * * * *", name="core.audit_seal")
def audit_seal(*, at: dt.datetime) -> None:
    """Checkpoint the audit chains outside the database (idempotent: nothing new, no line)."""
    audit.seal(at=at)


@jobs.periodic("17 3 * * *", name="core.ratelimit_sweep")
def ratelimit_sweep(*, at: dt.datetime) -> None:
    """Remove the rate-limit windows counted in the database (during a cache outage)
    that have ended."""
    ratelimit.sweep_database_counters(at)
