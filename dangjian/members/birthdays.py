"""政治生日: each member's admission anniversary (入党纪念日).

On the day, a daily job publishes ``members.political_birthday`` (the points module
turns it into 红能量) and sends the member an inbox message linking to their e-card
(政治生日电子贺卡, 德·红云: 在党员过"政治生日"的当天，平台会向党员手机发送电子贺卡).
The admission date is ``Member.joined_on`` (the day they became a 预备党员); a 29
February admission is celebrated on 28 February in other years.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from dangjian.core import events, jobs, notify
from dangjian.core.calendar import TZ
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.members.models import Member


def party_years(joined_on: dt.date, day: dt.date) -> int:
    """Whole years since admission on ``day`` (党龄 as the e-card counts it)."""
    return day.year - joined_on.year - ((day.month, day.day) < (joined_on.month, joined_on.day))


def is_anniversary(joined_on: dt.date, day: dt.date) -> bool:
    if joined_on.year >= day.year:
        return False
    if (joined_on.month, joined_on.day) == (day.month, day.day):
        return True
    leap_day_moved = (joined_on.month, joined_on.day) == (2, 29) and (day.month, day.day) == (2, 28)
    return leap_day_moved and not _is_leap(day.year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def anniversary_in(joined_on: dt.date, year: int) -> dt.date:
    """The day of ``year`` the anniversary falls on (29 Feb → 28 Feb in common years)."""
    if (joined_on.month, joined_on.day) == (2, 29) and not _is_leap(year):
        return dt.date(year, 2, 28)
    return joined_on.replace(year=year)


def next_anniversary(joined_on: dt.date, day: dt.date) -> dt.date:
    """The next anniversary on or after ``day`` (never the admission day itself)."""
    candidate = anniversary_in(joined_on, max(day.year, joined_on.year + 1))
    return candidate if candidate >= day else anniversary_in(joined_on, candidate.year + 1)


def celebrating(day: dt.date) -> QuerySet[Member]:
    """Current members whose admission anniversary is ``day``."""
    match = Q(joined_on__month=day.month, joined_on__day=day.day)
    if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
        match |= Q(joined_on__month=2, joined_on__day=29)
    return Member.objects.filter(match, status__in=CURRENT_STATUSES, joined_on__year__lt=day.year)


@transaction.atomic
def birthday_greet(member: Member, day: dt.date) -> None:
    """Publish the event and, on commit, send the member their e-card message."""
    from dangjian.accounts.models import User

    years = party_years(member.joined_on, day)
    events.publish(
        "members.political_birthday", member_id=member.pk, years=years, on=day.isoformat()
    )

    def send() -> None:
        notify.send(
            User.objects.filter(member=member, is_active=True),
            kind="members.political_birthday",
            title=f"政治生日快乐！今天是您入党{years}周年",
            body="不忘初心、牢记使命。点击查看您的政治生日电子贺卡",
            url=reverse("members:birthday"),
            dedupe_key=f"members.political_birthday:{member.pk}:{day.isoformat()}",
        )

    transaction.on_commit(send)


@jobs.periodic("0 8 * * *", name="members.political_birthdays")
def political_birthdays(*, at: dt.datetime) -> int:
    """Every morning: greet the members whose admission anniversary is today. Returns
    how many; each member commits on its own."""
    day = at.astimezone(TZ).date()
    count = 0
    for member in celebrating(day).order_by("pk").iterator(chunk_size=1000):
        birthday_greet(member, day)
        count += 1
    return count
