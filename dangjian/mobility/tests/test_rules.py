"""The rules of mobile members, lost contact and 自行脱党, at their boundaries."""

import datetime as dt

import pytest

from dangjian.mobility import rules

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 15), 6, D(2026, 7, 15)),
        (D(2025, 8, 31), 6, D(2026, 2, 28)),  # a day February lacks
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
    ],
)
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


def test_six_months_away_is_mobile_one_day_less_is_not():
    away = D(2026, 1, 15)
    assert rules.is_long_absence(away, D(2026, 7, 15))
    assert not rules.is_long_absence(away, D(2026, 7, 14))
    errors = rules.registration_errors(
        away_since=away, expected_until=D(2026, 7, 14), today=D(2026, 2, 1)
    )
    assert errors == {"expected_until": rules.MSG_TOO_SHORT}
    assert not rules.registration_errors(
        away_since=away, expected_until=D(2026, 7, 15), today=D(2026, 2, 1)
    )


def test_registration_dates_in_order():
    today = D(2026, 5, 1)
    assert rules.registration_errors(
        away_since=D(2026, 5, 2), expected_until=D(2027, 1, 1), today=today
    ) == {"away_since": rules.MSG_AWAY_FUTURE}
    assert rules.registration_errors(
        away_since=D(2026, 1, 1), expected_until=D(2026, 1, 1), today=today
    ) == {"expected_until": rules.MSG_RETURN_BEFORE}
    assert rules.registration_errors(
        away_since=D(2025, 1, 1), expected_until=D(2026, 4, 30), today=today
    ) == {"expected_until": rules.MSG_RETURN_PAST}


def test_a_date_at_the_end_of_the_calendar_is_refused_not_a_crash():
    errors = rules.registration_errors(
        away_since=D(9999, 12, 1), expected_until=D(9999, 12, 31), today=D(2026, 5, 1)
    )
    assert errors == {"away_since": rules.MSG_AWAY_FUTURE}


def test_card_is_valid_until_the_return_and_at_most_a_year():
    assert rules.card_valid_until(D(2026, 3, 1), D(2026, 10, 1)) == D(2026, 10, 1)
    assert rules.card_valid_until(D(2026, 3, 1), D(2028, 1, 1)) == D(2027, 2, 28)


def test_card_state_at_its_edges():
    span = {"valid_from": D(2026, 3, 1), "valid_until": D(2026, 9, 30), "ended": False}
    assert rules.card_state(**span, today=D(2026, 2, 28))[0] == "pending"
    assert rules.card_state(**span, today=D(2026, 3, 1))[0] == "valid"
    assert rules.card_state(**span, today=D(2026, 9, 30))[0] == "valid"
    assert rules.card_state(**span, today=D(2026, 10, 1))[0] == "expired"
    assert rules.card_state(**{**span, "ended": True}, today=D(2026, 5, 1))[0] == "ended"
    gone = rules.card_state(**span, today=D(2026, 5, 1), member_current=False)
    assert gone == ("ended", "已失效（已不是本支部在册党员）")


def test_months_are_complete_calendar_months():
    last = D(2026, 1, 20)
    assert rules.months_after(last, D(2026, 7, 31)) == 5
    assert rules.months_after(last, D(2026, 8, 1)) == 6
    assert not rules.is_lapsed(rules.months_after(last, D(2026, 7, 31)))
    assert rules.is_lapsed(rules.months_after(last, D(2026, 8, 1)))
    assert rules.months_after(last, D(2026, 1, 31)) == 0
    assert rules.months_from(D(2026, 2, 3), D(2026, 8, 1)) == 6


def test_streak_start_is_the_same_all_month():
    for day in (1, 15, 31):
        assert rules.streak_start(6, D(2026, 8, day)) == "2026-02"
    assert rules.streak_start(7, D(2027, 1, 5)) == "2026-06"


def test_suspension_needs_six_months_and_a_search():
    lost = D(2026, 1, 31)
    too_early = rules.suspension_errors(lost_since=lost, today=D(2026, 7, 30), attempts=3)
    assert too_early == {"outcome": rules.MSG_SUSPEND_TOO_EARLY.format(day="2026年07月31日")}
    assert not rules.suspension_errors(lost_since=lost, today=D(2026, 7, 31), attempts=1)
    assert rules.suspension_errors(lost_since=lost, today=D(2026, 7, 31), attempts=0) == {
        "outcome": rules.MSG_SUSPEND_NO_SEARCH
    }
