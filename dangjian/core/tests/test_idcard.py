import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import idcard

VALID = "11010519491231002X"  # the standard's own example (GB 11643-1999 appendix)


def test_the_standards_example_is_valid():
    parsed = idcard.parse(VALID)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.is_male is False
    assert parsed.region == "110105"


def test_lowercase_x_and_full_width_and_blanks_are_normalised():
    assert idcard.parse(" 110105 19491231 002x ").value == VALID
    assert idcard.parse("１１０１０５１９４９１２３１００２Ｘ").value == VALID


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", idcard.MSG_EMPTY),
        ("110105491231002", idcard.MSG_LEGACY),
        ("11010519491231002", idcard.MSG_LENGTH),
        ("11010519491231002XX", idcard.MSG_LENGTH),
        ("1101051949123100AX", idcard.MSG_FORMAT),
        ("99010519491231002X", idcard.MSG_REGION),
        ("110105194902300021", idcard.MSG_DATE),
        ("110105194913010021", idcard.MSG_DATE),
        ("110105189912310021", idcard.MSG_DATE),
        ("110105194912310021", idcard.MSG_CHECK),
    ],
)
def test_invalid_numbers_are_refused_with_their_reason(raw, message):
    with pytest.raises(ValidationError) as exc:
        idcard.parse(raw)
    assert exc.value.messages == [message]


def test_every_wrong_check_character_is_caught():
    for wrong in "0123456789":
        candidate = VALID[:17] + wrong
        with pytest.raises(ValidationError):
            idcard.parse(candidate)


def test_birth_date_boundary_today_and_tomorrow():
    today = dt.date(2026, 11, 23)
    assert idcard.parse(idcard.build("530102", today, 11), today=today).birth_date == today
    with pytest.raises(ValidationError) as exc:
        idcard.parse(idcard.build("530102", today + dt.timedelta(days=1), 11), today=today)
    assert exc.value.messages == [idcard.MSG_FUTURE]


def test_leap_day_birth_dates():
    assert idcard.parse(idcard.build("530102", dt.date(2000, 2, 29), 12)).birth_date.day == 29
    with pytest.raises(ValidationError):
        idcard.parse("53010219000229" + "0121"[:4])


def test_sequence_parity_gives_the_sex():
    assert idcard.parse(idcard.build("530102", dt.date(1990, 1, 1), 1)).is_male
    assert not idcard.parse(idcard.build("530102", dt.date(1990, 1, 1), 2)).is_male
