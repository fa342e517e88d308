"""China's official calendar: holidays, adjusted workdays and working-hour arithmetic."""

import datetime as dt

import pytest

from dangjian.core.calendar import (
    TZ,
    add_work_hours,
    add_workdays,
    is_holiday,
    is_workday,
    work_hours_between,
)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (dt.date(2026, 11, 20), True),  # an ordinary Friday
        (dt.date(2026, 11, 21), False),  # Saturday
        (dt.date(2026, 10, 1), False),  # National Day
        (dt.date(2026, 10, 7), False),  # still the National Day week
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 2, 17), False),  # Spring Festival 2026
        (dt.date(2026, 2, 14), True),  # a Saturday made a workday (调休)
        (dt.date(2031, 6, 2), True),  # a year without an official notice: Monday–Friday
        (dt.date(2031, 6, 1), False),
    ],
)
def test_official_workdays(day, workday):
    assert is_workday(day) is workday
    assert is_holiday(day) is not workday


def test_add_workdays_skips_weekends_and_holidays():
    assert add_workdays(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)  # Fri → Mon
    assert add_workdays(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)  # over National Day
    assert add_workdays(dt.date(2026, 11, 23), -1) == dt.date(2026, 11, 20)
    assert add_workdays(dt.date(2026, 11, 21), 0) == dt.date(2026, 11, 21)


def test_work_hours_roll_over_the_weekend():
    # Friday 16:00 + 4 working hours: 1.5 h on Friday, 2.5 h from Monday 09:00.
    assert add_work_hours(at(2026, 11, 20, 16, 0), 4) == at(2026, 11, 23, 11, 30)
    # Started in the lunch break: counting begins at 13:30.
    assert add_work_hours(at(2026, 11, 23, 12, 10), 1) == at(2026, 11, 23, 14, 30)
    # Started at night: counting begins next morning.
    assert add_work_hours(at(2026, 11, 23, 22, 0), 3) == at(2026, 11, 24, 12, 0)
    # Exactly the end of a period stays in that period.
    assert add_work_hours(at(2026, 11, 23, 9, 0), 3) == at(2026, 11, 23, 12, 0)


def test_work_hours_skip_an_official_holiday():
    # 30 September 2026 (Wed) 17:00 + 1 h → 8 October, 09:30.
    assert add_work_hours(at(2026, 9, 30, 17, 0), 1) == at(2026, 10, 8, 9, 30)


def test_work_hours_between_is_the_inverse():
    start = at(2026, 11, 20, 16, 0)
    for hours in (0, 0.5, 1.5, 4, 7, 20):
        end = add_work_hours(start, hours)
        assert work_hours_between(start, end) == pytest.approx(hours)
    assert work_hours_between(at(2026, 11, 23, 9), at(2026, 11, 20, 16)) == pytest.approx(-1.5)
    assert work_hours_between(at(2026, 11, 21, 9), at(2026, 11, 22, 18)) == 0


def test_negative_hours_refused():
    with pytest.raises(ValueError):
        add_work_hours(at(2026, 11, 23, 9), -1)
