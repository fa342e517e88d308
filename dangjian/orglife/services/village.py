"""Village work teams (驻村工作队): a member's posting, which changes what counts
as their attendance."""

import datetime as dt

from django.db import transaction

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.retry import retry_conflicts
from dangjian.core.scope import Perm, authorize
from dangjian.core.text import one_line
from dangjian.members.models import Member
from dangjian.orglife.models import VillageAssignment

MSG_VILLAGE = "请填写驻村名称"
MSG_VILLAGE_DATES = "结束日期不能早于开始日期"


@retry_conflicts
@transaction.atomic
def village_assignment_add(
    *,
    acting_user,
    member: Member,
    village: str,
    started_on: dt.date,
    ended_on: dt.date | None = None,
    ip: str | None = None,
) -> VillageAssignment:
    """Post a member to a village work team (驻村工作队) for a period."""
    authorize(acting_user, Perm.CHANGE_ORGLIFE, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    village = one_line(village)
    errors = {}
    if not village:
        errors["village"] = MSG_VILLAGE
    if ended_on is not None and started_on is not None and ended_on < started_on:
        errors["ended_on"] = MSG_VILLAGE_DATES
    raise_if(errors)
    assignment = VillageAssignment.objects.create(
        member=member, village=village[:120], started_on=started_on, ended_on=ended_on
    )
    audit.record(
        actor=acting_user,
        action="orglife.village.add",
        obj=assignment,
        org=member.branch,
        after={"member": member.pk, "village": village, "started_on": started_on.isoformat()},
        ip=ip,
    )
    return assignment
