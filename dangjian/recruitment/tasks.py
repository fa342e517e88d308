"""发展党员's daily job (registered with core.jobs on import).

Idempotent: each reminder is deduplicated by applicant, item and due date, each warning
by the same key, so a run killed midway is simply run again (``dangjian run_jobs --due``).
"""

import datetime as dt

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import Applicant


@jobs.periodic("30 8 * * *", name="recruitment.due_steps")
def due_steps(*, at: dt.datetime) -> int:
    """Remind branch admins of steps due soon (the talk, the half-yearly review, the end of
    probation, the approval deadline) and warn about overdue ones. Returns reminders
    sent plus warnings raised or confirmed. Each applicant commits on its own."""
    today = at.astimezone(TZ).date()
    waiting = Applicant.objects.exclude(status__in=("archive", rules.TERMINATED)).select_related(
        "branch"
    )
    total = 0
    for applicant in waiting.order_by("pk").iterator(chunk_size=500):
        sent, raised = services.applicant_check_due(applicant, today)
        total += sent + raised
    return total
