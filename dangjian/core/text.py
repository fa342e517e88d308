"""Names and titles people type: normalised and checked in ONE place.

An organisation called "   ", a member whose name is a zero-width space, a meeting topic
that a right-to-left override (U+202E) turns around on screen: all were stored (issue 10).
Every human-entered name or title — organisations, members, meeting topics, resolutions,
knowledge-base questions, reply templates, callers — goes through ``clean_name``:

1. Unicode NFC (the same name typed on two systems compares equal);
2. blanks (any Unicode white space, the ideographic one included) and zero-width
   characters stripped at both ends;
3. refused if empty after that, or if any control character (tab, newline, NUL…),
   format character (zero-width, bidi override/embedding/isolate, BOM, soft hyphen) or
   line/paragraph separator remains inside;
4. runs of spaces inside collapsed to one.

Private-use characters are kept on purpose: rare characters in Chinese names (生僻字)
are often stored in the private-use area by older government systems.

The same rule is offered as a model field (``NameField``: ``full_clean`` normalises
and refuses, so services that validate their model — the last line — refuse too), a
helper for services that collect their own errors (``name_or_error``), a form field
(``NameFormField``) and pydantic types (``Name``, ``OptionalName``) for ninja schemas.
"""

import re
import unicodedata
from typing import Annotated

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MSG_BLANK = "{label}不能为空（空格、不可见字符不算内容）"
MSG_INVISIBLE = "{label}不能含有控制字符或不可见字符（如制表符、零宽字符、文字方向控制符）"
DEFAULT_LABEL = "名称"

# Stripped at the ends (never refused there): zero-width space/non-joiner/joiner, word
# joiner, BOM. Bidi controls are NOT stripped: they are refused wherever they are.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = re.compile(rf"^[\s{_ZERO_WIDTH}]+|[\s{_ZERO_WIDTH}]+$")
_BLANKS = re.compile(r"\s+")
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def normalize_name(value: str | None) -> str:
    """NFC, ends stripped (never raises); the inside is left for ``clean_name`` to judge."""
    return _EDGES.sub("", unicodedata.normalize("NFC", value or ""))


def one_line(value: str | None) -> str:
    """Free text as one line: every run of blanks (newlines too) one space, ends stripped."""
    return " ".join((value or "").split())


def quoted_line(value: str | None) -> str:
    """What someone typed, quoted as one line (a summary, a title): blanks folded as by
    :func:`one_line`, invisible characters dropped rather than refused, since the writer
    is quoting, not typing."""
    visible = "".join(
        ch
        for ch in (value or "")
        if unicodedata.category(ch) not in _REFUSED_CATEGORIES or ch.isspace()
    )
    return one_line(visible)


def invisible_characters(text: str) -> list[str]:
    """The control/format characters in ``text``, as U+XXXX, for messages and logs."""
    return [f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in _REFUSED_CATEGORIES]


def clean_name(value: str | None, *, field_label: str = DEFAULT_LABEL, blank: bool = False) -> str:
    """The name as it is to be stored, or ValidationError with a Chinese message.

    ``blank=True`` for optional names: '' (or only blanks) is then '' — but a value of
    only invisible characters is still refused as blank-looking, not silently emptied.
    """
    raw = value or ""
    text = normalize_name(raw)
    if invisible_characters(text):
        raise ValidationError(MSG_INVISIBLE.format(label=field_label), code="invisible")
    if not text and not (blank and not any(ch in _ZERO_WIDTH for ch in raw)):
        raise ValidationError(MSG_BLANK.format(label=field_label), code="blank")
    return _BLANKS.sub(" ", text)


def name_or_error(
    value: str | None, *, field_label: str, blank: bool = False, blank_message: str = ""
) -> tuple[str, str | None]:
    """``clean_name`` for a service collecting errors per field: (name, None) or
    (normalised text, message). ``blank_message`` replaces the generic one for empty."""
    try:
        return clean_name(value, field_label=field_label, blank=blank), None
    except ValidationError as exc:
        if exc.code == "blank" and blank_message:
            return "", blank_message
        return normalize_name(value), exc.messages[0]


class NameField(models.CharField):
    """A CharField holding a human-entered name or title (see the module docstring).

    ``full_clean`` normalises the value (``to_python``) and refuses invisible-only or
    control characters, so every service that validates its model refuses them.
    """

    def to_python(self, value):
        """Normalised, so zero-width-only is '' and Django's blank check refuses it."""
        value = super().to_python(value)
        return normalize_name(value) if isinstance(value, str) else value

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value not in self.empty_values:
            clean_name(value, field_label=str(self.verbose_name or DEFAULT_LABEL))

    def clean(self, value, model_instance):
        """Validated, then stored as ``clean_name`` writes it (inner blanks collapsed)."""
        value = super().clean(value, model_instance)
        return clean_name(value, blank=True) if isinstance(value, str) else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": NameFormField, **kwargs})


class NameFormField(forms.CharField):
    """A form's name/title field: ``clean_name`` with the field's label in the message."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value  # the required check (or an optional field's '') follows
        return clean_name(value, field_label=str(self.label or DEFAULT_LABEL))


def _pydantic_name(value: str) -> str:
    try:
        return clean_name(value)
    except ValidationError as exc:
        raise PydanticCustomError("name_invalid", "{reason}", {"reason": exc.messages[0]}) from None


def _pydantic_optional_name(value: str) -> str:
    try:
        return clean_name(value, blank=True)
    except ValidationError as exc:
        raise PydanticCustomError("name_invalid", "{reason}", {"reason": exc.messages[0]}) from None


# ninja/pydantic: ``name: Name = Field(..., max_length=120)``; ``OptionalName`` lets ''
# through (an optional caller name) but refuses what only looks empty.
Name = Annotated[str, AfterValidator(_pydantic_name)]
OptionalName = Annotated[str, AfterValidator(_pydantic_optional_name)]
