"""发展党员's subtree figures (core.rollups), registered in RecruitmentConfig.ready.

- ``recruitment.stage``: open applications by stage (1 申请入党 … 5 预备党员), now.
- ``recruitment.admitted``: probationary members admitted (上级党委批准), by month of the
  approval — a year's admissions are read against the year's plan.
"""

from collections import Counter

from django.db.models import Count, QuerySet

from dangjian.core import rollups
from dangjian.core.scope import Perm
from dangjian.recruitment import rules
from dangjian.recruitment.models import Applicant

STAGE_KEYS = {str(n): label for n, label in rules.STAGE_SHORT.items()}


def by_stage(orgs: QuerySet):
    rows = (
        Applicant.objects.filter(branch__in=orgs)
        .exclude(status__in=("archive", rules.TERMINATED))
        .order_by()
        .values_list("branch_id", "status")
        .annotate(n=Count("pk"))
    )
    counts: Counter = Counter()
    for branch_id, status, n in rows:
        counts[(branch_id, str(rules.stage_of(status)))] += n
    return ((branch_id, rollups.CURRENT, key, n) for (branch_id, key), n in counts.items())


def admitted(orgs: QuerySet):
    rows = (
        Applicant.objects.filter(branch__in=orgs, approved_on__isnull=False)
        .order_by()
        .values_list("branch_id", "approved_on")
    )
    counts: Counter = Counter()
    for branch_id, day in rows:
        counts[(branch_id, rollups.local_month(day))] += 1
    return ((branch_id, month, "admitted", n) for (branch_id, month), n in counts.items())


def register() -> None:
    rollups.register(
        metric="recruitment.stage",
        compute=by_stage,
        perm=Perm.VIEW_RECRUITMENT,
        label="发展党员各阶段人数",
        keys=STAGE_KEYS,
    )
    rollups.register(
        metric="recruitment.admitted",
        compute=admitted,
        perm=Perm.VIEW_RECRUITMENT,
        label="接收预备党员",
        monthly=True,
        keys={"admitted": "接收预备党员"},
    )
