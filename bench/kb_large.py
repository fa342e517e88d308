"""The bot's figures with the large base loaded: the curated starter base alone, then with
the public question banks (../shared/data/kb-sources, ≈10k entries) as the imported tier.

    .venv/bin/python bench/kb_large.py [--eval bench/data/hotline_eval.tsv] [--json out.json]

Both runs use the shipped decision (``retrieval/data/calibration.json``) and the bot's order:
a dues question with the asker's figures is computed first (``knowledge.compute``), the rest
goes to retrieval — the curated engine alone, or the two tiers (``knowledge.tiers``). The
shipped decision was fitted on this whole set, so these are in-sample figures; the
cross-validated ones are ``bench/hotline_fit.py``'s. What this bench isolates is what the
imported tier changes: it can only answer where the curated tier was not confident, so it
can add wrong answers and answered out-of-scope questions, never lose a right one. And, as a
check that the tier answers at all, 200 of the imported stems asked word for word. Also the
build time and the query latency of both (noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

import django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
django.setup()

from dangjian.knowledge import compute, sources  # noqa: E402
from dangjian.knowledge.retrieval import Doc, Engine, domain_fit  # noqa: E402
from dangjian.knowledge.tiers import TieredEngine  # noqa: E402

STARTER = ROOT / "dangjian" / "knowledge" / "starter"
EVAL = ROOT / "bench" / "data" / "hotline_eval.tsv"
DATA = ROOT.parent / "shared" / "data" / "kb-sources"
BANK_IDS = 1_000_000
PROBES = 200  # imported stems asked word for word: the tier answers what it holds


def bank_docs(folder: Path) -> list[Doc]:
    return [
        Doc(BANK_IDS + i, r["question"], (), r["category"], tuple(r["tags"]), r["answer"])
        for i, r in enumerate(sources.load_all(folder))
    ]


def figures(engine, questions) -> tuple[dict, list[float], list]:
    counts = {"in": 0, "right": 0, "wrong": 0, "out": 0, "out_answered": 0, "bank": 0}
    times, outcomes = [], []
    for q in questions:
        if compute.dues(q.text):
            answered, best = True, q.entry
        else:
            t0 = time.perf_counter()
            answer = engine.ask(q.text, k=5)
            times.append((time.perf_counter() - t0) * 1000)
            answered, best = answer.confident, answer.best.id if answer.best else None
        if answered and best is not None and best >= BANK_IDS:
            counts["bank"] += 1
        if q.entry is None:
            counts["out"] += 1
            counts["out_answered"] += answered
            outcomes.append("answered" if answered else "handed off")
        else:
            counts["in"] += 1
            right = answered and best == q.entry
            counts["right"] += right
            counts["wrong"] += answered and not right
            outcomes.append("right" if right else "wrong" if answered else "handed off")
    return counts, times, outcomes


def summary(counts: dict, times: list[float]) -> dict:
    times = sorted(times)
    return {
        "right_pct": round(100 * counts["right"] / counts["in"], 1),
        "wrong_pct": round(100 * counts["wrong"] / counts["in"], 1),
        "out_handed_off_pct": round(100 * (1 - counts["out_answered"] / counts["out"]), 1),
        "answered_from_bank": counts["bank"],
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], 1),
        **counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    curated_docs = domain_fit.starter_docs(STARTER)
    questions = domain_fit.read_eval(args.eval, {d.question: d.id for d in curated_docs})
    t0 = time.time()
    curated = Engine()
    curated.build(curated_docs)
    built_curated = time.time() - t0
    docs = bank_docs(args.data)
    t0 = time.time()
    bank = Engine()
    bank.build(docs)
    built_bank = time.time() - t0
    print(
        f"{len(curated_docs)} curated ({built_curated:.1f} s), {len(docs)} imported "
        f"({built_bank:.1f} s), {len(questions)} questions"
    )
    alone, alone_times, before = figures(curated, questions)
    tiered, tiered_times, after = figures(TieredEngine(curated, bank), questions)
    changed = [
        {"question": q.text, "before": b, "after": a}
        for q, b, a in zip(questions, before, after, strict=True)
        if a != b
    ]
    probe = docs[:: max(len(docs) // PROBES, 1)][:PROBES]
    tier = TieredEngine(curated, bank)
    hits = [tier.ask(d.question, k=5) for d in probe]
    out = {
        "imported_stems_asked_verbatim": {
            "asked": len(probe),
            "answered_with_their_entry": sum(
                a.confident and a.best is not None and a.best.id == d.id
                for a, d in zip(hits, probe, strict=True)
            ),
            "answered_otherwise": sum(
                a.confident and a.best is not None and a.best.id != d.id
                for a, d in zip(hits, probe, strict=True)
            ),
        },
        "curated_only": summary(alone, alone_times),
        "with_imported_tier": summary(tiered, tiered_times),
        "changed": changed,
        "entries": {"curated": len(curated_docs), "imported": len(docs)},
        "build_seconds": {"curated": round(built_curated, 1), "imported": round(built_bank, 1)},
    }
    print(json.dumps({k: v for k, v in out.items() if k != "changed"}, ensure_ascii=False))
    for c in changed:
        print(f"  {c['before']} → {c['after']}: {c['question']}")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
