"""A second ranking stage that reads the question against its top entries side by side: CV.

    .venv/bin/python bench/hotline_pairwise.py [--use reorder|margin1|agreement|none]
        [--top 3] [--l2 0.01] [--oof] [--seeds 20261206 1 2 3]

The first stage (``domain_fit``'s listwise linear reranker over ``DOMAIN_FEATURES``) scores
each entry against the question alone; its misses are mostly siblings (返聘的退休党员 →
退休党员党费, 合格党员的标准 → 不合格的表现). This stage compares the first stage's ``--top``
entries with each other: the share of the question's character pairs (idf-weighted) held by
an entry's standard question, by its phrasings, by its answer, by its phrasings and no other
compared entry's, by its answer and no other's; the share of its closest phrasing's own
pairs (those no compared entry says) the question does not hold; its slots of the question
minus the most a sibling names, and its slots the question lacks minus the fewest a sibling
has. A linear correction of the first-stage score over those (fitted listwise on the training
folds' questions whose right entry is among the compared) reorders them.

``--use``: ``reorder`` — the decision reads the corrected scores; ``margin1`` — the corrected
order, the first stage's scores (a swap gives a negative margin); ``agreement`` — the first
stage's order, plus the corrected softmax share of its top entry as a decision feature;
``none`` — the shipped pipeline. ``--oof`` fits the correction on first-stage lists the first
stage did not see (3 inner folds). Measured as ``hotline_fit``'s bot (computation first): each
outer fold fits both stages, the decision and its threshold on the other folds only, the
decision on inner-fold lists as ``domain_fit.fit`` does. Also printed: right and out-of-scope
handed off when one threshold over all seeds' held-out margins (log-odds minus the fold's
threshold) lets 1.0 / 1.5 / 2.0 % of in-base questions be answered wrongly, a comparison less
noisy than the fitted thresholds. Nothing here is shipped (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hotline_fit import EVAL, STARTER, computed  # noqa: E402

from dangjian.knowledge.retrieval import domain_fit  # noqa: E402
from dangjian.knowledge.retrieval.calibration import decision_features  # noqa: E402
from dangjian.knowledge.retrieval.engine import _phrasings  # noqa: E402
from dangjian.knowledge.retrieval.normalize import normalize  # noqa: E402
from dangjian.knowledge.retrieval.question import slots  # noqa: E402

PAIR_FEATURES = (
    "q_title",
    "q_phrasings",
    "q_answer",
    "q_only_phrasings",
    "q_only_answer",
    "own_unsaid",
    "slot_lead",
    "slot_surplus",
)


@dataclass(frozen=True, slots=True)
class EntryPairs:
    """An entry's character pairs: standard question, each phrasing, their union, answer."""

    title: frozenset[str]
    phrasings: tuple[frozenset[str], ...]
    union: frozenset[str]
    answer: frozenset[str]
    slots: frozenset[str]


def char_pairs(text: str) -> frozenset[str]:
    """Character bigrams within each space-separated chunk of a normalised text."""
    return frozenset(c[i : i + 2] for c in text.split() for i in range(len(c) - 1))


def entry_pairs(phrasings: Sequence[str], answer: str, names: frozenset[str]) -> EntryPairs:
    each = tuple(char_pairs(p) for p in phrasings)
    title = each[0] if each else frozenset()
    return EntryPairs(title, each, frozenset().union(*each), char_pairs(answer), names)


def pair_features(
    question: str, asked: frozenset[str], entries: Sequence[EntryPairs], idf: Callable
) -> np.ndarray:
    """``PAIR_FEATURES`` of each compared entry for the normalised ``question``."""
    q = char_pairs(question)
    weight = {g: idf(g) for g in q}
    total = sum(weight.values()) or 1.0

    def share(held: frozenset[str]) -> float:
        return sum(weight[g] for g in q & held) / total

    lead = [len(asked & e.slots) for e in entries]
    surplus = [len(e.slots - asked) for e in entries]
    out = np.zeros((len(entries), len(PAIR_FEATURES)))
    for i, e in enumerate(entries):
        others = [o for j, o in enumerate(entries) if j != i]
        other_phr = frozenset().union(*(o.union for o in others))
        other_ans = frozenset().union(*(o.answer for o in others))
        unsaid = 1.0
        for p in e.phrasings:
            own = p - other_phr
            mass = sum(idf(g) for g in own)
            unsaid = min(unsaid, sum(idf(g) for g in own - q) / mass if mass > 0 else 0.0)
        out[i] = (
            share(e.title),
            share(e.union),
            share(e.answer),
            share(e.union - other_phr),
            share(e.answer - other_ans),
            unsaid,
            lead[i] - max(lead[j] for j in range(len(entries)) if j != i),
            surplus[i] - min(surplus[j] for j in range(len(entries)) if j != i),
        )
    return out


