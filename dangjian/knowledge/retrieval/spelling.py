"""Typo folding: a member's homophone slip folded to the base's own word before matching.

Members type with a pinyin input method and pick the wrong character of the right sound:
预被期 for 预备期, 砖到 for 转到, 三会一棵 for 三会一课, 转证 for 转正. The slip leaves a
character pair the base never uses, in a stretch that is no dictionary word, sounding (tones
ignored, the usual accent mergers z/zh c/ch s/sh n/l in/ing en/eng folded) like a word the
base does use, one character apart. ``Speller.fold`` replaces exactly such stretches (two or
more of jieba's tokens, longest first) with the base's word; a stretch that is a word of the
general dictionary (事业) or whose pairs all occur in the base is left alone, as is a sound
shared by several of the base's words, and a word with a grammatical character (除了, 不开)
is never a target.

The vocabulary is the base's own: jieba words of the entries' phrasings (``Speller(texts)``,
normalised texts; the engine passes its word index's rows), so an editor's new entry brings
its words with it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from pypinyin import Style, pinyin

from .tokens import _tokenizer, words

_HAN = re.compile(r"[\u4e00-\u9fff]+")
_LONGEST = 4
# Grammatical characters: a "word" made with one (除了, 批得, 不开) is no domain term to fold to.
_FUNCTION = frozenset("的得地了着过不没也都就还又吗呢吧")
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FINALS = (("ing", "in"), ("eng", "en"))


def _fuzzy(syllable: str) -> str:
    for long, short in _INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


@lru_cache(maxsize=32768)
def _char_sound(char: str) -> str:
    """A character's usual reading, fuzzy and toneless (a slip is typed by that reading)."""
    reading = pinyin(char, style=Style.NORMAL, errors="ignore")
    return _fuzzy(reading[0][0]) if reading else char


def _sound(word: str) -> tuple[str, ...]:
    """The word's sound, character by character (cached per character: a base of 10 000
    entries is read in a second, not in the phrase dictionary's ten)."""
    return tuple(map(_char_sound, word))


class Speller:
    """Folds homophone slips onto the words of the texts it was built from."""

    def __init__(self, texts: Iterable[str], tokens: Iterable[Sequence[str]] | None = None) -> None:
        """``texts`` normalised; ``tokens`` their jieba words if already cut (an index's rows)."""
        texts = list(texts)
        cut = tokens if tokens is not None else map(words, texts)
        counts: Counter[str] = Counter()
        pairs: set[str] = set()
        for text, toks in zip(texts, cut, strict=True):
            for run in _HAN.findall(text):
                pairs.update(run[i : i + 2] for i in range(len(run) - 1))
            counts.update(
                w
                for w in toks
                if 2 <= len(w) <= _LONGEST and _HAN.fullmatch(w) and not _FUNCTION & set(w)
            )
        by_sound: dict[tuple[str, ...], list[str]] = {}
        for word in counts:
            by_sound.setdefault(_sound(word), []).append(word)
        # a sound the base uses for one word only: the fold is unambiguous
        self._words = {s: ws[0] for s, ws in by_sound.items() if len(ws) == 1}
        self._pairs = frozenset(pairs)

    def _word_for(self, stretch: str) -> str | None:
        """The base's word ``stretch`` is a slip of: same sound, one character apart."""
        if _tokenizer().FREQ.get(stretch, 0) > 0:
            return None
        if all(stretch[i : i + 2] in self._pairs for i in range(len(stretch) - 1)):
            return None  # every pair occurs in the base: no slip here
        word = self._words.get(_sound(stretch))
        if word is None or sum(a != b for a, b in zip(word, stretch, strict=True)) != 1:
            return None
        return word

    def fold(self, text: str) -> str:
        """``text`` with each slip replaced by the base's word of the same sound."""
        if not self._words:
            return text
        return _HAN.sub(lambda m: self._fold_run(m.group(0)), text)

    def _fold_run(self, run: str) -> str:
        """Stretches of two or more of jieba's tokens (no HMM: a slip is no word, so it falls
        apart into short tokens), tried longest first from each token boundary."""
        tokens = list(_tokenizer().cut(run, HMM=False))
        out, i = [], 0
        while i < len(tokens):
            # a token has a character at least: no stretch of more than _LONGEST tokens fits
            for j in range(min(len(tokens), i + _LONGEST), i + 1, -1):
                stretch = "".join(tokens[i:j])
                if len(stretch) > _LONGEST:
                    continue
                word = self._word_for(stretch)
                if word is not None:
                    out.append(word)
                    i = j
                    break
            else:
                out.append(tokens[i])
                i += 1
        return "".join(out)
