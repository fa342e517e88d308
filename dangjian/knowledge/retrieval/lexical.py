"""BM25 over token rows (bm25s main segment + delta segment) and idf-weighted overlap.

bm25s precomputes every (row, term) score, which makes queries fast but an added row would
need a full re-index. Rows added after the last build go to a delta segment scored with the
same Lucene BM25 formula and the main segment's length statistics; removed rows are masked by
the caller. ``Engine`` rebuilds the main segment from the stored tokens (no re-tokenising, no
re-embedding) once the delta passes a fraction of the main segment.

The index also keeps a binary row × term matrix and document frequencies over live rows, so
the idf-weighted Jaccard overlap between a query and a few hundred candidate rows is two
sparse products rather than a Python loop.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import bm25s
import numpy as np
from scipy import sparse

# bm25s sets its logger to DEBUG when imported (a line per index build, after Django's
# LOGGING was applied): quiet it here.
logging.getLogger("bm25s").setLevel(logging.WARNING)

K1 = 1.2
B = 0.75
# Candidate generation skips terms found in more than this share of rows (common characters
# such as 的 or 么): their postings are most of the work and barely move the ranking, which the
# pair features decide anyway. Applied only above COMMON_MIN_ROWS rows, and never to every term.
COMMON_SHARE = 0.05
COMMON_MIN_ROWS = 2000
WEIGHTS_MEMO = 1024  # query token tuples whose idf weights are kept (cleared when full)


def _binary_rows(rows: Sequence[tuple[str, ...]], vocab: dict[str, int]) -> sparse.csr_matrix:
    """A 0/1 CSR matrix of which vocabulary terms each row contains (vocab grows as needed)."""
    indptr = [0]
    indices: list[int] = []
    for toks in rows:
        ids = {vocab.setdefault(t, len(vocab)) for t in toks}
        indices.extend(sorted(ids))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(rows), len(vocab)),
    )


class LexicalIndex:
    """BM25 scores of a query against every row, and overlap features for chosen rows."""

    def __init__(self, rows: Sequence[tuple[str, ...]]) -> None:
        self.rows: list[tuple[str, ...]] = list(rows)
        self.n_main = len(self.rows)
        self.vocab: dict[str, int] = {}
        self.matrix = _binary_rows(self.rows, self.vocab)
        self.df = np.asarray(self.matrix.sum(axis=0), dtype=np.float64).ravel()
        self.n_live = len(self.rows)
        self._idf: np.ndarray | None = None
        self._row_mass: tuple[np.ndarray, np.ndarray] | None = None
        self._weights: tuple[np.ndarray, dict] | None = None
        self._scratch = threading.local()
        self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        corpus = [list(t) or [""] for t in self.rows] or [[""]]
        self._bm25.index(corpus, show_progress=False)
        lengths = [len(t) for t in self.rows]
        self._avgdl = float(np.mean(lengths)) if lengths else 1.0

    def copy(self) -> LexicalIndex:
        """A copy whose rows and counts can change without touching this one."""
        clone = object.__new__(LexicalIndex)
        clone.__dict__.update(self.__dict__)
        clone.rows = list(self.rows)
        clone.vocab = dict(self.vocab)
        clone.df = self.df.copy()
        clone._idf = None
        clone._row_mass = None
        clone._weights = None
        return clone

    def add(self, rows: Sequence[tuple[str, ...]]) -> None:
        """Append rows to the delta segment."""
        rows = list(rows)
        extra = _binary_rows(rows, self.vocab)
        width = len(self.vocab)
        m = self.matrix  # shared with earlier snapshots: widen a new view, never in place
        widened = sparse.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], width))
        self.matrix = sparse.vstack([widened, extra], format="csr")
        self.df = np.concatenate([self.df, np.zeros(width - len(self.df))])
        self.df += np.asarray(extra.sum(axis=0)).ravel()
        self.rows.extend(rows)
        self.n_live += len(rows)
        self._idf = None

    def forget(self, row_ids: Iterable[int]) -> None:
        """Drop removed rows from the document frequencies (the caller masks their scores)."""
        row_ids = list(row_ids)
        if row_ids:
            self.df -= np.asarray(self.matrix[row_ids].sum(axis=0)).ravel()
            self.n_live -= len(row_ids)
            self._idf = None

    @property
    def n_delta(self) -> int:
        return len(self.rows) - self.n_main

    def _unseen_idf(self) -> float:
        n = max(self.n_live, 1)
        return float(np.log(1 + (n + 0.5) / 0.5))

    def idf_vector(self) -> np.ndarray:
        """Lucene idf of every vocabulary term over live rows (recomputed after a write)."""
        idf = self._idf
        if idf is None:
            n = max(self.n_live, 1)
            df = np.maximum(self.df, 0)
            idf = self._idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        return idf

    def row_mass(self) -> np.ndarray:
        """Each row's idf mass (the sum of its distinct terms' idf), cached with the idf."""
        idf = self.idf_vector()
        if self._row_mass is None or self._row_mass[0] is not idf:
            self._row_mass = (idf, np.asarray(self.matrix @ idf, dtype=np.float64).ravel())
        return self._row_mass[1]

    def row_terms(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``rows``, term id) of every term of the given rows, read straight from
        the CSR arrays: scipy's fancy row indexing costs more than the arithmetic here."""
        ptr = self.matrix.indptr
        start = ptr[rows]
        lens = ptr[rows + 1] - start
        owner = np.repeat(np.arange(len(rows)), lens)
        shift = np.repeat(start - (np.cumsum(lens) - lens), lens)
        return owner, self.matrix.indices[np.arange(int(lens.sum())) + shift]

    def query_weights(self, tokens: Iterable[str]) -> tuple[np.ndarray, np.ndarray, float]:
        """The query's known term ids (sorted), their idf, and its whole idf mass (unseen
        terms count with the idf of a term no row holds).

        Remembered per token tuple with the idf they were read from: the domain stage asks
        for the same question's (and core's) weights up to four times. Read-only arrays."""
        idf = self.idf_vector()
        key = tokens if isinstance(tokens, tuple) else tuple(tokens)
        memo = self._weights
        if memo is None or memo[0] is not idf:
            memo = self._weights = (idf, {})
        found = memo[1].get(key)
        if found is None:
            qset = set(key)
            known = np.sort(
                np.fromiter((self.vocab[t] for t in qset if t in self.vocab), dtype=np.int64)
            )
            weights = idf[known]
            mass = float(weights.sum()) + self._unseen_idf() * (len(qset) - len(known))
            if len(memo[1]) >= WEIGHTS_MEMO:
                memo[1].clear()
            found = memo[1][key] = (known, weights, mass)
        return found

    def _lookup(self, known: np.ndarray, weights: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """``weights`` of the ``terms`` that are ``known``, 0 for the others: one gather from a
        vocabulary-wide array holding the weights for this call only (per thread, zeroed
        again after), instead of a binary search of thousands of terms (the gram rows of 100
        candidates hold ≈9,000)."""
        scratch = getattr(self._scratch, "table", None)
        if scratch is None or len(scratch) < len(self.vocab):
            scratch = self._scratch.table = np.zeros(len(self.vocab) + 1024)
        scratch[known] = weights
        try:
            return scratch[terms]
        finally:
            scratch[known] = 0.0

    def overlap(self, tokens: Iterable[str], rows: np.ndarray) -> np.ndarray:
        """idf-weighted Jaccard of the query's token set with each of ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        known, weights, q_mass = self.query_weights(tokens)
        inter = np.zeros(len(rows), dtype=np.float64)
        if len(known) and len(rows):
            owner, terms = self.row_terms(rows)
            inter = np.bincount(
                owner, weights=self._lookup(known, weights, terms), minlength=len(rows)
            )
        union = q_mass + self.row_mass()[rows] - inter
        return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 of ``tokens`` against every row (main and delta), float32."""
        out = np.zeros(len(self.rows), dtype=np.float32)
        ids = self._bm25.get_tokens_ids(list(tokens))
        if ids and self.n_main:
            s = self._bm25.scores
            ptr, idx, data = s["indptr"], s["indices"], s["data"]
            terms = np.asarray(ids, dtype=np.int64)
            start, end = ptr[terms], ptr[terms + 1]
            if self.n_main >= COMMON_MIN_ROWS:
                rare = end - start <= COMMON_SHARE * self.n_main
                if rare.any():
                    start, end = start[rare], end[rare]
            # the postings of every term, in query order, gathered in one indexing step
            lens = end - start
            at = np.arange(int(lens.sum())) + np.repeat(start - (np.cumsum(lens) - lens), lens)
            out[: self.n_main] = np.bincount(idx[at], weights=data[at], minlength=self.n_main)
        if self.n_delta:
            idf = self.idf_vector()
            qset = set(tokens)
            for r in range(self.n_main, len(self.rows)):
                toks = self.rows[r]
                if qset.isdisjoint(toks):
                    continue
                norm = K1 * (1 - B + B * len(toks) / self._avgdl)
                counts = Counter(t for t in toks if t in qset)
                out[r] = sum(
                    idf[self.vocab[t]] * counts[t] / (counts[t] + norm)
                    for t in tokens
                    if t in counts
                )
        return out
