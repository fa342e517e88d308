"""Organisational life's subtree figures (core.rollups): meetings held, by kind and
month. Registered in OrglifeConfig.ready.

A meeting counts once its minutes are recorded (已召开), in the month it started
(China time), for its branch — a 党小组会 too, since groups sit inside their branch.
Quarters and years are summed from the months when read.
"""

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from dangjian.core import rollups
from dangjian.core.calendar import TZ
from dangjian.core.scope import Perm
from dangjian.orglife.choices import MeetingKind, MeetingStatus
from dangjian.orglife.models import Meeting


def meetings_held(orgs: QuerySet):
    rows = (
        Meeting.objects.filter(branch__in=orgs, status=MeetingStatus.HELD)
        .annotate(month=TruncMonth("starts_at", tzinfo=TZ))
        .order_by()
        .values_list("branch_id", "month", "kind")
        .annotate(n=Count("pk"))
    )
    return ((branch_id, rollups.local_month(month), kind, n) for branch_id, month, kind, n in rows)


def register() -> None:
    rollups.register(
        metric="orglife.meetings_held",
        compute=meetings_held,
        perm=Perm.VIEW_ORGLIFE,
        label="已召开的会议",
        monthly=True,
        keys=dict(MeetingKind.choices),
    )
