"""Reporting periods: a month, a quarter or a year ("2026-11", "2026Q4", "2026").

Shared by every module that counts things per period — organisational-life compliance,
subtree figures (:mod:`dangjian.core.rollups`), later dues and points — so that
"2026Q4" means the same three months everywhere. Pure functions, no database.
"""

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

from django.db import models

MSG_BAD_PERIOD = "期间格式应为 2026-11（月）、2026Q4（季度）或 2026（年）"
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|Q([1-4]))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodUnit(models.TextChoices):
    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年"


UNIT_MONTHS = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.YEAR: 12}


@dataclass(frozen=True, order=True)
class Period:
    """A month, quarter or year: ``first`` and ``last`` days inclusive."""

    first: dt.date
    last: dt.date
    unit: str
    key: str  # "2026-11", "2026Q4", "2026"

    @property
    def label(self) -> str:
        if self.unit == PeriodUnit.MONTH:
            return f"{self.first.year}年{self.first.month}月"
        if self.unit == PeriodUnit.QUARTER:
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        return f"{self.first.year}年"

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    @property
    def months(self) -> list["Period"]:
        """The months making up the period (itself, for a month)."""
        return units_in(self, PeriodUnit.MONTH)


def cn_day(day: dt.date) -> str:
    """2026-11-22 → 2026年11月22日: how a day reads in every message, title and page."""
    return f"{day.year}年{day.month}月{day.day}日"


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month_period(year: int, month: int) -> Period:
    return Period(
        dt.date(year, month, 1), month_end(year, month), PeriodUnit.MONTH, f"{year}-{month:02d}"
    )


def quarter_period(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    return Period(
        dt.date(year, first_month, 1),
        month_end(year, first_month + 2),
        PeriodUnit.QUARTER,
        f"{year}Q{quarter}",
    )


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodUnit.YEAR, str(year))


def parse_period(text: str) -> Period:
    """ "2026-11", "2026Q4" or "2026" → Period; ValueError (with a Chinese message) otherwise."""
    match = _PERIOD.match((text or "").strip().upper())
    if not match:
        raise ValueError(MSG_BAD_PERIOD)
    year = int(match[1])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(MSG_BAD_PERIOD)
    if match[2]:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(MSG_BAD_PERIOD)
        return month_period(year, month)
    if match[3]:
        return quarter_period(year, int(match[3]))
    return year_period(year)


def period_of(day: dt.date, unit: str) -> Period:
    """The month, quarter or year containing ``day``."""
    if unit == PeriodUnit.MONTH:
        return month_period(day.year, day.month)
    if unit == PeriodUnit.QUARTER:
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    return year_period(day.year)


def units_in(period: Period, unit: str) -> list[Period]:
    """The ``unit``-long periods making up ``period`` (none if ``unit`` is longer)."""
    return list(_units_in(period, unit))


@functools.lru_cache(maxsize=256)
def _units_in(period: Period, unit: str) -> tuple[Period, ...]:
    # cached: compliance asks it for every branch and kind of a subtree
    if UNIT_MONTHS[unit] > UNIT_MONTHS[period.unit]:
        return ()
    result = []
    day = period.first
    while day <= period.last:
        part = period_of(day, unit)
        result.append(part)
        day = part.last + dt.timedelta(days=1)
    return tuple(result)
