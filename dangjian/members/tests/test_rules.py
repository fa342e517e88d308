import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import idcard
from dangjian.core.phone import MSG_PHONE, normalize_phone
from dangjian.members import rules
from dangjian.members.choices import Gender, Status

BIRTH = dt.date(1990, 3, 15)
TODAY = dt.date(2026, 11, 23)
ID_MALE = idcard.parse(idcard.build("530102", BIRTH, 11))


def errors(**overrides):
    fields = {
        "id_number": ID_MALE,
        "birth_date": BIRTH,
        "gender": Gender.MALE,
        "joined_on": dt.date(2012, 7, 1),
        "full_member_on": dt.date(2013, 7, 1),
        "status": Status.FULL,
        "today": TODAY,
    }
    fields.update(overrides)
    return rules.record_errors(**fields)


def test_a_consistent_record_has_no_errors():
    assert errors() == {}


def test_joining_on_the_18th_birthday_is_allowed_the_day_before_is_not():
    assert errors(joined_on=dt.date(2008, 3, 15), full_member_on=dt.date(2009, 3, 15)) == {}
    assert errors(
        joined_on=dt.date(2008, 3, 14), full_member_on=None, status=Status.PROBATIONARY
    ) == {"joined_on": rules.MSG_JOIN_AGE}


def test_probation_is_a_full_year():
    assert errors(full_member_on=dt.date(2013, 7, 1)) == {}
    assert errors(full_member_on=dt.date(2013, 6, 30)) == {
        "full_member_on": rules.MSG_FULL_TOO_EARLY
    }


def test_leap_day_admission_converts_on_28_february():
    assert rules.add_years(dt.date(2012, 2, 29), 1) == dt.date(2013, 2, 28)
    assert errors(joined_on=dt.date(2012, 2, 29), full_member_on=dt.date(2013, 2, 28)) == {}


def test_dates_in_the_future_are_refused():
    tomorrow = TODAY + dt.timedelta(days=1)
    assert errors(joined_on=tomorrow, full_member_on=None, status=Status.PROBATIONARY) == {
        "joined_on": rules.MSG_JOIN_FUTURE
    }
    assert errors(joined_on=dt.date(2024, 1, 1), full_member_on=tomorrow) == {
        "full_member_on": rules.MSG_FULL_FUTURE
    }


def test_status_and_conversion_date_agree():
    assert errors(status=Status.PROBATIONARY) == {"full_member_on": rules.MSG_PROBATION_HAS_FULL}
    assert errors(full_member_on=None) == {"full_member_on": rules.MSG_FULL_NEEDS_DATE}
    assert errors(full_member_on=None, status=Status.PROBATIONARY) == {}
    assert errors(full_member_on=None, status=Status.MOBILE) == {}


def test_record_must_agree_with_the_id_number():
    assert errors(birth_date=dt.date(1990, 3, 16)) == {"birth_date": rules.MSG_BIRTH_MISMATCH}
    assert errors(gender=Gender.FEMALE) == {"gender": rules.MSG_GENDER_MISMATCH}


@pytest.mark.parametrize(
    "raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678"]
)
def test_phone_normalisation(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["1381234567", "138123456789", "12812345678", "0871-1234567", "abc"]
)
def test_bad_phones(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert exc.value.messages == [MSG_PHONE]


@pytest.mark.parametrize(
    ("band", "inside", "outside"),
    [
        ("-35", [dt.date(1990, 11, 24), TODAY], [dt.date(1990, 11, 23)]),
        (
            "36-45",
            [dt.date(1990, 11, 23), dt.date(1980, 11, 24)],
            [dt.date(1990, 11, 24), dt.date(1980, 11, 23)],
        ),
        (
            "46-60",
            [dt.date(1980, 11, 23), dt.date(1965, 11, 24)],
            [dt.date(1980, 11, 24), dt.date(1965, 11, 23)],
        ),
        ("61-", [dt.date(1965, 11, 23), dt.date(1920, 1, 1)], [dt.date(1965, 11, 24)]),
    ],
)
def test_age_band_boundaries(band, inside, outside):
    earliest, latest = rules.age_band_birth_range(band, TODAY)

    def within(birth):
        return (earliest is None or birth >= earliest) and (latest is None or birth <= latest)

    assert all(within(b) for b in inside)
    assert not any(within(b) for b in outside)
    for birth in inside:
        low, _, high = band.partition("-")
        age = rules.age_on(birth, TODAY)
        assert (not low or age >= int(low)) and (not high or age <= int(high))


def test_transferred_out_goes_with_its_date_and_only_with_it():
    out = dt.date(2024, 5, 1)
    assert errors(status="transferred_out")["status"] == rules.MSG_OUT_BY_TRANSFER
    assert not errors(status="transferred_out", transferred_out_on=out)
    assert errors(status="full", transferred_out_on=out)["status"] == rules.MSG_OUT_FINAL.format(
        on="2024-05-01"
    )
