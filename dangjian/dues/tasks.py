"""Dues jobs (registered with core.jobs on import); each is idempotent per slot.

- ``dues.bills_issue`` (the 1st, 01:00): this month's bills for every member with a base.
- ``dues.month_end`` (the 25th, 09:00): a 温馨提示 to every member with unpaid bills
  (core.notify, deduplicated per member and month, sent on commit), and a warning for
  the branch about each member with six consecutive unpaid months (cleared for those
  who have paid since).
"""

import datetime as dt

from django.db import transaction
from django.urls import reverse

from dangjian.core import jobs, notify, warnings
from dangjian.core.calendar import TZ
from dangjian.core.periods import month_period
from dangjian.dues import rules, selectors, services
from dangjian.dues.models import Bill, BillStatus
from dangjian.dues.warnings import SIX_MONTHS_UNPAID

SIX = 6


@jobs.periodic("0 1 1 * *", name="dues.bills_issue")
def bills_issue(*, at: dt.datetime) -> int:
    return services.bills_issue(month=at.astimezone(TZ).date())


def _users_of(member_ids):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(member_id__in=member_ids, is_active=True)


@jobs.periodic("0 9 25 * *", name="dues.month_end")
def month_end(*, at: dt.datetime) -> int:
    """Remind members with unpaid bills and flag six months unpaid; returns reminders sent."""
    today = at.astimezone(TZ).date()
    month = rules.month_start(today)
    owing = sorted(
        set(
            Bill.objects.filter(status=BillStatus.UNPAID, month__lte=month).values_list(
                "member_id", flat=True
            )
        )
    )
    with transaction.atomic():
        sent = notify.send(
            _users_of(owing),
            kind="dues.reminder",
            title="温馨提示：您有未缴纳的党费",
            body="请在月底前通过“我的党费”缴纳，或联系党支部。",
            url=reverse("dues:mine"),
            dedupe_key=f"dues.reminder:{month:%Y-%m}",
        )
    flag_unpaid(today)
    return sent


def flag_unpaid(today: dt.date) -> int:
    """Warn each member's branch about six consecutive unpaid months; clear the rest."""
    from dangjian.members.models import Member

    candidates = set(
        Bill.objects.filter(status=BillStatus.UNPAID).values_list("member_id", flat=True)
    )
    counts = selectors.months_unpaid(candidates, today)
    flagged = [pk for pk, n in counts.items() if n >= SIX]
    raised = 0
    for member in Member.objects.filter(pk__in=flagged).select_related("branch"):
        since = rules.add_months(rules.month_start(today), 1 - counts[member.pk])
        with transaction.atomic():
            warnings.warning_raise(
                kind=SIX_MONTHS_UNPAID.name,
                org=member.branch,
                dedupe_key=f"dues.unpaid6:{member.pk}:{since:%Y-%m}",
                subject=member,
                subject_label=member.name,
                title=f"{member.name}自{month_period(since.year, since.month).label}起已连续{counts[member.pk]}个月未交纳党费",
                period=f"{today:%Y-%m}",
                url=reverse("dues:arrears"),
            )
        raised += 1
    open_ = warnings.Warning.objects.filter(kind=SIX_MONTHS_UNPAID.name, resolved_at__isnull=True)
    for warning in open_.only("pk", "subject_id", "dedupe_key"):
        if counts.get(int(warning.subject_id), 0) < SIX:
            with transaction.atomic():
                warnings.warnings_clear(kind=SIX_MONTHS_UNPAID.name, dedupe_key=warning.dedupe_key)
    return raised
