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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .calibration import DOMAIN_FEATURES, Calibration, decision_features
from .encoders import get_encoder, query_vector, query_vectors, warm
from .lexical import K1, B, LexicalIndex
from .normalize import normalize
from .question import question_core, salience, slots
from .spelling import Speller
from .tokens import grams, search_words, words

# 2: entries carry their answer (the domain stage matches against it); an index saved in
# format 1 is refused, and the live index rebuilds it from the database.
FORMAT_VERSION = 2
# Rebuild the bm25s main segment when delta rows plus removed rows pass this share of it.
COMPACT_SHARE = 0.2
COMPACT_MIN = 256
MARGIN_CAP = 10.0
DOMAIN_POOL = 20  # entries per side (whole question, question core) the domain stage rescores


@dataclass(frozen=True, slots=True)
class Doc:
    """An entry to index: its question and alternative phrasings (问法)."""

    id: int
    question: str
    alternatives: tuple[str, ...] = ()
    category: str = ""
    tags: tuple[str, ...] = ()
    answer: str = ""


@dataclass(frozen=True, slots=True)
class _EntryText:
    """What the domain stage reads of an entry, computed once when it is indexed: the words
    of its answer, category and tags (``about``), the words of its phrasings (``held``), and
    the word counts and length of the entry as a whole (phrasings and ``about``) for BM25."""

    about: frozenset[str]
    held: frozenset[str]
    counts: dict[str, int]
    length: int
    slots: frozenset[str]


def _entry_text(doc: Doc) -> _EntryText:
    about = " ".join((doc.answer, doc.category, *doc.tags))
    asked = " ".join((doc.question, *doc.alternatives))
    about_words = search_words(normalize(about)) if about.strip() else ()
    whole = search_words(normalize(asked)) + about_words
    held = frozenset(w for p in _phrasings(doc) if (n := normalize(p)) for w in words(n))
    slot_names = frozenset().union(*(slots(normalize(p)) for p in _phrasings(doc)))
    return _EntryText(frozenset(about_words), held, dict(Counter(whole)), len(whole), slot_names)


def _bm25(query: set[str], entries: list[_EntryText], idf) -> np.ndarray:
    """BM25 of a query word set against a few entries' whole text (idf from the phrasing
    index, lengths relative to these entries), scaled to the best of them."""
    lengths = np.array([e.length for e in entries], dtype=np.float64)
    norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()) if len(entries) else 1.0, 1.0))
    column = {w: j for j, w in enumerate(query)}
    weights = np.fromiter(map(idf, column), dtype=np.float64, count=len(column))
    counts = np.zeros((len(entries), len(column)))
    for i, entry in enumerate(entries):
        for w in entry.counts.keys() & column.keys():  # loops over the smaller side, in C
            counts[i, column[w]] = entry.counts[w]
    out = (counts / (counts + norm[:, None])) @ weights
    top = out.max(initial=0.0)
    return out / top if top > 0 else out


def _phrasing_coverage(
    index: LexicalIndex, rows: np.ndarray, sizes: np.ndarray, z: np.ndarray, core: set[str]
) -> np.ndarray:
    """Per entry (``sizes`` consecutive ``rows`` each), the share of the idf mass of its best
    phrasing by ``z`` (the first best) that the core's words hold, vectorised over entries."""
    owner = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((np.arange(len(rows)), -z, owner))
    best = rows[order[np.concatenate([[0], np.cumsum(sizes)[:-1]])]]
    held, terms = index.row_terms(best)
    core_ids = np.sort(np.fromiter((index.vocab[w] for w in core if w in index.vocab), np.int64))
    idf = index.idf_vector()[terms]
    is_core = np.zeros(len(terms), dtype=bool)
    if len(core_ids):  # a sorted lookup: np.isin sorts both sides, 2–3× the time here
        is_core = core_ids[np.minimum(np.searchsorted(core_ids, terms), len(core_ids) - 1)] == terms
    inside = np.bincount(held, weights=np.where(is_core, idf, 0.0), minlength=len(best))
    mass = np.bincount(held, weights=idf, minlength=len(best))
    return inside / np.where(mass > 0, mass, 1.0)


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


def domain_decision(
    domain, feats: np.ndarray, score: np.ndarray, order, known: float, salient: float
) -> float:
    """The log-odds that the top entry answers the question (``calibration.Domain``)."""
    x = decision_features(feats, score, order, known, salient)
    return float(x @ np.asarray(domain.answer_coef) + domain.answer_intercept)


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
    entry_words: dict[int, _EntryText]


