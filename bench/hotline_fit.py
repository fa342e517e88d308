"""The bot's answer decision on hotline questions: cross-validated figures, and the refit.

    .venv/bin/python bench/hotline_fit.py [--eval bench/data/hotline_eval.tsv] [--folds 5]
        [--json out.json] [--write]

The base is the starter knowledge base (``dangjian/knowledge/starter/*.jsonl``, entry id = line
number over the files in name order). Prints, out of fold, the share of in-base questions
answered with the right entry, answered wrongly, and of out-of-scope questions handed off
(``dangjian.knowledge.retrieval.domain_fit``). ``--write`` refits on the whole set (less the questions answered by computation, which
never reach retrieval) and stores
the result as the ``domain`` section of ``retrieval/data/calibration.json`` (the figures as
provenance): from then on the bot decides with it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dangjian.knowledge.retrieval import domain_fit  # noqa: E402
from dangjian.knowledge.retrieval.calibration import CALIBRATION_FILE, Calibration  # noqa: E402

STARTER = ROOT / "dangjian" / "knowledge" / "starter"
EVAL = ROOT / "bench" / "data" / "hotline_eval.tsv"


def computed(text: str):
    """The bot's computed answer to ``text`` (党费 from the asker's figures, 发展党员 dates
    from a stated start), or None: the bot answers these before retrieval."""
    from dangjian.knowledge import compute

    return compute.dues(text) or compute.dates(text, dt.date.today())


def computed_path(questions, entry_question: dict[int, str]) -> dict:
    """The questions the bot answers by computation before retrieval: how many, in base and
    out of scope, and which entries the in-base ones are labelled with (the computed answer
    gives the amount or date those entries explain)."""
    inside = [q for q in questions if q.entry is not None and computed(q.text)]
    outside = [q.text for q in questions if q.entry is None and computed(q.text)]
    labels: dict[str, int] = {}
    for q in inside:
        labels[entry_question[q.entry]] = labels.get(entry_question[q.entry], 0) + 1
    return {"in_base": len(inside), "out_of_scope": len(outside), "labels": labels}


def bot_figures(samples, folds: int) -> dict:
    """What the bot does: a computed answer first (counted right for an in-base question —
    every one in the set is labelled with the entry explaining that amount — and answered
    for an out-of-scope one), retrieval for the rest, cross-validated on the rest alone."""

    taken = [s for s in samples if computed(s.question.text)]
    rest = [s for s in samples if not computed(s.question.text)]
    counts = domain_fit.cross_validate_counts(rest, folds=folds)
    inside = sum(s.question.entry is not None for s in taken)
    counts["in"] += inside
    counts["right"] += inside
    counts["top1"] += inside
    counts["out"] += len(taken) - inside
    return domain_fit.figures(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL)
    parser.add_argument("--folds", type=int, default=domain_fit.FOLDS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    docs = domain_fit.starter_docs(STARTER)
    questions = domain_fit.read_eval(args.eval, {d.question: d.id for d in docs})
    t0 = time.time()
    engine = domain_fit.base_engine(docs)
    samples = domain_fit.collect(engine, questions)
    print(f"{len(docs)} entries, {len(questions)} questions, features in {time.time() - t0:.1f} s")
    cv = domain_fit.cross_validate(samples, folds=args.folds, say=print)
    print("cross-validated:", json.dumps(cv, ensure_ascii=False))
    cv["computed"] = computed_path(questions, {d.id: d.question for d in docs})
    print("answered by computation:", json.dumps(cv["computed"], ensure_ascii=False))
    cv["bot"] = bot_figures(samples, args.folds)
    print("the bot (computation first, then retrieval):", json.dumps(cv["bot"], ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(cv, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.write:
        domain = domain_fit.fit(
            [s for s in samples if not computed(s.question.text)],
            provenance={
                "fitted_on": f"{args.eval.relative_to(ROOT)} over the starter base",
                "method": f"bench/hotline_fit.py; {args.folds}-fold CV stratified by in/out; "
                "fitted on the questions not answered by computation",
                "cross_validated": cv,
            },
        )
        cal = replace(Calibration.load(), domain=domain)
        cal.save(CALIBRATION_FILE)
        print("written", CALIBRATION_FILE, "threshold", domain.threshold)


if __name__ == "__main__":
    main()
