"""The transfers' job: overdue steps climb the tree (hourly).

Idempotent: the level a case reaches is a pure function of the slot's time and the
warning carries a dedupe key, so a run killed midway and re-run neither escalates nor
warns twice.
"""

from dangjian.core import cases, jobs
from dangjian.transfers.workflow import INCOMING_FLOW, TRANSFER_FLOW


@jobs.periodic("7 * * * *", name="transfers.escalate_overdue")
def escalate_overdue(*, at) -> int:
    """Raise transfers past their step's deadline (or the letter's validity, awaiting the
    回执) one level up the tree, with a ``transfers.overdue`` warning there; incoming
    letters waiting on a step of the receiving side likewise."""
    return cases.escalate_overdue(TRANSFER_FLOW, now=at) + cases.escalate_overdue(
        INCOMING_FLOW, now=at
    )
