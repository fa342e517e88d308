"""Fitted parameters of the matcher and of the confidence, loaded from ``data/calibration.json``.

Method (fitted by ``bench/retrieval.py --fit`` on LCQMC dev, see ``bench/README.md``):

1. Two linear heads over the same pool-independent features of a question q and a stored
   phrasing d — the sentence-embedding cosine, idf-weighted Jaccard overlap of jieba words and
   of character 1+2-grams, the length ratio and cosine × gram overlap:
   - the ranking head ``z = w·f + b`` (logistic regression on the lexical candidates of every
     LCQMC query, label 1 when the candidate is a stated paraphrase, plus the labelled pairs)
     orders candidates; an entry scores its best phrasing;
   - the match head (logistic regression on the labelled pairs alone) gives each hit's
     ``confidence``: the probability that d asks the same thing as q. ``pair_threshold`` is
     the probability at which pair accuracy is highest.
2. Answer confidence. The probability that the top hit answers the question is a further
   logistic regression over (ranking z of the best hit, margin to the runner-up), with coefficients
   constrained to be non-negative so confidence never falls when the best hit gets better or
   pulls away. It is fitted on whether the top hit was correct, out of fold (5 folds grouped
   by query), which is what makes it a calibrated probability rather than a score. LCQMC
   questions always have their paraphrase in the pool, so each query is also scored with its
   paraphrases removed (label 0: the question is not in the base), weighted 0.25 — i.e. it
   assumes about one question in five has no entry, the case the hand-off exists for.
3. ``threshold`` is the confidence at which the bot answers instead of handing off.

Figures reported in the bench README are 5-fold cross-validated (grouped by query).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

CALIBRATION_FILE = Path(__file__).parent / "data" / "calibration.json"

FEATURES = ("cosine", "word_overlap", "gram_overlap", "length_ratio", "cosine_x_gram")
# Per candidate entry, for the domain stage (``Engine.entry_features``).
DOMAIN_FEATURES = (
    "rank_whole",  # ranking log-odds of the whole question vs the entry's best phrasing
    "rank_core",  # the same for the question core (story and amounts dropped)
    "match_whole",  # match-head log-odds, whole question
    "match_core",  # match-head log-odds, question core
    "core_coverage",  # share of the core's idf mass found among the entry's phrasings
    "phrasing_coverage",  # share of the best phrasing's idf mass found in the core
    "answer_coverage",  # share of the core's idf mass found in the answer, category, tags
    "entry_bm25_whole",  # BM25 of the whole question vs the entry's text (phrasings, answer,
    "entry_bm25_core",  # category, tags), and of the core; each scaled to the best candidate
    "slot_match",  # share of the question's slots (``question.slots``: who asks, at what
    "slot_extra",  # stage) the entry's phrasings name; share of the entry's slots it does not
    "slot_missing",  # 1 when another candidate names more of the question's slots (返聘 asked:
    # 退休党员党费 lacks it, 同时有工资和离退休费 has it): the general entry beside its special case
)
# For the answer decision over the reranked list: the top entry's share of the softmax over
# the candidates, its margin to the runner-up, the share of the core's words the base uses at
# all, how much more of the question's slots some other candidate names, how domain-like its
# most domain-like word is (``question.salience``), and the top entry's own features.
DECISION_FEATURES = (
    "top_share",
    "margin",  # reranker score to the runner-up, capped
    "known_share",  # share of the core's idf mass made of words the base uses at all
    "slot_gap",  # best slot_match among the candidates minus the top entry's: a sibling fits
    "salience",  # the question's most domain-like word: base frequency over general frequency
    *(f"top_{name}" for name in DOMAIN_FEATURES),
)
_SLOT_MATCH = DOMAIN_FEATURES.index("slot_match")
DECISION_MARGIN_CAP = 5.0


def decision_features(feats, score, order, known: float, salience: float):
    """The decision row for a reranked candidate list (see ``DECISION_FEATURES``)."""
    top = order[0]
    margin = DECISION_MARGIN_CAP if len(order) < 2 else score[top] - score[order[1]]
    share = 1.0 / float(np.exp(np.clip(score - score[top], -50.0, 50.0)).sum())
    gap = float(feats[:, _SLOT_MATCH].max() - feats[top, _SLOT_MATCH])
    head = [share, min(margin, DECISION_MARGIN_CAP), known, gap, salience]
    return np.concatenate([head, feats[top]])


@dataclass(frozen=True)
class Domain:
    """The answer decision fitted on the curated base's own domain (``bench/hotline_fit.py``).

    A linear reranker over ``DOMAIN_FEATURES`` orders the candidate entries, and a logistic
    regression over ``DECISION_FEATURES`` gives the probability that the top entry answers;
    at ``threshold`` and above the bot answers; from ``lower`` up to the threshold it offers
    the top entries as 您是不是想问 (the middle band); below ``lower`` it hands off.
    """

    rank_coef: tuple[float, ...]
    rank_intercept: float
    answer_coef: tuple[float, ...]
    answer_intercept: float
    threshold: float
    provenance: dict = field(default_factory=dict)
    lower: float = 0.0


@dataclass(frozen=True)
class Calibration:
    """Pair-model weights, answer-confidence weights and the hand-off threshold."""

    encoder: str = "use"
    candidates: int = 100
    rank_coef: tuple[float, ...] = (8.0, 2.0, 3.0, 0.5, 2.0)
    rank_intercept: float = -9.0
    pair_coef: tuple[float, ...] = (8.0, 2.0, 3.0, 0.5, 2.0)
    pair_intercept: float = -9.0
    answer_coef: tuple[float, float] = (1.0, 0.5)
    answer_intercept: float = 0.0
    threshold: float = 0.5
    pair_threshold: float = 0.5
    provenance: dict = field(default_factory=dict)
    domain: Domain | None = None

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        """The shipped parameters, or the built-in defaults if none were fitted yet."""
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["rank_coef"] = tuple(raw["rank_coef"])
        raw["pair_coef"] = tuple(raw["pair_coef"])
        raw["answer_coef"] = tuple(raw["answer_coef"])
        if raw.get("domain"):
            domain = dict(raw["domain"])
            domain["rank_coef"] = tuple(domain["rank_coef"])
            domain["answer_coef"] = tuple(domain["answer_coef"])
            raw["domain"] = Domain(**domain)
        return cls(**raw)
