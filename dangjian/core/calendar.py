"""China's official working calendar: which days are workdays, and working-hour arithmetic.

SLA timers (12371 work orders), reminders "after N workdays" and holiday rules (驻村工作队
check-ins) all count on the State Council's calendar, not Monday–Friday: the Spring
Festival and National Day weeks are off, and some weekends are adjusted workdays (调休).
The `chinese-calendar` package carries each year's official notice; for a year it does
not know yet (the notice comes out in November) we fall back to Monday–Friday rather than
fail — update the package when the notice is published.

Working hours are 09:00–12:00 and 13:30–17:30 Beijing time (7 hours a day), the usual
hours of an organisation department.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
WORK_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
HOURS_PER_WORKDAY = (
    sum(
        (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds
        for start, end in WORK_PERIODS
    )
    / 3600
)


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is an official working day (adjusted weekend workdays included)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no official notice for yet
        return day.weekday() < 5


def is_holiday(day: dt.date) -> bool:
    """A rest day: weekend or official holiday, and not an adjusted workday."""
    return not is_workday(day)


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The ``n``-th workday after ``day`` (before it when ``n`` < 0); ``n`` = 0 is ``day``."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        day += dt.timedelta(days=step)
        if is_workday(day):
            remaining -= 1
    return day


def _periods(day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    if not is_workday(day):
        return []
    return [
        (dt.datetime.combine(day, start, TZ), dt.datetime.combine(day, end, TZ))
        for start, end in WORK_PERIODS
    ]


def add_work_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """The moment ``hours`` working hours after ``start`` (an aware datetime).

    A deadline of 8 working hours set at 16:00 on a Friday falls on the next workday's
    afternoon; one set during the National Day week starts counting when work resumes.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    moment = start.astimezone(TZ)
    left = dt.timedelta(hours=hours)
    day = moment.date()
    while True:
        for begin, end in _periods(day):
            if end <= moment:
                continue
            begin = max(begin, moment)
            if end - begin >= left:
                return begin + left
            left -= end - begin
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time.min, TZ)


def work_hours_between(a: dt.datetime, b: dt.datetime) -> float:
    """Working hours from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    if b < a:
        return -work_hours_between(b, a)
    a, b = a.astimezone(TZ), b.astimezone(TZ)
    total = dt.timedelta()
    day = a.date()
    while day <= b.date():
        for begin, end in _periods(day):
            lo, hi = max(begin, a), min(end, b)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600
