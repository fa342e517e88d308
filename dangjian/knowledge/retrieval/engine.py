"""The retrieval engine behind the 12371 bot: lexical candidates, a fitted pair model, confidence.

A query is normalised and tokenised; BM25 over jieba words and over character n-grams (bm25s)
picks the candidate phrasings; each candidate gets the pair-model log-odds ``z`` from the
sentence-embedding cosine and idf-weighted overlaps (see ``calibration``); entries are ranked
by their best phrasing; the answer confidence is the calibrated probability that the top entry
answers the question. Reads see an immutable snapshot, so gunicorn threads can ask while an
editor publishes: a write builds a new snapshot and swaps it in under a lock.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .calibration import Calibration
from .encoders import get_encoder, query_vector
from .lexical import LexicalIndex
from .normalize import normalize
from .tokens import grams, words

FORMAT_VERSION = 1
# Rebuild the bm25s main segment when delta rows plus removed rows pass this share of it.
COMPACT_SHARE = 0.2
COMPACT_MIN = 256
MARGIN_CAP = 10.0


@dataclass(frozen=True, slots=True)
class Doc:
    """An entry to index: its question and alternative phrasings (问法)."""

    id: int
    question: str
    alternatives: tuple[str, ...] = ()
    category: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked entry: ``score`` is the ranking log-odds, ``confidence`` the probability
    that it asks the same thing as the question (the match head)."""

    id: int
    question: str
    score: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The best entry (or none), the calibrated confidence that it answers, and candidates."""

    best: Hit | None
    confidence: float
    confident: bool
    candidates: list[Hit] = field(default_factory=list)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _sigmoid_array(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def _phrasings(doc: Doc) -> list[str]:
    """Distinct non-empty phrasings of an entry, question first."""
    seen: dict[str, None] = {}
    for text in (doc.question, *doc.alternatives):
        if text and text.strip():
            seen.setdefault(text.strip(), None)
    return list(seen)


@dataclass
class _Snapshot:
    """Everything a query reads; replaced as a whole by writes."""

    docs: dict[int, Doc]
    doc_rows: dict[int, list[int]]
    row_doc: np.ndarray
    alive: np.ndarray
    norm: list[str]
    word_index: LexicalIndex
    gram_index: LexicalIndex
    lengths: np.ndarray
    emb: np.ndarray


class Engine:
    """Chinese FAQ retrieval with a calibrated answer confidence (see module docstring)."""

    def __init__(self, calibration: Calibration | None = None) -> None:
        self.calibration = calibration or Calibration.load()
        self._write_lock = threading.Lock()
        self._snap = self._assemble({}, [], [], np.zeros((0, 0), dtype=np.float32))

    # ---- properties -------------------------------------------------------------------

    @property
    def threshold(self) -> float:
        return self.calibration.threshold

    def __len__(self) -> int:
        return len(self._snap.docs)

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._snap.docs

    # ---- building ---------------------------------------------------------------------

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return get_encoder(self.calibration.encoder).encode(texts)

    @staticmethod
    def _assemble(
        docs: dict[int, Doc], row_doc: list[int], norm: list[str], emb: np.ndarray
    ) -> _Snapshot:
        """A fresh snapshot with main segments over exactly these rows (all alive)."""
        word_rows = [words(t) for t in norm]
        gram_rows = [grams(t) for t in norm]
        doc_rows: dict[int, list[int]] = {}
        for r, d in enumerate(row_doc):
            doc_rows.setdefault(d, []).append(r)
        return _Snapshot(
            docs=docs,
            doc_rows=doc_rows,
            row_doc=np.asarray(row_doc, dtype=np.int64),
            alive=np.ones(len(row_doc), dtype=bool),
            norm=list(norm),
            word_index=LexicalIndex(word_rows),
            gram_index=LexicalIndex(gram_rows),
            lengths=np.fromiter(map(len, norm), dtype=np.float64, count=len(norm)),
            emb=emb,
        )

    @staticmethod
    def _rows_of(docs: Iterable[Doc]) -> tuple[dict[int, Doc], list[int], list[str]]:
        by_id: dict[int, Doc] = {}
        for doc in docs:
            by_id[int(doc.id)] = doc
        row_doc: list[int] = []
        norm: list[str] = []
        for doc in by_id.values():
            for text in _phrasings(doc):
                n = normalize(text)
                if n:
                    row_doc.append(doc.id)
                    norm.append(n)
        return by_id, row_doc, norm

    def build(self, docs: Iterable[Doc]) -> None:
        """Replace the whole index with ``docs`` (a later duplicate id wins)."""
        by_id, row_doc, norm = self._rows_of(docs)
        emb = self._encode(norm) if norm else np.zeros((0, 0), dtype=np.float32)
        snap = self._assemble(by_id, row_doc, norm, emb)
        with self._write_lock:
            self._snap = snap

    def upsert(self, docs: Iterable[Doc]) -> None:
        """Add or replace entries without rebuilding: new rows go to the delta segment."""
        by_id, row_doc, norm = self._rows_of(docs)
        if not by_id:
            return
        emb = self._encode(norm) if norm else None
        with self._write_lock:
            old = self._snap
            snap = self._without(old, by_id.keys())
            snap.docs.update(by_id)
            start = len(snap.norm)
            snap.norm.extend(norm)
            snap.row_doc = np.concatenate([snap.row_doc, np.asarray(row_doc, dtype=np.int64)])
            snap.alive = np.concatenate([snap.alive, np.ones(len(row_doc), dtype=bool)])
            if emb is not None:
                snap.emb = emb if snap.emb.size == 0 else np.vstack([snap.emb, emb])
            word_rows = [words(t) for t in norm]
            gram_rows = [grams(t) for t in norm]
            snap.word_index.add(word_rows)
            snap.gram_index.add(gram_rows)
            snap.lengths = np.concatenate([snap.lengths, np.fromiter(map(len, norm), float)])
            for i, d in enumerate(row_doc):
                snap.doc_rows.setdefault(d, []).append(start + i)
            self._snap = self._maybe_compact(snap)

    def remove(self, ids: Iterable[int]) -> None:
        """Drop entries by id (unknown ids are ignored)."""
        with self._write_lock:
            self._snap = self._maybe_compact(self._without(self._snap, ids))

    @staticmethod
    def _without(old: _Snapshot, ids: Iterable[int]) -> _Snapshot:
        """A copy of ``old`` with the rows of ``ids`` masked and their counts forgotten."""
        snap = replace(
            old,
            docs=dict(old.docs),
            doc_rows={k: list(v) for k, v in old.doc_rows.items()},
            alive=old.alive.copy(),
            norm=list(old.norm),
            word_index=old.word_index.copy(),
            gram_index=old.gram_index.copy(),
        )
        for doc_id in {int(i) for i in ids}:
            rows = snap.doc_rows.pop(doc_id, [])
            snap.docs.pop(doc_id, None)
            snap.alive[rows] = False
            snap.word_index.forget(rows)
            snap.gram_index.forget(rows)
        return snap

    @staticmethod
    def _maybe_compact(snap: _Snapshot) -> _Snapshot:
        """Fold the delta and drop dead rows once they are a large share of the index."""
        dead = int((~snap.alive).sum())
        churn = snap.word_index.n_delta + dead
        if churn <= max(COMPACT_MIN, COMPACT_SHARE * snap.word_index.n_main):
            return snap
        keep = np.flatnonzero(snap.alive)
        emb = snap.emb[keep] if snap.emb.size else snap.emb
        return Engine._assemble(
            snap.docs, [int(snap.row_doc[r]) for r in keep], [snap.norm[r] for r in keep], emb
        )

    # ---- persistence ------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the index to directory ``path`` (entries, live rows and their embeddings)."""
        snap = self._snap
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        keep = np.flatnonzero(snap.alive)
        meta = {
            "format": FORMAT_VERSION,
            "encoder": self.calibration.encoder,
            "docs": [
                [d.id, d.question, list(d.alternatives), d.category, list(d.tags)]
                for d in snap.docs.values()
            ],
            "rows": [[int(snap.row_doc[r]), snap.norm[r]] for r in keep],
        }
        tmp = path / "index.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        emb = snap.emb[keep] if snap.emb.size else np.zeros((0, 0), dtype=np.float32)
        with open(path / "embeddings.npy.tmp", "wb") as fh:
            np.save(fh, emb)
        (path / "embeddings.npy.tmp").replace(path / "embeddings.npy")
        tmp.replace(path / "index.json")

    @classmethod
    def load(cls, path: Path, calibration: Calibration | None = None) -> Engine:
        """Read an index written by ``save`` (no re-embedding; lexical segments are rebuilt)."""
        path = Path(path)
        meta = json.loads((path / "index.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported index format {meta.get('format')!r}")
        engine = cls(calibration)
        if meta["encoder"] != engine.calibration.encoder:
            raise ValueError("index was built with another encoder; rebuild it")
        docs = {
            int(i): Doc(int(i), q, tuple(alts), cat, tuple(tags))
            for i, q, alts, cat, tags in meta["docs"]
        }
        emb = np.load(path / "embeddings.npy", allow_pickle=False)
        if emb.shape[0] != len(meta["rows"]):
            raise ValueError("embeddings do not match the index rows; rebuild it")
        row_doc = [int(r[0]) for r in meta["rows"]]
        norm = [r[1] for r in meta["rows"]]
        engine._snap = cls._assemble(docs, row_doc, norm, emb)
        return engine

    # ---- querying ---------------------------------------------------------------------

    def _candidate_rows(self, snap: _Snapshot, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Live rows with the best combined word + gram BM25 (each scaled to its maximum).

        A question sharing no term with any row (rare: every character is a gram) falls back
        to the nearest rows by embedding, whose query vector is returned for reuse.
        """
        lex = np.zeros(len(snap.norm), dtype=np.float32)
        for index, toks in ((snap.word_index, words(text)), (snap.gram_index, grams(text))):
            s = index.scores(toks)
            s[~snap.alive] = 0.0
            top = float(s.max(initial=0.0))
            if top > 0:
                lex += s / top
        n = self.calibration.candidates
        hits = np.flatnonzero(lex > 0)
        if len(hits) > n:
            return hits[np.argpartition(-lex[hits], n - 1)[:n]], None
        if len(hits):
            return hits, None
        qvec = query_vector(self.calibration.encoder, text)
        live = np.flatnonzero(snap.alive)
        cos = snap.emb[live] @ qvec
        if len(live) > n:
            live = live[np.argpartition(-cos, n - 1)[:n]]
        return live, qvec

    def _features(
        self, snap: _Snapshot, text: str, rows: np.ndarray, qvec: np.ndarray | None = None
    ) -> np.ndarray:
        """Pair features (see ``calibration.FEATURES``) of normalised ``text`` vs ``rows``."""
        if qvec is None:
            qvec = query_vector(self.calibration.encoder, text)
        cos = snap.emb[rows] @ qvec if len(rows) else np.zeros(0, dtype=np.float32)
        word = snap.word_index.overlap(words(text), rows)
        gram = snap.gram_index.overlap(grams(text), rows)
        lengths = snap.lengths[rows]
        qlen = len(text)
        ratio = np.minimum(lengths, qlen) / np.maximum(np.maximum(lengths, qlen), 1)
        return np.stack([cos, word, gram, ratio, cos * gram], axis=1).astype(np.float64)

    def _rank_logits(self, x: np.ndarray) -> np.ndarray:
        cal = self.calibration
        return x @ np.asarray(cal.rank_coef) + cal.rank_intercept

    def _match_logits(self, x: np.ndarray) -> np.ndarray:
        cal = self.calibration
        return x @ np.asarray(cal.pair_coef) + cal.pair_intercept

    def _answer_confidence(self, z_best: float, z_next: float | None) -> float:
        cal = self.calibration
        margin = MARGIN_CAP if z_next is None else min(z_best - z_next, MARGIN_CAP)
        a, m = cal.answer_coef
        return _sigmoid(a * z_best + m * margin + cal.answer_intercept)

    def ask(self, query: str, k: int = 5) -> Answer:
        """Best entries for ``query`` (≤ k, best first, one per entry) and the confidence."""
        snap = self._snap
        text = normalize(query or "")
        if not text or not snap.docs:
            return Answer(best=None, confidence=0.0, confident=False, candidates=[])
        rows, qvec = self._candidate_rows(snap, text)
        x = self._features(snap, text, rows, qvec)
        z = self._rank_logits(x)
        best: dict[int, int] = {}  # entry → index of its best phrasing among candidates
        for i, r in enumerate(rows.tolist()):
            d = int(snap.row_doc[r])
            if d not in best or z[i] > z[best[d]]:
                best[d] = i
        ranked = sorted(best.items(), key=lambda kv: -z[kv[1]])
        top = ranked[: max(k, 1)]
        match = _sigmoid_array(self._match_logits(x[[i for _, i in top]])) if top else []
        hits = [
            Hit(id=d, question=snap.docs[d].question, score=float(z[i]), confidence=float(p))
            for (d, i), p in zip(top, match, strict=True)
        ]
        if not hits:
            return Answer(best=None, confidence=0.0, confident=False, candidates=[])
        z_next = float(z[ranked[1][1]]) if len(ranked) > 1 else None
        conf = self._answer_confidence(float(z[ranked[0][1]]), z_next)
        return Answer(
            best=hits[0], confidence=conf, confident=conf >= self.threshold, candidates=hits[:k]
        )

    def match(self, query: str, doc_id: int) -> float:
        """Probability that entry ``doc_id`` asks the same as ``query`` (its best phrasing)."""
        snap = self._snap
        text = normalize(query or "")
        rows = np.asarray(snap.doc_rows.get(int(doc_id), []), dtype=np.int64)
        if not text or len(rows) == 0:
            return 0.0
        return _sigmoid(float(self._match_logits(self._features(snap, text, rows)).max()))