class Engine:
    """Chinese FAQ retrieval with a calibrated answer confidence (see module docstring)."""

    def __init__(self, calibration: Calibration | None = None) -> None:
        self.calibration = calibration or Calibration.load()
        self._write_lock = threading.Lock()
        self._snap = self._assemble({}, [], [], np.zeros((0, 0), dtype=np.float32))
        self._spelling: tuple[_Snapshot, Speller] | None = None

    # ---- properties -------------------------------------------------------------------

    @property
    def threshold(self) -> float:
        domain = self.calibration.domain
        return domain.threshold if domain is not None else self.calibration.threshold

    @property
    def lower(self) -> float:
        """Below this answer probability no candidate is worth offering (the bot hands off);
        between it and ``threshold`` the bot offers 您是不是想问. Without a domain decision
        every candidate is offered."""
        domain = self.calibration.domain
        return domain.lower if domain is not None else 0.0

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
            entry_words={d: _entry_text(doc) for d, doc in docs.items()},
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
        warm(self.calibration.encoder, norm)
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
            snap.entry_words.update({d: _entry_text(doc) for d, doc in by_id.items()})
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
            entry_words=dict(old.entry_words),
            norm=list(old.norm),
            word_index=old.word_index.copy(),
            gram_index=old.gram_index.copy(),
        )
        for doc_id in {int(i) for i in ids}:
            rows = snap.doc_rows.pop(doc_id, [])
            snap.docs.pop(doc_id, None)
            snap.entry_words.pop(doc_id, None)
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
                [d.id, d.question, list(d.alternatives), d.category, list(d.tags), d.answer]
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
            int(i): Doc(int(i), q, tuple(alts), cat, tuple(tags), answer)
            for i, q, alts, cat, tags, answer in meta["docs"]
        }
        emb = np.load(path / "embeddings.npy", allow_pickle=False)
        if emb.shape[0] != len(meta["rows"]):
            raise ValueError("embeddings do not match the index rows; rebuild it")
        row_doc = [int(r[0]) for r in meta["rows"]]
        norm = [r[1] for r in meta["rows"]]
        engine._snap = cls._assemble(docs, row_doc, norm, emb)
        warm(engine.calibration.encoder, norm)
        return engine

    # ---- querying ---------------------------------------------------------------------

    def _candidate_rows(
        self, snap: _Snapshot, text: str, qvec: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Live rows with the best combined word + gram BM25 (each scaled to its maximum).

        A question sharing no term with any row (rare: every character is a gram) falls back
        to the nearest rows by embedding, whose query vector is returned for reuse.
        """
        lex = np.zeros(len(snap.norm), dtype=np.float32)
        dead = None if snap.alive.all() else ~snap.alive  # usually none: skip the masking
        for index, toks in ((snap.word_index, words(text)), (snap.gram_index, grams(text))):
            s = index.scores(toks)
            if dead is not None:
                s[dead] = 0.0
            top = float(s.max(initial=0.0))
            if top > 0:
                lex += s / top
        n = self.calibration.candidates
        hits = np.flatnonzero(lex > 0)
        if len(hits) > n:
            return hits[np.argpartition(-lex[hits], n - 1)[:n]], qvec
        if len(hits):
            return hits, qvec
        if qvec is None:
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

    # ---- the domain stage (a curated base: see ``calibration.Domain``) ----------------

    def _top_entries(
        self, snap: _Snapshot, text: str, qvec: np.ndarray
    ) -> tuple[list[int], np.ndarray, np.ndarray]:
        """The ``DOMAIN_POOL`` entries whose best candidate phrasing ranks highest, and the
        candidate rows with their features (for ``_features_reusing``)."""
        rows, _ = self._candidate_rows(snap, text, qvec)
        x = self._features(snap, text, rows, qvec)
        z = self._rank_logits(x)
        owner = snap.row_doc[rows]
        order = np.argsort(-z, kind="stable")
        _, first = np.unique(owner[order], return_index=True)  # each entry's best phrasing
        return owner[order[np.sort(first)[:DOMAIN_POOL]]].tolist(), rows, x

    def _features_reusing(
        self,
        snap: _Snapshot,
        text: str,
        rows: np.ndarray,
        qvec: np.ndarray,
        done: tuple[np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """``_features`` of ``rows``, copying those of the rows in ``done`` (rows, features of
        the same text) and computing only the others: an entry's phrasings were mostly
        candidates already, and a row's features do not depend on the other rows."""
        known_rows, known_x = done
        if not len(known_rows):
            return self._features(snap, text, rows, qvec)
        order = np.argsort(known_rows)
        at = order[np.minimum(np.searchsorted(known_rows, rows, sorter=order), len(order) - 1)]
        found = known_rows[at] == rows
        x = np.empty((len(rows), known_x.shape[1]))
        x[found] = known_x[at[found]]
        if not found.all():
            x[~found] = self._features(snap, text, rows[~found], qvec)
        return x

    def _speller(self, snap: _Snapshot) -> Speller:
        """The typo folder over the live phrasings of ``snap`` (built on its first query)."""
        cached = self._spelling
        if cached is None or cached[0] is not snap:
            live = np.flatnonzero(snap.alive).tolist()
            rows = snap.word_index.rows
            cached = (snap, Speller([snap.norm[r] for r in live], [rows[r] for r in live]))
            self._spelling = cached
        return cached[1]

    def entry_features(self, query: str) -> tuple[list[int], np.ndarray, float]:
        """Candidate entries of ``query`` and their features (``calibration.DOMAIN_FEATURES``),
        and the share of the question core's words the base knows at all.

        The question is scored twice, whole and reduced to its core (``question_core``: the
        clauses that ask, without the story and the amounts; both encoded in one call); each
        entry keeps its best phrasing on each side; coverage is how much of the core's word
        weight (idf) the entry's phrasings hold, and how much of its best phrasing the core
        holds. Per-entry word sets and counts were computed when the entry was indexed.
        """
        snap = self._snap
        text = normalize(query or "")
        if not text or not snap.docs:
            return [], np.zeros((0, len(DOMAIN_FEATURES))), 0.0
        query = self._speller(snap).fold(query)  # homophone slips: 预被期 → 预备期
        text = normalize(query)
        core = question_core(query) or text
        q_whole, q_core = (
            query_vectors(self.calibration.encoder, [text, core])
            if core != text
            else [query_vector(self.calibration.encoder, text)] * 2
        )
        ids, *done_whole = self._top_entries(snap, text, q_whole)
        done_core = done_whole
        if core != text:
            seen = set(ids)
            core_ids, *done_core = self._top_entries(snap, core, q_core)
            ids += [d for d in core_ids if d not in seen]
        sizes = np.fromiter((len(snap.doc_rows[d]) for d in ids), dtype=np.int64, count=len(ids))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rows = np.fromiter(
            (r for d in ids for r in snap.doc_rows[d]), dtype=np.int64, count=int(sizes.sum())
        )
        x_whole = self._features_reusing(snap, text, rows, q_whole, done_whole)
        x_core = (
            x_whole if core == text else self._features_reusing(snap, core, rows, q_core, done_core)
        )
        z_whole, z_core = self._rank_logits(x_whole), self._rank_logits(x_core)
        m_whole, m_core = self._match_logits(x_whole), self._match_logits(x_core)
        windex = snap.word_index
        idf_row = windex.idf_vector()
        unseen = windex._unseen_idf()
        vocab = windex.vocab

        def idf(w: str) -> float:
            return float(idf_row[vocab[w]]) if w in vocab else unseen

        core_words = set(search_words(core))
        whole_words = set(search_words(text))
        weight = {w: idf(w) for w in core_words}
        total = sum(weight.values()) or 1.0
        known = sum(v for w, v in weight.items() if w in vocab and windex.df[vocab[w]] > 0)
        entries = [snap.entry_words[d] for d in ids]
        feats = np.zeros((len(ids), len(DOMAIN_FEATURES)))
        for col, values in enumerate((z_whole, z_core, m_whole, m_core)):
            feats[:, col] = np.maximum.reduceat(values, starts)
        for i, entry in enumerate(entries):
            feats[i, 4] = sum(weight[w] for w in core_words & entry.held) / total
            feats[i, 6] = sum(weight[w] for w in core_words & entry.about) / total
        feats[:, 5] = _phrasing_coverage(windex, rows, sizes, z_core, core_words)
        asked = slots(text)
        for i, entry in enumerate(entries):
            if asked:
                feats[i, 9] = len(asked & entry.slots) / len(asked)
            if entry.slots:
                feats[i, 10] = len(entry.slots - asked) / len(entry.slots)
        # a sibling names more of the question's slots than this entry (the general entry
        # beside its special case: 退休党员党费 when the story says 返聘)
        feats[:, 11] = feats[:, 9] < feats[:, 9].max(initial=0.0)
        feats[:, 7] = _bm25(whole_words, entries, idf)
        feats[:, 8] = _bm25(core_words, entries, idf)
        return ids, feats, known / total

    def salience(self, query: str) -> float:
        """``question.salience`` of ``query``'s words, idf from the live phrasings."""
        windex = self._snap.word_index
        idf_row, unseen, vocab = windex.idf_vector(), windex._unseen_idf(), windex.vocab
        text = normalize(query or "")
        return salience(
            set(search_words(text)), lambda w: float(idf_row[vocab[w]]) if w in vocab else unseen
        )

    def _ask_domain(self, query: str, k: int) -> Answer:
        domain = self.calibration.domain
        ids, feats, known = self.entry_features(query)
        if not ids:
            return Answer(best=None, confidence=0.0, confident=False, candidates=[])
        score = feats @ np.asarray(domain.rank_coef) + domain.rank_intercept
        order = np.argsort(-score, kind="stable")
        hits = [
            Hit(
                id=ids[i],
                question=self._snap.docs[ids[i]].question,
                score=float(score[i]),
                confidence=_sigmoid(float(max(feats[i, 2], feats[i, 3]))),
            )
            for i in order[: max(k, 1)]
        ]
        salient = self.salience(query)
        conf = _sigmoid(float(domain_decision(domain, feats, score, order, known, salient)))
        return Answer(
            best=hits[0], confidence=conf, confident=conf >= domain.threshold, candidates=hits[:k]
        )

    def ask(self, query: str, k: int = 5) -> Answer:
        """Best entries for ``query`` (≤ k, best first, one per entry) and the confidence."""
        if self.calibration.domain is not None:
            return self._ask_domain(query, k)
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
