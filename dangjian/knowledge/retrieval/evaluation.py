"""The LCQMC FAQ-retrieval protocol (``/work/shared/data/README.md``), run on a live ``Engine``.

Every pair with label 1 is a query (sentence1) whose correct answer is its sentence2; the
candidate pool is every distinct sentence2 in the file; R@1, R@5 and MRR@10 are averaged over
all queries. For the answer/hand-off decision every pair is scored with ``Engine.match``
(the probability that sentence2 asks the same as sentence1): accuracy at the shipped
``pair_threshold`` and the ROC AUC. The engine evaluated is the one that serves ``ask``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from .calibration import Calibration
from .engine import Doc, Engine

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PairSet:
    """Labelled question pairs and the derived retrieval task."""

    pairs: list[tuple[str, str, int]]
    pool: list[str]
    queries: list[tuple[str, int]]  # (sentence1, index of its sentence2 in pool)


def read_pairs(path: Path) -> PairSet:
    """Read ``sentence1<TAB>sentence2<TAB>label`` lines (blank or malformed lines skipped)."""
    pairs: list[tuple[str, str, int]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3 and row[2].strip() in ("0", "1"):
                pairs.append((row[0], row[1], int(row[2].strip())))
    pool = sorted({s2 for _, s2, _ in pairs})
    index = {s: i for i, s in enumerate(pool)}
    queries = [(s1, index[s2]) for s1, s2, label in pairs if label == 1]
    return PairSet(pairs=pairs, pool=pool, queries=queries)


def build_pool_engine(data: PairSet, engine: Engine | None = None) -> Engine:
    """An engine whose entries are the pool sentences (entry id = pool index).

    The general matcher, without the domain stage: that stage is fitted on the curated
    party base (answers, hotline questions) and means nothing for a pool of web questions.
    """
    if engine is None:  # an empty Engine is falsy (len 0): never `engine or ...`
        engine = Engine(replace(Calibration.load(), domain=None))
    engine.build(Doc(id=i, question=s) for i, s in enumerate(data.pool))
    return engine


def evaluate(data: PairSet, engine: Engine, progress: Progress | None = None) -> dict:
    """The protocol's figures, in percent (AUC as a 0–1 fraction)."""
    say = progress or (lambda _msg: None)
    r1 = r5 = mrr = 0.0
    for n, (query, gold) in enumerate(data.queries, 1):
        ids = [h.id for h in engine.ask(query, k=10).candidates]
        if ids[:1] == [gold]:
            r1 += 1
        if gold in ids[:5]:
            r5 += 1
        if gold in ids:
            mrr += 1 / (ids.index(gold) + 1)
        if n % 500 == 0:
            say(f"retrieval {n}/{len(data.queries)}")
    index = {s: i for i, s in enumerate(data.pool)}
    scores = []
    for n, (s1, s2, _label) in enumerate(data.pairs, 1):
        scores.append(engine.match(s1, index[s2]))
        if n % 1000 == 0:
            say(f"pairs {n}/{len(data.pairs)}")
    labels = np.array([label for *_, label in data.pairs])
    scores_arr = np.array(scores)
    predicted = scores_arr >= engine.calibration.pair_threshold
    nq = max(len(data.queries), 1)
    return {
        "r1": round(100 * r1 / nq, 2),
        "r5": round(100 * r5 / nq, 2),
        "mrr10": round(100 * mrr / nq, 2),
        "pair_acc": round(100 * float((predicted == labels.astype(bool)).mean()), 2)
        if len(labels)
        else 0.0,
        "auc": round(float(roc_auc_score(labels, scores_arr)), 4)
        if len(set(labels.tolist())) == 2
        else None,
        "n_queries": len(data.queries),
    }
