"""Text normalisation shared by indexing and querying.

The two real question banks and members' typed questions mix full- and half-width forms,
traditional characters, runs of U+00A0 or ``____`` for blanks and ``（）`` for an empty
answer slot. Both sides of a match must go through the same function, so a query and an
entry that differ only in such forms compare equal.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import opencc

# 填空：下划线串、空括号 — a blank carries no meaning for matching.
_BLANK = re.compile(r"_{2,}|\(\s*\)")
_SPACES = re.compile(r"\s+")

_converter: opencc.OpenCC | None = None
_converter_lock = threading.Lock()


def _punctuation_table() -> dict[int, str]:
    """Map every Unicode punctuation or symbol code point (categories P*, S*) to a space."""
    return {
        cp: " "
        for cp in range(0x10000)  # the Basic Multilingual Plane holds all CJK punctuation
        if unicodedata.category(chr(cp))[0] in "PS"
    }


_PUNCT = _punctuation_table()


def _t2s(text: str) -> str:
    """Traditional → simplified Chinese with OpenCC (its converter is created once)."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter.convert(text)


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Return the canonical matching form of ``text``.

    NFKC folds full-width letters, digits and punctuation to half width and U+00A0/U+3000
    to spaces; OpenCC folds traditional to simplified; blanks and punctuation become
    spaces; runs of blanks collapse to one space; Latin letters are lower-cased.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _t2s(text).lower()
    text = _BLANK.sub(" ", text)
    text = text.translate(_PUNCT)
    return _SPACES.sub(" ", text).strip()
