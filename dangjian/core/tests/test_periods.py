"""Reporting periods (core.periods), shared by compliance and rollups."""

import datetime as dt

import pytest

from dangjian.core.periods import MSG_BAD_PERIOD, month_period, parse_period, period_of


@pytest.mark.parametrize(
    ("text", "first", "last", "months"),
    [
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28), ["2026-02"]),
        ("2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29), ["2028-02"]),
        ("2026q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), ["2026-10", "2026-11", "2026-12"]),
        (
            "2026",
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
            [f"2026-{m:02d}" for m in range(1, 13)],
        ),
    ],
)
def test_a_period_knows_its_days_and_months(text, first, last, months):
    period = parse_period(text)
    assert (period.first, period.last) == (first, last)
    assert [m.key for m in period.months] == months


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026Q5", "1999", "26-11", "2026-1"])
def test_bad_periods_say_what_is_expected(text):
    with pytest.raises(ValueError, match=MSG_BAD_PERIOD):
        parse_period(text)


def test_the_period_of_a_day():
    day = dt.date(2026, 11, 22)
    assert [period_of(day, unit).key for unit in ("month", "quarter", "year")] == [
        "2026-11",
        "2026Q4",
        "2026",
    ]


def test_orglife_keeps_its_names_for_the_same_periods():
    from dangjian.orglife import rules

    assert rules.parse_period is parse_period and rules.Period is type(parse_period("2026"))


def test_a_months_first_and_last_day():
    d = dt.date
    assert (month_period(2026, 2).first, month_period(2026, 2).last) == (
        d(2026, 2, 1),
        d(2026, 2, 28),
    )
    assert month_period(2028, 2).last == d(2028, 2, 29)
    assert (month_period(2026, 12).first, month_period(2026, 12).last) == (
        d(2026, 12, 1),
        d(2026, 12, 31),
    )
