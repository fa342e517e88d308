"""The public question banks in ``../shared/data/kb-sources/`` as knowledge-base rows.

Two banks (see that folder's README and LICENSE files): the 学习强国 bank
(``xxqg_tiku.json``: ``{"题干|选项1|选项2|…": "正确选项"}``) and the 人民网 party-history
bank (``people_dangshi.jsonl``: one object a line, each ending in a stray comma; 1-based
``rightOption``). Each item becomes one row of the importer's format: question = the stem
(normalised: one blank mark for runs of no-break spaces, underscores or empty brackets,
whitespace collapsed), answer = the correct option(s) with every option listed. They are
GPL: read from the shared folder at run time, never copied into the project.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

QUESTION_MAX = 200  # services.kb.QUESTION_MAX (kept import-free for bench/kb_sources.py)
LETTERS = "ABCD"
XXQG_FILE = "xxqg_tiku.json"
PEOPLE_FILE = "people_dangshi.jsonl"
XXQG_SOURCE = "学习强国题库（mondayfirst/XXQG_TiKu @ 6d80c85，GPL-3.0）"
PEOPLE_SOURCE = "人民网党史题库（evlon/people-dangshi-auto @ 3072d6a，GPL-2.0）"
BLANK = "（ ）"

# A blank in a stem: a run of no-break or ideographic spaces, of underscores, or brackets
# with nothing but spaces inside, written any of the ways the banks write them.
_BLANK = re.compile(r"[\u00a0\u3000]{2,}|_{2,}|＿{2,}|[（(][\s\u00a0\u3000]*[)）]")
_SPACES = re.compile(r"[\s\u00a0\u3000]+")


def default_folder() -> Path:
    """``KB_SOURCES_DIR`` if set, else ``shared/data/kb-sources`` beside the checkout."""
    configured = getattr(settings, "KB_SOURCES_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.PROJECT_DIR).parent / "shared" / "data" / "kb-sources"


def available(folder: Path | None = None) -> bool:
    folder = Path(folder) if folder is not None else default_folder()
    return (folder / XXQG_FILE).is_file() or (folder / PEOPLE_FILE).is_file()


def clean_stem(text: str) -> str:
    """One blank mark for each blank, single spaces, trimmed; NFC (full-width kept)."""
    text = unicodedata.normalize("NFC", text or "")
    text = _BLANK.sub(BLANK, text)
    return _SPACES.sub(" ", text).strip()


def clean_option(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def row(question: str, answer: str, *, category: str, tags: list[str], source: str) -> dict:
    """One row of the importer's format. A stem longer than a question may be is cut
    (with …) and given whole at the head of the answer."""
    if len(question) > QUESTION_MAX:
        answer = f"题目：{question}\n\n{answer}"
        question = question[: QUESTION_MAX - 1] + "…"
    return {
        "question": question,
        "answer": answer,
        "alternatives": [],
        "category": category,
        "tags": tags,
        "source": source,
        "office": "",
        "valid_from": None,
        "valid_until": None,
    }


def answer_text(correct: list[str], options: list[str]) -> str:
    listed = "；".join(f"{LETTERS[i] if i < 4 else i + 1}. {o}" for i, o in enumerate(options))
    return f"答案：{'、'.join(correct)}（选项：{listed}）"


def read_xxqg(path: Path) -> Iterator[dict]:
    """Two options 正确/错误 make a true/false item."""
    bank = json.loads(Path(path).read_text(encoding="utf-8"))
    for key, correct in bank.items():
        stem, *options = key.split("|")
        stem, options = clean_stem(stem), [clean_option(o) for o in options]
        if not stem or not options:
            continue
        judge = sorted(options) == ["正确", "错误"]
        yield row(
            stem,
            answer_text([clean_option(correct)], options),
            category="判断题" if judge else "选择题",
            tags=["学习强国"],
            source=XXQG_SOURCE,
        )


def read_people(path: Path) -> Iterator[dict]:
    kinds = {1: "单选题", 2: "多选题", 3: "判断题"}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip().rstrip(",")
        if not line:
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        options = [clean_option(item.get(f"option{c}") or "") for c in LETTERS]
        options = [o for o in options if o]
        picks = [p for p in str(item.get("rightOption", "")).split(",") if p.strip().isdigit()]
        correct = [options[int(p) - 1] for p in picks if 0 < int(p) <= len(options)]
        stem = clean_stem(item.get("title") or "")
        if not stem or not correct:
            continue
        try:
            kind = kinds.get(int(item.get("type", 1)), "选择题")
        except (TypeError, ValueError):
            kind = "选择题"
        yield row(
            stem, answer_text(correct, options), category=kind, tags=["党史"], source=PEOPLE_SOURCE
        )


def load_all(folder: Path | None = None) -> list[dict]:
    """Both banks (those present), in file order; an exact repeat of a row is dropped
    (the importer merges or skips a repeated stem with another answer)."""
    folder = Path(folder) if folder is not None else default_folder()
    rows: list[dict] = []
    if (folder / XXQG_FILE).is_file():
        rows.extend(read_xxqg(folder / XXQG_FILE))
    if (folder / PEOPLE_FILE).is_file():
        rows.extend(read_people(folder / PEOPLE_FILE))
    seen: set[tuple[str, str]] = set()
    out = []
    for item in rows:
        key = (item["question"], item["answer"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
