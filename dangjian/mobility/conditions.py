"""The 自行脱党 conditions this platform knows, registered at start-up (``apps.ready``).

- ``orglife`` — 不参加党的组织生活: registered here, from orglife's facts read through
  ``orglife.selectors.attendance_spans``, because a mobile member's organisational life
  also happens at the host, which only this app records (``Participation``): the
  condition is the union of both, and neither app has to import the other's models.
- ``work`` — 不做党所分配的工作: this app's own ``WorkAssignment`` rows.
- ``dues`` — 不交纳党费: ``dues.selectors.months_unpaid``, only when ``dangjian.dues`` is
  installed (the dues app owns the facts and the counting of unpaid months).

Every function answers a batch of members in a constant number of queries.
"""

import datetime as dt

from django.apps import apps
from django.db.models import Max, Min, Q

from dangjian.mobility import lapse, rules


def no_organisational_life(member_ids: list[int], as_of: dt.date) -> dict[int, int]:
    """Complete months since the member last attended (or was excused from) a held
    meeting of their branch or took part in an activity at their host; a member never
    called to any meeting counts from the first one they were called to. Members the
    records say nothing about are left out (no record is not evidence of a lapse)."""
    from dangjian.mobility.models import Participation
    from dangjian.orglife import selectors as orglife

    spans = orglife.attendance_spans(member_ids, as_of)
    at_host = dict(
        Participation.objects.filter(registration__member_id__in=member_ids, held_on__lte=as_of)
        .order_by()
        .values_list("registration__member_id")
        .annotate(last=Max("held_on"))
    )
    result = {}
    for member_id in set(spans) | set(at_host):
        last, first = spans.get(member_id, (None, None))
        host_last = at_host.get(member_id)
        if host_last is not None and (last is None or host_last > last):
            last = host_last
        result[member_id] = (
            rules.months_after(last, as_of) if last else rules.months_from(first, as_of)
        )
    return result


def work_not_done(member_ids: list[int], as_of: dt.date) -> dict[int, int]:
    """Complete months since the deadline of the member's oldest assigned work still not
    done on ``as_of``; members with nothing overdue are left out."""
    from dangjian.mobility.models import WorkAssignment

    rows = (
        WorkAssignment.objects.filter(
            member_id__in=member_ids, assigned_on__lte=as_of, due_on__lt=as_of
        )
        .filter(Q(done_on__isnull=True) | Q(done_on__gt=as_of))
        .order_by()
        .values_list("member_id")
        .annotate(due=Min("due_on"))
    )
    return {member_id: rules.months_after(due, as_of) for member_id, due in rows}


def register() -> None:
    lapse.register_condition("orglife", "参加党的组织生活", no_organisational_life)
    lapse.register_condition("work", "做党所分配的工作", work_not_done)
    if apps.is_installed("dangjian.dues"):
        from dangjian.dues import selectors as dues

        lapse.register_condition("dues", "交纳党费", dues.months_unpaid)
