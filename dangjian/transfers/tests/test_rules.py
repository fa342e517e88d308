"""The transfer rules at their boundaries."""

import datetime as dt

import pytest

from dangjian.transfers import rules
from dangjian.transfers.choices import TransferScope as S

DAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("from_line", "to_line", "scope"),
    [
        (
            {"county": 3, "city": 2, "province": 1},
            {"county": 3, "city": 2, "province": 1},
            S.COUNTY,
        ),
        ({"county": 3, "city": 2, "province": 1}, {"county": 4, "city": 2, "province": 1}, S.CITY),
        (
            {"county": 3, "city": 2, "province": 1},
            {"county": 5, "city": 6, "province": 1},
            S.PROVINCE,
        ),
        (
            {"county": 3, "city": 2, "province": 1},
            {"county": 7, "city": 8, "province": 9},
            S.OUT_OF_PROVINCE,
        ),
        ({"city": 2, "province": 1}, {"city": 2, "province": 1}, S.CITY),  # no county: none shared
        ({}, {}, S.OUT_OF_PROVINCE),
    ],
)
def test_scope_is_the_lowest_level_shared(from_line, to_line, scope):
    assert rules.scope_between(from_line, to_line) == scope


@pytest.mark.parametrize("scope", [S.COUNTY, S.CITY])
def test_within_a_city_a_letter_is_valid_ten_days_through_the_last(scope):
    until = rules.valid_until(DAY, scope)
    assert until == DAY + dt.timedelta(days=10)
    assert rules.is_valid(until, DAY + dt.timedelta(days=10))
    assert not rules.is_valid(until, DAY + dt.timedelta(days=11))


@pytest.mark.parametrize("scope", [S.PROVINCE, S.OUT_OF_PROVINCE])
def test_beyond_a_city_a_letter_is_valid_thirty_days(scope):
    until = rules.valid_until(DAY, scope)
    assert until == DAY + dt.timedelta(days=30)
    assert rules.is_valid(until, until)
    assert not rules.is_valid(until, until + dt.timedelta(days=1))


def test_configured_days_apply_and_never_pass_three_months():
    assert rules.valid_until(DAY, S.COUNTY, {"near": 15}) == DAY + dt.timedelta(days=15)
    assert rules.valid_until(DAY, S.PROVINCE, {"far": 89}) == DAY + dt.timedelta(days=89)
    # 2026-11-30 + 3 months = 2027-02-28 (a shorter month): the cap, not 120 days.
    assert rules.valid_until(DAY, S.PROVINCE, {"far": 120}) == dt.date(2027, 2, 28)
    assert rules.valid_until(dt.date(2026, 1, 1), S.PROVINCE, {"far": 90}) == dt.date(2026, 4, 1)
    assert rules.valid_until(dt.date(2026, 1, 1), S.PROVINCE, {"far": 91}) == dt.date(2026, 4, 1)
    assert rules.letter_days(S.COUNTY, {"near": 0}) == 1


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert rules.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert rules.add_months(dt.date(2028, 11, 30), 3) == dt.date(2029, 2, 28)


def test_no_letter_is_never_valid():
    assert not rules.is_valid(None, DAY)


@pytest.mark.parametrize(
    ("scope", "level"),
    [
        (S.COUNTY, "county"),
        (S.CITY, "city"),
        (S.PROVINCE, "province"),
        (S.OUT_OF_PROVINCE, "province"),
    ],
)
def test_a_move_out_of_the_platform_is_approved_up_to_its_level(scope, level):
    assert rules.top_level(scope) == level