class Experiment:
    def __init__(self, args) -> None:
        self.args = args
        docs = domain_fit.starter_docs(STARTER)
        questions = domain_fit.read_eval(EVAL, {d.question: d.id for d in docs})
        engine = domain_fit.base_engine(docs)
        samples = domain_fit.collect(engine, questions)
        snap = engine._snap
        grams = snap.gram_index
        gidf, unseen, vocab = grams.idf_vector(), grams._unseen_idf(), grams.vocab
        self.idf = lambda g: float(gidf[vocab[g]]) if g in vocab else unseen
        self.entries = {
            d.id: entry_pairs(
                [normalize(p) for p in _phrasings(d)],
                normalize(d.answer),
                snap.entry_words[d.id].slots,
            )
            for d in docs
        }
        speller = engine._speller(snap)
        self.text = {id(s): normalize(speller.fold(s.question.text)) for s in samples}
        taken = [s for s in samples if computed(s.question.text)]
        self.rest = [s for s in samples if not computed(s.question.text)]
        self.taken_in = sum(s.question.entry is not None for s in taken)
        self.taken_out = len(taken) - self.taken_in
        self.cache: dict = {}

    def pairs(self, s, ids: list[int]) -> np.ndarray:
        key = (id(s), tuple(ids))
        if key not in self.cache:
            text = self.text[id(s)]
            self.cache[key] = pair_features(
                text, slots(text), [self.entries[i] for i in ids], self.idf
            )
        return self.cache[key]

    def top(self, s, rank) -> np.ndarray:
        return np.argsort(-(s.feats @ rank[0] + rank[1]), kind="stable")[: self.args.top]

    def fit_pairs(self, samples, ranks) -> tuple[np.ndarray, float]:
        lists = []
        for s, rank in zip(samples, ranks, strict=True):
            if s.question.entry is None:
                continue
            top = self.top(s, rank)
            ids = [s.ids[i] for i in top]
            if len(ids) > 1 and s.question.entry in ids:
                first = s.feats[top] @ rank[0] + rank[1]
                lists.append((first, self.pairs(s, ids), ids.index(s.question.entry)))
        stacked = np.vstack([g for _, g, _ in lists])
        mu, sd = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
        lists = [(a, (g - mu) / sd, t) for a, g, t in lists]
        l2 = self.args.l2

        def loss(w):
            total, grad = 0.0, np.zeros_like(w)
            for a, g, t in lists:
                z = a + g @ w
                p = np.exp(z - z.max())
                p /= p.sum()
                total -= np.log(p[t] + 1e-12)
                grad += p @ g - g[t]
            return total / len(lists) + l2 * w @ w, grad / len(lists) + 2 * l2 * w

        w = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
        return w / sd, -float((w * mu / sd).sum())

    def stages(self, samples):
        rank = domain_fit._fit_rank(samples)
        if self.args.use == "none":
            return rank, None
        ranks = [rank] * len(samples)
        if self.args.oof:
            for train, test in domain_fit._splits(samples, 3, domain_fit.SEED + 2):
                inner = domain_fit._fit_rank([samples[i] for i in train])
                for i in test:
                    ranks[i] = inner
        return rank, self.fit_pairs(samples, ranks)

    def rows(self, samples, rank, pairs):
        width = len(domain_fit.DECISION_FEATURES) + (self.args.use == "agreement")
        out, tops = [], []
        for s in samples:
            if not len(s.ids):
                out.append(np.zeros(width))
                tops.append(None)
                continue
            first = s.feats @ rank[0] + rank[1]
            score = first.copy()
            top = self.top(s, rank)
            if pairs is not None and len(top) > 1:
                score[top] += self.pairs(s, [s.ids[i] for i in top]) @ pairs[0] + pairs[1]
                rest = np.setdiff1d(np.arange(len(score)), top)
                score[rest] = np.minimum(score[rest], score[top].min() - 1e-6)
            order = np.argsort(-score, kind="stable")
            if self.args.use == "agreement":
                first_order = np.argsort(-first, kind="stable")
                z = score[top] - score[top].max()
                share = float(np.exp(z[0]) / np.exp(z).sum())
                row = decision_features(s.feats, first, first_order, s.known, s.salience)
                out.append(np.concatenate([row, [share]]))
                tops.append(s.ids[first_order[0]])
                continue
            shown = first if self.args.use == "margin1" else score
            out.append(decision_features(s.feats, shown, order, s.known, s.salience))
            tops.append(s.ids[order[0]])
        return np.vstack(out), tops

    def fit(self, samples):
        rows, tops, order = [], [], []
        for train, test in domain_fit._splits(samples, domain_fit.INNER_FOLDS, domain_fit.SEED + 1):
            x, t = self.rows([samples[i] for i in test], *self.stages([samples[i] for i in train]))
            rows.append(x)
            tops.extend(t)
            order.extend(test.tolist())
        x = np.vstack(rows)
        held = [samples[i] for i in order]
        y = np.array(
            [t is not None and t == s.question.entry for s, t in zip(held, tops, strict=True)]
        )
        wrong = np.array([s.question.entry is not None for s in held]) & ~y
        mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
        decide = LogisticRegression(C=domain_fit.DECISION_C, max_iter=5000)
        weight = np.where(wrong, domain_fit.WRONG_WEIGHT, 1.0)
        decide.fit((x - mu) / sd, y.astype(int), sample_weight=weight)
        threshold = domain_fit._threshold(decide.predict_proba((x - mu) / sd)[:, 1], held, tops)
        return self.stages(samples), (decide, mu, sd), threshold

    def run(self) -> None:
        per_seed, margins = [], []
        for seed in self.args.seeds:
            c = dict(inside=0, top1=0, right=0, wrong=0, out=0, handed=0)
            for train, test in domain_fit._splits(self.rest, domain_fit.FOLDS, seed):
                stages, (decide, mu, sd), threshold = self.fit([self.rest[i] for i in train])
                held = [self.rest[i] for i in test]
                x, tops = self.rows(held, *stages)
                p = decide.predict_proba((x - mu) / sd)[:, 1]
                cut = np.log(threshold / (1 - threshold))
                for s, t, pp in zip(held, tops, p, strict=True):
                    margins.append((np.log(pp / (1 - pp)) - cut, s.question.entry, t))
                    answered = pp >= threshold
                    if s.question.entry is None:
                        c["out"] += 1
                        c["handed"] += int(not answered)
                        continue
                    c["inside"] += 1
                    c["top1"] += int(t == s.question.entry)
                    c["right"] += int(answered and t == s.question.entry)
                    c["wrong"] += int(answered and t != s.question.entry)
            n_in, n_out = c["inside"] + self.taken_in, c["out"] + self.taken_out
            row = (
                100 * (c["right"] + self.taken_in) / n_in,
                100 * c["wrong"] / n_in,
                100 * c["handed"] / n_out,
                100 * (c["top1"] + self.taken_in) / n_in,
            )
            per_seed.append(row)
            print(
                f"seed {seed}: right / wrong / out handed off / top-1", *(f"{v:.1f}" for v in row)
            )
        print("mean", *(f"{v:.2f}" for v in np.mean(per_seed, axis=0)))
        self.curve(margins)

    def curve(self, margins) -> None:
        m = np.array([v for v, _, _ in margins])
        inside = np.array([e is not None for _, e, _ in margins])
        right = np.array([e is not None and e == t for _, e, t in margins])
        k = len(self.args.seeds)
        n_in = inside.sum() + k * self.taken_in
        n_out = (~inside).sum() + k * self.taken_out
        out = []
        for target in (1.0, 1.5, 2.0):
            for t in np.sort(m):
                answered = m >= t
                if 100 * (answered & inside & ~right).sum() / n_in <= target:
                    got = 100 * ((answered & right).sum() + k * self.taken_in) / n_in
                    handed = 100 - 100 * (answered & ~inside).sum() / n_out
                    out.append(f"at {target} % wrong: {got:.1f} right, {handed:.1f} handed off")
                    break
        print("one threshold over all seeds:", "; ".join(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--use", choices=("reorder", "margin1", "agreement", "none"))
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--l2", type=float, default=0.01)
    parser.add_argument("--oof", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[domain_fit.SEED, 1, 2, 3])
    args = parser.parse_args()
    args.use = args.use or "reorder"
    Experiment(args).run()


if __name__ == "__main__":
    main()
