"""`dangjian kb_eval --pairs FILE.tsv --json`: the LCQMC FAQ-retrieval protocol on the bot's engine.

The pairs file is ``sentence1<TAB>sentence2<TAB>label``. An ``Engine`` — the same class and
shipped calibration that serve ``ask`` — is built over every distinct sentence2; each label-1
pair's sentence1 is asked (R@1, R@5, MRR@10) and every pair is scored with ``Engine.match``
(accuracy at the shipped pair threshold, ROC AUC). Progress goes to stderr.
"""

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.knowledge.retrieval.evaluation import build_pool_engine, evaluate, read_pairs


class Command(BaseCommand):
    help = "按 LCQMC 协议评测知识库检索引擎（R@1、R@5、MRR@10、判定准确率、AUC）"

    def add_arguments(self, parser):
        parser.add_argument("--pairs", type=Path, required=True, help="句子1<TAB>句子2<TAB>标签")
        parser.add_argument("--json", action="store_true", dest="as_json", help="以 JSON 输出")

    def handle(self, *args, pairs: Path, as_json: bool, **options):
        if not pairs.is_file():
            raise CommandError(f"文件不存在：{pairs}")
        data = read_pairs(pairs)
        if not data.queries:
            raise CommandError("文件中没有标签为 1 的句对")
        started = time.monotonic()

        def say(msg: str) -> None:
            print(f"[kb_eval {time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr)

        say(f"{len(data.pairs)} pairs, pool {len(data.pool)}, {len(data.queries)} queries")
        engine = build_pool_engine(data)
        say("index built")
        figures = evaluate(data, engine, progress=say)
        say("done")
        self.stdout.write(_render(figures, as_json=as_json))


def _render(figures: dict, *, as_json: bool) -> str:
    """One JSON object, or ``name<TAB>value`` lines for a human."""
    if as_json:
        return json.dumps(figures, ensure_ascii=False)
    return "\n".join(f"{k}\t{v}" for k, v in figures.items())
