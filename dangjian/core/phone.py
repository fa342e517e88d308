"""Phone numbers: the ONE normaliser, used before every rate limit, lookup and store.

One number written five ways (``13711113333``, ``+8613711113333``, `` 13711113333``,
``137-1111-3333``, ``8613711113333``) is one number: a limit or a blind index keyed on
the raw string would count it five times (issue 10 got five SMS codes in a second).
Everything that keys on a phone calls ``normalize_phone`` first.

Accepted: full-width digits and signs (NFKC), blanks and the separators people type
(``-``, dashes, dots, brackets) between digits, and a country prefix ``+86``, ``0086``
or ``86``. Mainland mobiles are 11 digits, ``1`` then a network digit 3–9 (工信部
numbering). With ``landline=True`` a fixed line with its area code (``0`` then 9–11
digits, e.g. 0871-12345678) is accepted too — 12371 callers ring from desks. Anything
else (letters, invisible characters, extensions) is refused, never silently trimmed.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

MSG_PHONE = "手机号应为11位中国大陆手机号码"
MSG_PHONE_OR_LANDLINE = "电话号码应为11位手机号，或带区号的固定电话（如 0871-12345678）"

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.·()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_PREFIXES = ("0086", "86")


def normalize_phone(raw: str | None, *, landline: bool = False) -> str:
    """The canonical digits of a phone number, or ValidationError (Chinese message)."""
    message = MSG_PHONE_OR_LANDLINE if landline else MSG_PHONE
    text = unicodedata.normalize("NFKC", raw or "").strip()
    plus = text.startswith("+")
    digits = _SEPARATORS.sub("", text[1:] if plus else text)
    if not digits.isascii() or not digits.isdigit():
        raise ValidationError(message, code="phone")
    for prefix in _PREFIXES:
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
            break
    else:
        if plus:  # a foreign number, or +86 before something that is not a mobile
            raise ValidationError(message, code="phone")
    if _MOBILE.fullmatch(digits) or (landline and _LANDLINE.fullmatch(digits)):
        return digits
    raise ValidationError(message, code="phone")


def phone_or_blank(raw: str | None, *, landline: bool = False) -> str:
    """``normalize_phone`` for an optional field: '' stays '' (blanks included)."""
    if not (raw or "").strip():
        return ""
    return normalize_phone(raw, landline=landline)
