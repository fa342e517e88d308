"""The daily 自行脱党 flags (registered with core.jobs on import).

Every active branch's current members are evaluated in batches of branches — each
condition answers a whole batch in a few queries — and each batch commits on its own,
so a run killed midway loses at most one batch; re-running raises nothing twice and
clears what no longer holds (``services.lapse_flags`` is idempotent).
"""

import datetime as dt

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.mobility import services
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

BATCH_BRANCHES = 200


@jobs.periodic("30 2 * * *", name="mobility.lapse_flags")
def lapse_flags(*, at: dt.datetime) -> int:
    """Raise and clear the 自行脱党 warnings of every branch as of the slot's day; returns
    the number raised."""
    as_of = at.astimezone(TZ).date()
    branches = Organisation.objects.filter(
        org_type=OrgType.BRANCH, dissolved_on__isnull=True
    ).order_by("path")
    batch: list[Organisation] = []
    raised = 0
    for branch in branches.iterator(chunk_size=1000):
        batch.append(branch)
        if len(batch) == BATCH_BRANCHES:
            raised += services.lapse_flags(branches=batch, as_of=as_of)[0]
            batch = []
    if batch:
        raised += services.lapse_flags(branches=batch, as_of=as_of)[0]
    return raised
