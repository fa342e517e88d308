"""Convert the two real question banks in ../shared/data/kb-sources/ into knowledge-base JSONL.

    .venv/bin/python bench/kb_sources.py OUT.jsonl [--data ../shared/data/kb-sources]
    dangjian kb_import OUT.jsonl

Each item becomes an entry: question = the stem (blanks kept as the bank writes them; the
engine normalises them), answer = the correct option(s) followed by all options, so the answer
text still shows what was asked. The banks are GPL (see their LICENSE files next to them):
they are read from the shared folder at run time and never copied into the project.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "kb-sources"
LETTERS = "ABCD"
QUESTION_MAX = 200  # dangjian.knowledge.services.kb.QUESTION_MAX (read without Django here)

XXQG_SOURCE = "学习强国题库（mondayfirst/XXQG_TiKu @ 6d80c85，GPL-3.0）"
PEOPLE_SOURCE = "人民网党史题库（evlon/people-dangshi-auto @ 3072d6a，GPL-2.0）"


def entry(question: str, answer: str, *, category: str, tags: list[str], source: str) -> dict:
    """One line of the knowledge-base JSONL format.

    A stem longer than a knowledge-base question may be is cut (with …) and given whole at
    the head of the answer. Stems the banks repeat are merged or skipped by the importer.
    """
    question = question.strip()
    if len(question) > QUESTION_MAX:
        answer = f"题目：{question}\n{answer}"
        question = question[: QUESTION_MAX - 1] + "…"
    return {
        "question": question,
        "answer": answer,
        "alternatives": [],
        "category": category,
        "tags": tags,
        "source": source,
        "owner_office": "",
        "valid_from": None,
        "valid_until": None,
    }


def _answer_text(correct: list[str], options: list[str]) -> str:
    listed = "；".join(f"{LETTERS[i] if i < 4 else i + 1}. {o}" for i, o in enumerate(options))
    return f"答案：{'、'.join(correct)}（选项：{listed}）"


def read_xxqg(path: Path) -> Iterator[dict]:
    """``{"题干|选项1|选项2|…": "正确选项"}``; two options 正确/错误 make a true/false item."""
    bank = json.loads(path.read_text(encoding="utf-8"))
    for key, correct in bank.items():
        stem, *options = key.split("|")
        if not stem.strip():
            continue
        judge = sorted(options) == ["正确", "错误"]
        yield entry(
            stem,
            _answer_text([correct], options),
            category="判断题" if judge else "选择题",
            tags=["学习强国"],
            source=XXQG_SOURCE,
        )


def read_people(path: Path) -> Iterator[dict]:
    """One JSON object per line (each line ends in a stray comma); rightOption is 1-based."""
    kinds = {1: "单选题", 2: "多选题", 3: "判断题"}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().rstrip(",")
        if not line:
            continue
        item = json.loads(line)
        options = [item.get(f"option{c}") or "" for c in LETTERS]
        options = [o for o in options if o.strip()]
        picks = [int(p) - 1 for p in str(item.get("rightOption", "")).split(",") if p.strip()]
        correct = [options[p] for p in picks if 0 <= p < len(options)]
        if not item.get("title", "").strip() or not correct:
            continue
        yield entry(
            item["title"],
            _answer_text(correct, options),
            category=kinds.get(int(item.get("type", 1)), "选择题"),
            tags=["党史"],
            source=PEOPLE_SOURCE,
        )


def load_all(data: Path = DEFAULT_DATA) -> list[dict]:
    """Both banks, in file order, skipping an exact repeat of question and answer."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in [*read_xxqg(data / "xxqg_tiku.json"), *read_people(data / "people_dangshi.jsonl")]:
        key = (item["question"], item["answer"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    items = load_all(args.data)
    with open(args.out, "w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {len(items)} entries to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
