"""Convert the two real question banks in ../shared/data/kb-sources/ into knowledge-base JSONL.

    .venv/bin/python bench/kb_sources.py OUT.jsonl [--data ../shared/data/kb-sources]
    dangjian kb_import OUT.jsonl

The conversion is the app's own (``dangjian.knowledge.sources``, which ``dangjian
kb_import_banks`` and ``make demo`` use to import the banks directly, as the lower tier).
The banks are GPL (see their LICENSE files next to them): they are read from the shared
folder at run time and never copied into the project.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dangjian.knowledge.sources import load_all as _load_all  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "kb-sources"


def load_all(data: Path = DEFAULT_DATA) -> list[dict]:
    """Both banks as importer rows, in file order, exact repeats dropped."""
    return _load_all(data)


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
