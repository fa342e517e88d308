"""Retrieval bench: LCQMC figures and ``ask`` latency at 20k/50k entries against rank_bm25.

    .venv/bin/python bench/retrieval.py [--sizes 20000 50000] [--queries 500] [--skip-lcqmc]
        [--json OUT.json]
    .venv/bin/python bench/retrieval.py --answers OUT.json [--index-cache DIR] [--queries 400]
    .venv/bin/python bench/retrieval.py --compare-answers BEFORE.json AFTER.json

1. LCQMC (``../shared/data/lcqmc/dev.tsv``): the protocol of ``dangjian kb_eval`` on the same
   Engine, plus, in the same run, BM25 alone over the same jieba words (bm25s) as a reference.
   The 5-fold cross-validated figures of the shipped calibration are in its provenance.
2. Scale: the two real banks (``bench/kb_sources.py``) replicated with variations up to each
   size; index build time; ``ask`` p50/p99 in-process over perturbed questions of the base;
   the same queries through ``rank_bm25.BM25Okapi`` over the same jieba words, with the
   ratios; each also in the calling thread's CPU ms (``cpu_ms``). Wall times are for this
   machine and its load at the time; the ratios and CPU times are what compare.
3. Same answers: ``--answers`` writes every answer (top five, decision, candidates and their
   features) of the hotline set and of the scale queries, ``--compare-answers`` counts the
   questions where two such files differ; a speed-up must leave them all alike.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from kb_sources import DEFAULT_DATA, load_all  # noqa: E402

from dangjian.knowledge.retrieval import Doc, Engine, normalize  # noqa: E402
from dangjian.knowledge.retrieval.encoders import get_encoder  # noqa: E402
from dangjian.knowledge.retrieval.evaluation import (  # noqa: E402
    build_pool_engine,
    evaluate,
    read_pairs,
)
from dangjian.knowledge.retrieval.tokens import words  # noqa: E402

LCQMC = ROOT.parent / "shared" / "data" / "lcqmc" / "dev.tsv"
PREFIXES = ("", "请问", "想了解一下", "关于", "咨询：", "同志们问：")
SUFFIXES = ("", "？", "是什么", "怎么理解", "（新）", "，谢谢")


def say(msg: str) -> None:
    print(f"[retrieval bench] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# ---- 1. LCQMC -----------------------------------------------------------------------


def lcqmc_section() -> dict:
    if not LCQMC.exists():
        say(f"{LCQMC} absent: LCQMC section skipped")
        return {}
    import bm25s

    data = read_pairs(LCQMC)
    started = time.perf_counter()
    engine = build_pool_engine(data)
    say(f"LCQMC pool of {len(data.pool)} built in {time.perf_counter() - started:.1f}s")
    ours = evaluate(data, engine, progress=say)
    bm = bm25s.BM25(k1=1.2, b=0.75)
    bm.index([list(words(normalize(s))) or [""] for s in data.pool], show_progress=False)
    r1 = mrr = 0.0
    for query, gold in data.queries:
        ids = bm.get_tokens_ids(list(words(normalize(query))))
        scores = bm.get_scores_from_ids(ids) if ids else np.zeros(len(data.pool))
        top = np.argsort(-scores, kind="stable")[:10].tolist()
        r1 += top[:1] == [gold]
        mrr += 1 / (top.index(gold) + 1) if gold in top else 0
    n = len(data.queries)
    return {
        "engine": ours,
        "bm25_words_same_run": {"r1": round(100 * r1 / n, 2), "mrr10": round(100 * mrr / n, 2)},
        "engine_cross_validated": engine.calibration.provenance.get("cross_validated", {}),
    }


# ---- 1b. a cheaper query encoder ------------------------------------------------------


def encoder_section(names: list[str], heads: dict[str, Path]) -> dict:
    """Each encoder on the same sets, in the same run: LCQMC dev (its cosine alone: R@1 over
    the pool, pair AUC; and the engine's protocol with the heads fitted for it), the hotline
    set (5-fold CV of the domain stage, ``bench/hotline_fit.py``'s figures) and the time of
    one short question. ``heads`` maps an encoder to a calibration whose LCQMC heads were
    fitted with it (``retrieval_fit.py --encoder NAME``); else the shipped heads are used."""
    from dataclasses import replace

    from sklearn.metrics import roc_auc_score

    from dangjian.knowledge.retrieval import domain_fit
    from dangjian.knowledge.retrieval.calibration import Calibration

    data = read_pairs(LCQMC)
    docs = domain_fit.starter_docs(ROOT / "dangjian" / "knowledge" / "starter")
    questions = domain_fit.read_eval(
        ROOT / "bench" / "data" / "hotline_eval.tsv", {d.question: d.id for d in docs}
    )
    short = short_questions(500)
    out = {}
    for name in names:
        enc = get_encoder(name)
        texts = sorted({normalize(s) for pair in data.pairs for s in pair[:2]})
        vec = dict(zip(texts, enc.encode(texts), strict=True))
        cos = [float(vec[normalize(a)] @ vec[normalize(b)]) for a, b, _ in data.pairs]
        pool = np.vstack([vec[normalize(p)] for p in data.pool])
        r1 = np.mean([int(np.argmax(pool @ vec[normalize(q)])) == g for q, g in data.queries])
        times, _ = time_calls(lambda q, enc=enc: enc.encode([normalize(q)]), short)
        cal = Calibration.load(heads[name]) if name in heads else Calibration.load()
        cal = replace(cal, encoder=name, domain=None)
        protocol = evaluate(data, build_pool_engine(data, Engine(cal)))
        engine = Engine(cal)
        engine.build(docs)
        hotline = domain_fit.cross_validate(domain_fit.collect(engine, questions))
        out[name] = {
            "lcqmc_cosine_r1": round(100 * float(r1), 2),
            "lcqmc_cosine_auc": round(float(roc_auc_score([p[2] for p in data.pairs], cos)), 4),
            "lcqmc_engine": protocol,
            "heads": str(heads.get(name, "shipped")),
            "hotline_cv": hotline,
            "short_encode_p50_ms": round(pct(times, 50), 3),
            "short_encode_p99_ms": round(pct(times, 99), 3),
        }
        say(f"encoder {name}: {json.dumps(out[name], ensure_ascii=False)}")
    return out


# ---- 2. scale -------------------------------------------------------------------------


def variant(text: str, rng: random.Random) -> str:
    """A plausible re-phrasing: prefix/suffix, a dropped character, a changed digit."""
    chars = list(text.strip())
    if len(chars) > 8:
        del chars[rng.randrange(len(chars))]
    out = "".join(chars)
    digits = [i for i, c in enumerate(out) if c.isdigit()]
    if digits:
        i = rng.choice(digits)
        out = out[:i] + str(rng.randrange(10)) + out[i + 1 :]
    return rng.choice(PREFIXES) + out + rng.choice(SUFFIXES)


def corpus(size: int, base: list[str], seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    out = list(base[:size])
    while len(out) < size:
        out.append(variant(base[len(out) % len(base)], rng))
    return out


def same(hit: int, source: int, base: list[str]) -> bool:
    """A hit is right if it is the source entry or one of its replicated variations."""
    return hit % len(base) == source % len(base)


def queries_for(texts: list[str], n: int, seed: int = 7) -> list[tuple[str, int]]:
    """Perturbed questions of random entries (not identical to any entry), with the source id."""
    rng = random.Random(seed)
    picks = rng.sample(range(len(texts)), min(n, len(texts)))
    out = []
    for i in picks:
        t = texts[i]
        cut = max(2, len(t) // 6)
        out.append(("请问" + t[cut : len(t) - 1] + "？", i))
    return out


def short_questions(n: int) -> list[str]:
    """Real short user questions (LCQMC sentence1, median ≈ 10 characters) for latency."""
    if not LCQMC.exists():
        return []
    lines = LCQMC.read_text(encoding="utf-8").splitlines()
    return sorted({ln.split("\t")[0] for ln in lines if ln.strip()})[:n]


class Timings(list):
    """Wall ms of each call, and in ``cpu`` the calling thread's CPU ms of the same calls: on a
    shared machine the wall time mostly measures the queue for a core, the CPU time what a
    call costs (every library here computes on the calling thread, USE on one BLAS thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []


def time_calls(fn, items) -> tuple[Timings, list]:
    times, results = Timings(), []
    for item in items:
        t, c = time.perf_counter(), time.thread_time()
        results.append(fn(item))
        times.cpu.append((time.thread_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    return times, results


def cpu_pct(times: Timings, q: float) -> float:
    return round(pct(times.cpu, q), 2)


def scale_section(
    size: int,
    base: list[str],
    n_queries: int,
    n_baseline: int,
    cache: Path | None = None,
    calibration=None,
) -> dict:
    from rank_bm25 import BM25Okapi

    texts = corpus(size, base)
    docs = [Doc(id=i, question=t) for i, t in enumerate(texts)]
    qs = queries_for(texts, n_queries)
    encoder = calibration.encoder if calibration is not None else "use"
    saved = None
    if cache is not None:
        saved = cache / (str(size) if encoder == "use" else f"{size}-{encoder}")
    started = time.perf_counter()
    if saved is not None and (saved / "index.json").exists():
        # the same corpus (seeded), embeddings not recomputed
        engine = Engine.load(saved, calibration)
        build_s = None
        say(f"{size}: engine loaded from {saved} in {time.perf_counter() - started:.1f}s")
    else:
        engine = Engine(calibration)
        engine.build(docs)
        build_s = round(time.perf_counter() - started, 1)
        say(f"{size}: engine built in {build_s}s")
        if saved is not None:
            engine.save(saved)
    for q, _ in qs[:20]:  # warm caches and the model
        engine.ask("预热" + q)
    times, answers = time_calls(lambda q: engine.ask(q, k=5), [q for q, _ in qs])
    hits = [
        a.best is not None and same(a.best.id, i, base)
        for a, (_, i) in zip(answers, qs, strict=True)
    ]
    enc = get_encoder(engine.calibration.encoder)
    enc_times, _ = time_calls(lambda q: enc.encode([normalize(q)]), [q for q, _ in qs[:200]])
    short = short_questions(n_queries)
    short_times, _ = time_calls(lambda q: engine.ask(q, k=5), short)
    short_enc, _ = time_calls(lambda q: enc.encode([normalize(q)]), short[:200])

    started = time.perf_counter()
    tokenized = [list(words(normalize(t))) for t in texts]
    baseline = BM25Okapi(tokenized)
    base_build_s = time.perf_counter() - started

    def bm25_ask(q: str) -> list[int]:
        scores = baseline.get_scores(list(words(normalize(q))))
        top = np.argpartition(-scores, 5)[:5]
        return top[np.argsort(-scores[top])].tolist()

    sub = qs[:n_baseline]
    base_times, base_tops = time_calls(bm25_ask, [q for q, _ in sub])
    base_r1 = np.mean([same(t[0], i, base) for t, (_, i) in zip(base_tops, sub, strict=True)])
    row = {
        "entries": size,
        "encoder": encoder,
        "build_s": build_s,
        "ask_p50_ms": round(pct(times, 50), 2),
        "ask_p99_ms": round(pct(times, 99), 2),
        "ask_mean_ms": round(statistics.fmean(times), 2),
        "ask_qps_1_thread": round(1000 / statistics.fmean(times), 1),
        "encoder_p50_ms": round(pct(enc_times, 50), 2),
        "short_ask_p50_ms": round(pct(short_times, 50), 2),
        "short_ask_p99_ms": round(pct(short_times, 99), 2),
        "short_encoder_p50_ms": round(pct(short_enc, 50), 2),
        "ask_r1_perturbed": round(100 * float(np.mean(hits[:n_baseline])), 1),
        "rank_bm25_build_s": round(base_build_s, 1),
        "rank_bm25_p50_ms": round(pct(base_times, 50), 2),
        "rank_bm25_p99_ms": round(pct(base_times, 99), 2),
        "rank_bm25_r1_perturbed": round(100 * float(base_r1), 1),
    }
    row["cpu_ms"] = {
        "ask_p50": cpu_pct(times, 50),
        "ask_p99": cpu_pct(times, 99),
        "short_ask_p50": cpu_pct(short_times, 50),
        "short_ask_p99": cpu_pct(short_times, 99),
        "encoder_p50": cpu_pct(enc_times, 50),
        "short_encoder_p50": cpu_pct(short_enc, 50),
        "rank_bm25_p50": cpu_pct(base_times, 50),
        "rank_bm25_p99": cpu_pct(base_times, 99),
    }
    for q in (50, 99):
        ratio = row["cpu_ms"][f"ask_p{q}"] / row["cpu_ms"][f"rank_bm25_p{q}"]
        row[f"cpu_p{q}_ratio_vs_rank_bm25"] = round(ratio, 4)
    row["p50_ratio_vs_rank_bm25"] = round(row["ask_p50_ms"] / row["rank_bm25_p50_ms"], 3)
    row["p99_ratio_vs_rank_bm25"] = round(row["ask_p99_ms"] / row["rank_bm25_p99_ms"], 3)
    say(json.dumps(row, ensure_ascii=False))
    return row


# ---- 3. the same answers before and after a change ----------------------------------------


def answers(index_cache: Path | None, n_queries: int) -> dict:
    """Every answer of the hotline set over the starter base, and of the scale section's
    queries over the 20,000 entries (from ``index_cache`` when it holds them): the top five,
    the decision (answer / suggest / handoff) and the candidate entries with their features."""
    from dangjian.knowledge.retrieval import domain_fit

    def record(engine: Engine, q: str, text_of) -> dict:
        a = engine.ask(q, k=5)
        ids, feats, _ = engine.entry_features(q)
        decision = "answer" if a.confident else "suggest" if a.confidence >= engine.lower else ""
        return {
            "top5": [text_of(h.id) for h in a.candidates],
            "decision": decision or "handoff",
            "confidence": a.confidence,
            "candidates": sorted({text_of(i) for i in ids}),
            "features": {text_of(i): f.tolist() for i, f in zip(ids, feats, strict=True)},
        }

    docs = domain_fit.starter_docs(ROOT / "dangjian" / "knowledge" / "starter")
    questions = domain_fit.read_eval(
        ROOT / "bench" / "data" / "hotline_eval.tsv", {d.question: d.id for d in docs}
    )
    engine = Engine()
    engine.build(docs)
    out = {"hotline": {q.text: record(engine, q.text, int) for q in questions}}
    saved = index_cache / "20000" if index_cache is not None else None
    if DEFAULT_DATA.exists() and saved is not None and (saved / "index.json").exists():
        texts = corpus(20000, [item["question"] for item in load_all(DEFAULT_DATA)])
        engine = Engine.load(saved)
        qs = [q for q, _ in queries_for(texts, n_queries)] + short_questions(n_queries)

        def text_of(i: int) -> str:  # the corpus repeats texts under other ids: compare texts
            return normalize(texts[i])

        out["bench20k"] = {q: record(engine, q, text_of) for q in qs}
    return out


def compare_answers(before: dict, after: dict) -> dict:
    """Questions whose top five, decision or candidates differ, and the largest differences
    of a shared candidate's feature and of the confidence."""
    out = {}
    for part, rows in before.items():
        other = after.get(part, {})
        diff = {"top5": 0, "decision": 0, "candidates": 0, "feature": 0.0, "confidence": 0.0}
        for q, a in rows.items():
            b = other[q]
            for key in ("top5", "decision", "candidates"):
                diff[key] += a[key] != b[key]
            diff["confidence"] = max(diff["confidence"], abs(a["confidence"] - b["confidence"]))
            for entry in a["features"].keys() & b["features"].keys():
                gap = np.abs(np.subtract(a["features"][entry], b["features"][entry])).max()
                diff["feature"] = max(diff["feature"], float(gap))
        out[part] = diff | {"questions": len(rows)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[20000, 50000])
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--baseline-queries", type=int, default=200)
    ap.add_argument("--skip-lcqmc", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--index-cache",
        type=Path,
        help="keep each size's built index here and load it on the next run (no re-encoding)",
    )
    ap.add_argument("--encoders", nargs="+", help="compare these encoders (section 1b)")
    ap.add_argument(
        "--heads",
        nargs="+",
        default=[],
        metavar="NAME=CALIBRATION.json",
        help="LCQMC heads fitted for an encoder, for section 1b",
    )
    ap.add_argument(
        "--scale-encoders",
        nargs="+",
        default=["use"],
        help="measure the scale section with each of these query encoders (heads from --heads; "
        "the shipped domain stage kept)",
    )
    ap.add_argument(
        "--answers",
        type=Path,
        metavar="OUT.json",
        help="write every answer of the hotline set and of the 20k queries (--index-cache) "
        "and stop; run on two checkouts, then --compare-answers",
    )
    ap.add_argument("--compare-answers", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.answers:
        found = answers(args.index_cache, args.queries)
        args.answers.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
        return
    if args.compare_answers:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare_answers)
        print(json.dumps(compare_answers(before, after), indent=1))
        return
    result: dict = {}
    heads = {k: Path(v) for k, v in (h.split("=", 1) for h in args.heads)}
    if args.encoders:
        result["encoders"] = encoder_section(args.encoders, heads)
    if not args.skip_lcqmc:
        result["lcqmc"] = lcqmc_section()
    if DEFAULT_DATA.exists():
        base = [item["question"] for item in load_all(DEFAULT_DATA)]
        say(f"{len(base)} real entries")
        result["scale"] = []
        for name in args.scale_encoders:
            cal = None
            if name != "use" or name in heads:
                from dataclasses import replace

                from dangjian.knowledge.retrieval.calibration import Calibration

                shipped = Calibration.load()
                cal = Calibration.load(heads[name]) if name in heads else shipped
                cal = replace(cal, encoder=name, domain=shipped.domain)
            result["scale"] += [
                scale_section(
                    size, base, args.queries, args.baseline_queries, args.index_cache, cal
                )
                for size in args.sizes
            ]
    else:
        say(f"{DEFAULT_DATA} absent: scale section skipped")
    text = json.dumps(result, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
