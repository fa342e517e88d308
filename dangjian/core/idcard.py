"""GB 11643-1999 公民身份号码 validation.

An 18-character number: 6-digit address code, 8-digit birth date (YYYYMMDD), 3-digit
sequence (odd for men, even for women) and a check character computed with ISO 7064
MOD 11-2. The 15-digit numbers issued before 1999 are no longer valid identity
documents for new records, so they are refused with their own message.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# 省级行政区划代码 (GB/T 2260) that appear as the first two digits.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)

MSG_EMPTY = "请填写公民身份号码"
MSG_LEGACY = "不支持15位旧版身份证号码，请填写18位公民身份号码"
MSG_LENGTH = "公民身份号码应为18位"
MSG_FORMAT = "公民身份号码前17位应为数字，最后一位为数字或X"
MSG_REGION = "公民身份号码的地址码无效"
MSG_DATE = "公民身份号码中的出生日期无效"
MSG_FUTURE = "公民身份号码中的出生日期晚于今天"
MSG_CHECK = "公民身份号码校验位错误，请核对后重新填写"

_EIGHTEEN = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-digit number and what it tells about its holder."""

    value: str
    birth_date: dt.date
    is_male: bool

    @property
    def region(self) -> str:
        return self.value[:6]


def check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    """Strip blanks and full-width characters people paste from documents."""
    table = {ord("Ｘ"): "X", ord("ｘ"): "X", ord("x"): "X"}
    table.update({0xFF10 + i: str(i) for i in range(10)})
    return "".join(raw.split()).translate(table)


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate a citizen ID number; raise ValidationError with a Chinese message."""
    value = normalize(raw or "")
    if not value:
        raise ValidationError(MSG_EMPTY, code="required")
    if len(value) == 15 and value.isdigit():
        raise ValidationError(MSG_LEGACY, code="legacy")
    if len(value) != 18:
        raise ValidationError(MSG_LENGTH, code="length")
    if not _EIGHTEEN.match(value):
        raise ValidationError(MSG_FORMAT, code="format")
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(MSG_REGION, code="region")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(MSG_DATE, code="birth_date") from None
    if birth.year < 1900:
        raise ValidationError(MSG_DATE, code="birth_date")
    if birth > (today or dt.date.today()):
        raise ValidationError(MSG_FUTURE, code="birth_date")
    if check_char(value[:17]) != value[17]:
        raise ValidationError(MSG_CHECK, code="check_digit")
    return IdNumber(value=value, birth_date=birth, is_male=int(value[16]) % 2 == 1)


def build(region: str, birth: dt.date, sequence: int) -> str:
    """Make a valid number (for demo data and tests): region + birth + seq + check."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
