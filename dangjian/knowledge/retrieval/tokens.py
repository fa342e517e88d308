"""Tokenisation: jieba words with a party-domain dictionary and synonyms, and character n-grams.

Words carry the meaning of a Chinese question but jieba's general dictionary splits domain
terms (三会一课, 组织关系转接) and knows nothing of their synonyms. The user dictionary
(``data/userdict.txt``) keeps domain terms whole, and ``data/everyday_words.txt`` the
everyday words newer than jieba's dictionary (微信, 扫码, 线上); the synonym table (``data/synonyms.txt``)
folds every variant to one canonical token at index and query time alike, so 缴纳党费 finds an
entry written as 交纳党费. Character uni- and bigrams back words up where segmentation of the
query and the entry disagree. The jieba dictionary is loaded lazily, once per process.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from math import log
from pathlib import Path

import jieba

DATA_DIR = Path(__file__).parent / "data"

_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None
_synonyms: dict[str, str] = {}


def _read_lines(name: str) -> list[str]:
    """Non-blank, non-comment lines of a data file."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def load_synonyms() -> dict[str, str]:
    """Variant → canonical term, from the synonym table (first term of a line is canonical)."""
    table: dict[str, str] = {}
    for line in _read_lines("synonyms.txt"):
        canonical, *variants = line.split()
        for term in variants:
            table[term] = canonical
    return table


GRAPHS_KEPT = 4096  # blocks whose word graph and best route ``_Tokenizer`` remembers


class _Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer, cutting exactly as jieba does with less repeated work per question.

    jieba cuts each block (a run of Han, letters and digits) through its word graph (every
    dictionary word starting at each position) and the route of highest probability through
    it. The typo check cuts a question's Han runs without HMM and ``words`` cuts its blocks
    with HMM: mostly the same blocks, so each block's graph and route are remembered; and a
    word's log probability is computed once, not at every position of every question."""

    def __init__(self) -> None:
        super().__init__()
        self._graphs: dict[str, tuple[dict, dict]] = {}
        self._logp: dict[str, float] = {}
        self._logp_total = None

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        super().add_word(word, freq, tag)
        self._graphs.clear()
        self._logp.clear()

    def get_DAG(self, sentence: str) -> dict:
        found = self._graphs.get(sentence)
        if found is not None:
            return found[0]
        graph = super().get_DAG(sentence)
        if len(self._graphs) >= GRAPHS_KEPT:
            self._graphs.clear()
        self._graphs[sentence] = (graph, {})
        return graph

    def calc(self, sentence: str, DAG: dict, route: dict) -> None:
        """jieba's ``calc`` (the same sums in the same order, the same ties), remembered."""
        found = self._graphs.get(sentence)
        if found is not None and found[0] is DAG and found[1]:
            route.update(found[1])
            return
        if self._logp_total != self.total:
            self._logp.clear()
            self._logp_total = self.total
        logp, freq = self._logp, self.FREQ
        logtotal = log(self.total)
        n = len(sentence)
        route[n] = (0, 0)
        for idx in range(n - 1, -1, -1):
            best = None
            for x in DAG[idx]:
                word = sentence[idx : x + 1]
                p = logp.get(word)
                if p is None:
                    p = logp[word] = log(freq.get(word) or 1) - logtotal
                step = (p + route[x + 1][0], x)
                if best is None or step > best:
                    best = step
            route[idx] = best
        if found is not None and found[0] is DAG:
            found[1].update(route)


def _tokenizer() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with the domain dictionary (built on first use)."""
    global _jieba, _synonyms
    if _jieba is None:
        with _lock:
            if _jieba is None:
                jieba.setLogLevel(logging.WARNING)
                tok = _Tokenizer()
                tok.initialize()
                tok.load_userdict(str(DATA_DIR / "userdict.txt"))
                for line in _read_lines("everyday_words.txt"):
                    word, freq = line.split()
                    tok.add_word(word, freq=max(tok.FREQ.get(word, 0), int(freq)))
                synonyms = load_synonyms()
                for term in {*synonyms, *synonyms.values()}:
                    if len(term) > 1:
                        tok.add_word(term, freq=max(tok.FREQ.get(term, 0), 1000))
                _synonyms = synonyms
                _jieba = tok
    return _jieba


@lru_cache(maxsize=65536)
def _cut(text: str) -> tuple[str, ...]:
    """jieba's words of ``text`` (HMM on, spaces kept), once per text: ``words`` and
    ``search_words`` both start from this cut, the slowest step of tokenising a question."""
    return tuple(_tokenizer().cut(text, HMM=True))


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """Canonical jieba words of an already normalised text (spaces dropped)."""
    _tokenizer()
    return tuple(_synonyms.get(w, w) for w in _cut(text) if not w.isspace())


@lru_cache(maxsize=65536)
def grams(text: str) -> tuple[str, ...]:
    """Character unigrams and bigrams of each space-separated chunk of a normalised text."""
    out: list[str] = []
    for chunk in text.split():
        out.extend(chunk)
        out.extend(chunk[i : i + 2] for i in range(len(chunk) - 1))
    return tuple(out)


@lru_cache(maxsize=65536)
def search_words(text: str) -> tuple[str, ...]:
    """``words`` plus the dictionary words inside the long ones (jieba's search mode), each
    folded by the synonym table: 交纳党费 also counts as 交纳 and 党费."""
    freq = _tokenizer().FREQ
    out: list[str] = []
    for w in _cut(text):  # jieba's ``cut_for_search``, over the cached cut
        if len(w) > 2:
            out.extend(g for i in range(len(w) - 1) if freq.get(g := w[i : i + 2]))
        if len(w) > 3:
            out.extend(g for i in range(len(w) - 2) if freq.get(g := w[i : i + 3]))
        out.append(w)
    return tuple(_synonyms.get(w, w) for w in out if not w.isspace())
