"""Rules a member record must satisfy.

Sources:
- 《中国共产党章程》第一条: 年满十八岁 may apply to join; 第七条: the probation period
  (预备期) is one year — a member becomes 正式 on conversion, not before a year is out.
- GB 11643-1999: the birth date and sex are encoded in the citizen ID number, so the
  record must agree with it.
- Mobile numbers: dangjian.core.phone (the one normaliser) decides.
"""

import datetime as dt

from dangjian.core import idcard
from dangjian.members.choices import Gender, Status

MIN_JOIN_AGE = 18
PROBATION_YEARS = 1

MSG_BIRTH_MISMATCH = "出生日期与公民身份号码不一致"
MSG_GENDER_MISMATCH = "性别与公民身份号码不一致"
MSG_JOIN_AGE = "入党时应年满18周岁"
MSG_JOIN_FUTURE = "入党日期不能晚于今天"
MSG_FULL_TOO_EARLY = "转正日期应在入党日期满一年之后"
MSG_FULL_FUTURE = "转正日期不能晚于今天"
MSG_PROBATION_HAS_FULL = "预备党员不应有转正日期"
MSG_FULL_NEEDS_DATE = "正式党员应填写转正日期"
MSG_OUT_BY_TRANSFER = "“已转出”由组织关系转接办理，请为该党员办理组织关系转接"
MSG_OUT_FINAL = "该党员已于{on}转出，党籍状态不能再修改"


def add_years(day: dt.date, years: int) -> dt.date:
    """Same calendar day ``years`` later; 29 Feb falls back to 28 Feb."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def record_errors(
    *,
    id_number: idcard.IdNumber,
    birth_date: dt.date,
    gender: str,
    joined_on: dt.date | None,
    full_member_on: dt.date | None,
    status: str,
    today: dt.date,
    transferred_out_on: dt.date | None = None,
) -> dict[str, str]:
    """Field → message for every rule the record breaks (empty when consistent).

    A member is 已转出 exactly when the record has the date of the transfer out (set
    only by a completed 组织关系转接 to an organisation outside the platform).
    """
    errors: dict[str, str] = {}
    if status == Status.TRANSFERRED_OUT and transferred_out_on is None:
        errors["status"] = MSG_OUT_BY_TRANSFER
    elif status != Status.TRANSFERRED_OUT and transferred_out_on is not None:
        errors["status"] = MSG_OUT_FINAL.format(on=transferred_out_on.isoformat())
    if birth_date != id_number.birth_date:
        errors["birth_date"] = MSG_BIRTH_MISMATCH
    if (gender == Gender.MALE) != id_number.is_male:
        errors["gender"] = MSG_GENDER_MISMATCH
    if joined_on:
        if joined_on > today:
            errors["joined_on"] = MSG_JOIN_FUTURE
        elif age_on(id_number.birth_date, joined_on) < MIN_JOIN_AGE:
            errors["joined_on"] = MSG_JOIN_AGE
    if full_member_on:
        if status == Status.PROBATIONARY:
            errors["full_member_on"] = MSG_PROBATION_HAS_FULL
        elif full_member_on > today:
            errors["full_member_on"] = MSG_FULL_FUTURE
        elif joined_on and full_member_on < add_years(joined_on, PROBATION_YEARS):
            errors["full_member_on"] = MSG_FULL_TOO_EARLY
    elif status == Status.FULL:
        errors["full_member_on"] = MSG_FULL_NEEDS_DATE
    return errors


def age_band_birth_range(band: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Birth dates (earliest, latest), inclusive, of people whose age falls in ``band``."""
    low, _, high = band.partition("-")

    def born_by(age: int) -> dt.date:  # latest birth date for someone aged >= age
        return add_years(today, -age)

    def born_after(age: int) -> dt.date:  # earliest birth date for someone aged <= age
        return add_years(today, -(age + 1)) + dt.timedelta(days=1)

    earliest = born_after(int(high)) if high else None
    latest = born_by(int(low)) if low else None
    return earliest, latest
