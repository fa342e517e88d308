"""Jobs of the work orders: SLA escalation every 15 minutes, daily rating reminders.

Both are idempotent: escalation levels are a pure function of the slot's time and
notifications carry dedupe keys, so a run killed midway and re-run for the same slot
neither escalates twice nor notifies twice.
"""

from dangjian.core import jobs
from dangjian.desk.services import orders, routing


@jobs.periodic("*/15 * * * *", name="consult.escalate_breached")
def escalate_breached(*, at) -> int:
    """Raise open orders past their SLA deadlines up the tree, telling the upper level."""
    return orders.escalate_breached(now=at)


@jobs.periodic("0 10 * * *", name="consult.rating_reminders")
def rating_reminders(*, at) -> int:
    """Remind askers who have not rated an answer after N workdays."""
    return orders.remind_unrated(now=at)


@jobs.periodic("*/15 * * * *", name="consult.consultations_overdue")
def consultations_overdue(*, at) -> int:
    """Warn about offices late with their input on an order and remind them daily."""
    return routing.consultations_overdue(now=at)
