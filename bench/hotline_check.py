"""The shipped answer decision on a check set it was never fitted on.

    .venv/bin/python bench/hotline_check.py [--set bench/data/hotline_fresh.tsv]

``bench/hotline_fit.py`` cross-validates on the evaluation set it also fits on; folds keep
each question out of its own fit, but every choice made while building the decision (features,
weights, the threshold's rule) was looked at on that set. The check set
(``bench/data/hotline_fresh.tsv``) was written afterwards, kept clear of the evaluation set and
of the entries' phrasings (tests refuse near copies), and is never fitted on: it estimates
what a held-out set of hotline questions will show. The bot is run as it answers: a computed
answer first, then the shipped calibration over the starter base. Prints the share of in-base
questions answered rightly and wrongly (each wrong one listed), offered in the middle band,
and of out-of-scope questions handed off.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotline_fit import STARTER, computed  # noqa: E402

from dangjian.knowledge.retrieval import Engine, domain_fit  # noqa: E402
from dangjian.knowledge.retrieval.calibration import Calibration  # noqa: E402

FRESH = ROOT / "bench" / "data" / "hotline_fresh.tsv"


def outcome(engine: Engine, text: str) -> tuple[str, int | None, list[int]]:
    """What the bot does with ``text``: ``computed`` / ``answered`` / ``band`` / ``handed_off``,
    the entry it answers with (None for a computed answer), and the entries it offers."""
    if computed(text):
        return "computed", None, []
    answer = engine.ask(text, k=3)
    if answer.best is None:
        return "handed_off", None, []
    offered = [hit.id for hit in answer.candidates]
    if answer.confident:
        return "answered", answer.best.id, offered
    if answer.confidence >= engine.lower:
        return "band", None, offered
    return "handed_off", None, offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=FRESH)
    args = parser.parse_args()
    docs = domain_fit.starter_docs(STARTER)
    by_id = {d.id: d.question for d in docs}
    questions = domain_fit.read_eval(args.set, {d.question: d.id for d in docs})
    engine = Engine(Calibration.load())
    engine.build(docs)
    n_in = right = wrong = band = band_right = n_out = out_answered = out_band = 0
    for q in questions:
        what, entry, offered = outcome(engine, q.text)
        if q.entry is None:
            n_out += 1
            out_answered += what in ("answered", "computed")
            out_band += what == "band"
            if what in ("answered", "computed"):
                print(f"out of scope, answered: {q.text} → {by_id.get(entry, '计算')}")
            continue
        n_in += 1
        # a computed answer is counted right: the set labels such questions with the entry
        # explaining the rule the computation applies (as hotline_fit does)
        right += what == "computed" or (what == "answered" and entry == q.entry)
        if what == "answered" and entry != q.entry:
            wrong += 1
            print(f"wrong: {q.text} → {by_id[entry]} (labelled {by_id[q.entry]})")
        band += what == "band"
        band_right += what == "band" and q.entry in offered
    print(
        f"{args.set.name}: {n_in} in-base, {n_out} out of scope; "
        f"right {100 * right / n_in:.1f} %, wrong {100 * wrong / n_in:.1f} %, "
        f"middle band {100 * band / n_in:.1f} % ({100 * band_right / n_in:.1f} % with the entry "
        f"offered); out of scope handed off {100 * (n_out - out_answered) / n_out:.1f} % "
        f"({100 * out_band / n_out:.1f} % offered suggestions)"
    )


if __name__ == "__main__":
    main()
