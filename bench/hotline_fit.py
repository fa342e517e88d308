"""The bot's answer decision on hotline questions: cross-validated figures, and the refit.

    .venv/bin/python bench/hotline_fit.py [--eval bench/data/hotline_eval.tsv] [--folds 5]
        [--json out.json] [--write]

The base is the starter knowledge base (``dangjian/knowledge/starter/*.jsonl``, entry id = line
number over the files in name order). Prints, out of fold, the share of in-base questions
answered with the right entry, answered wrongly, and of out-of-scope questions handed off
(``dangjian.knowledge.retrieval.domain_fit``). ``--write`` refits on the whole set and stores
the result as the ``domain`` section of ``retrieval/data/calibration.json`` (the figures as
provenance): from then on the bot decides with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dangjian.knowledge.retrieval import domain_fit  # noqa: E402
from dangjian.knowledge.retrieval.calibration import CALIBRATION_FILE, Calibration  # noqa: E402
from dangjian.knowledge.retrieval.engine import Doc  # noqa: E402

STARTER = ROOT / "dangjian" / "knowledge" / "starter"
EVAL = ROOT / "bench" / "data" / "hotline_eval.tsv"


def starter_docs() -> list[Doc]:
    docs = []
    for path in sorted(STARTER.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                docs.append(
                    Doc(
                        len(docs) + 1,
                        row["question"],
                        tuple(row.get("alternatives") or ()),
                        row.get("category", ""),
                        tuple(row.get("tags") or ()),
                        row.get("answer", ""),
                    )
                )
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL)
    parser.add_argument("--folds", type=int, default=domain_fit.FOLDS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    docs = starter_docs()
    questions = domain_fit.read_eval(args.eval, {d.question: d.id for d in docs})
    t0 = time.time()
    engine = domain_fit.base_engine(docs)
    samples = domain_fit.collect(engine, questions)
    print(f"{len(docs)} entries, {len(questions)} questions, features in {time.time() - t0:.1f} s")
    cv = domain_fit.cross_validate(samples, folds=args.folds, say=print)
    print("cross-validated:", json.dumps(cv, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(cv, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.write:
        domain = domain_fit.fit(
            samples,
            provenance={
                "fitted_on": f"{args.eval.relative_to(ROOT)} over the starter base",
                "method": f"bench/hotline_fit.py; {args.folds}-fold CV stratified by in/out",
                "cross_validated": cv,
            },
        )
        cal = replace(Calibration.load(), domain=domain)
        cal.save(CALIBRATION_FILE)
        print("written", CALIBRATION_FILE, "threshold", domain.threshold)


if __name__ == "__main__":
    main()
