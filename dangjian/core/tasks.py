"""Core's periodic jobs (registered with core.jobs when the app is ready)."""

from dangjian.core import audit, jobs


@jobs.periodic("*/5 * * * *", name="core.audit_seal")
def audit_seal(*, at) -> None:
    """Checkpoint the audit chains outside the database (idempotent: nothing new, no line)."""
    audit.seal(at=at)
