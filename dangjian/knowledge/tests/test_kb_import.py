"""Import: each format reports errors per row and writes nothing; good files round-trip."""

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from dangjian.core.excel import SheetError
from dangjian.core.models import AuditEntry
from dangjian.knowledge import imports
from dangjian.knowledge.models import Entry, EntryTier, EntryVersion

STARTER = Path(imports.__file__).parent / "starter"
HEADERS = [
    "问题",
    "答案",
    "相似问法",
    "分类",
    "标签",
    "依据",
    "责任处室",
    "生效日期",
    "失效日期",
    "状态",
]
GOOD = [
    "党员组织关系如何转接？",
    "向党支部申请。",
    "组织关系怎么转|关系转接",
    "组织关系",
    "转接、介绍信",
    "细则",
    "组织处",
    "2020-01-01",
    "",
    "已发布",
]
BAD_ROWS = [
    ["问", "答案", "", "", "", "", "", "", "", ""],  # question too short
    ["另一个问题是什么？", "答案", "", "", "", "", "", "2020-13-01", "", ""],  # bad date
    ["第三个问题是什么？", "答案", "", "", "", "", "", "", "", "作废"],  # bad status
    ["党员组织关系如何转接？", "重复", "", "", "", "", "", "", "", ""],  # row 2's, skipped
]


def write_xlsx(path: Path, rows) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("writer", [write_xlsx, write_csv], ids=["xlsx", "csv"])
def test_spreadsheet_errors_name_each_row_and_nothing_is_written(cast, tmp_path, writer):
    path = writer(tmp_path / f"kb.{writer.__name__[6:]}", [GOOD, *BAD_ROWS])
    outcome = imports.import_file(acting_user=None, org=cast.org["P"], path=path)
    assert outcome.created == 0
    assert [(e.row, e.column) for e in outcome.errors] == [
        (3, "问题"),
        (4, "生效日期"),
        (5, "状态"),
    ]
    # A repeated question is not an error: noted as skipped (imports.merge_duplicates).
    assert [(n.row, n.message) for n in outcome.notes] == [(6, imports.MSG_SKIPPED.format(first=2))]
    assert not Entry.objects.exists() and not EntryVersion.objects.exists()


@pytest.mark.parametrize("writer", [write_xlsx, write_csv], ids=["xlsx", "csv"])
def test_a_good_spreadsheet_is_imported_whole(cast, tmp_path, writer):
    path = writer(tmp_path / f"kb.{writer.__name__[6:]}", [GOOD])
    outcome = imports.import_file(acting_user=cast.user["root"], org=cast.org["P"], path=path)
    assert (outcome.created, outcome.published, outcome.errors) == (1, 1, [])
    entry = Entry.objects.get()
    assert entry.alternatives == ["组织关系怎么转", "关系转接"]
    assert entry.tags == ["转接", "介绍信"]
    assert entry.versions.get().action == "import"
    assert AuditEntry.objects.filter(action="kb.entry.import").exists()


def test_jsonl_errors_per_line(cast, tmp_path):
    path = tmp_path / "kb.jsonl"
    lines = [
        json.dumps({"question": "好问题是什么？", "answer": "好答案"}, ensure_ascii=False),
        "{broken",
        "[1, 2]",
        json.dumps(
            {"question": "列表不对的问题？", "answer": "答", "tags": "甲"}, ensure_ascii=False
        ),
        json.dumps({"question": "类型不对的问题？", "answer": 5}, ensure_ascii=False),
        json.dumps({"question": "过期的问题是什么？", "answer": "答", "valid_until": "2001-01-01"}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = imports.import_file(acting_user=None, org=cast.org["P"], path=path, publish=True)
    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, ""),
        (3, ""),
        (5, "answer"),
        (6, "valid_until"),
    ]
    assert not Entry.objects.exists()


def test_unknown_format_and_empty_file(cast, tmp_path):
    with pytest.raises(SheetError):
        imports.import_file(acting_user=None, org=cast.org["P"], path=tmp_path / "kb.txt")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(SheetError):
        imports.import_file(acting_user=None, org=cast.org["P"], path=empty)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "jsonl"])
def test_export_reads_back(cast, tmp_path, fmt):
    path = write_xlsx(tmp_path / "kb.xlsx", [GOOD])
    imports.import_file(acting_user=None, org=cast.org["P"], path=path)
    data = imports.export_bytes(Entry.objects.all(), fmt)
    Entry.objects.all().delete()
    again = tmp_path / f"again.{fmt}"
    again.write_bytes(data)
    outcome = imports.import_file(acting_user=None, org=cast.org["C1"], path=again)
    assert outcome.errors == [] and outcome.created == 1
    entry = Entry.objects.get()
    assert (entry.question, entry.alternatives, entry.tags, entry.status) == (
        GOOD[0],
        ["组织关系怎么转", "关系转接"],
        ["转接", "介绍信"],
        "published",
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "jsonl"])
def test_export_names_the_tier_and_reads_it_back(cast, tmp_path, fmt):
    """Curated and imported entries stay apart in an export and in the file read back."""
    path = write_xlsx(tmp_path / "kb.xlsx", [GOOD])
    imports.import_file(acting_user=None, org=cast.org["P"], path=path)
    Entry.objects.update(tier=EntryTier.IMPORTED)
    data = imports.export_bytes(Entry.objects.all(), fmt)
    Entry.objects.all().delete()
    again = tmp_path / f"again.{fmt}"
    again.write_bytes(data)
    outcome = imports.import_file(acting_user=None, org=cast.org["C1"], path=again)
    assert outcome.errors == [] and outcome.created == 1
    assert Entry.objects.get().tier == EntryTier.IMPORTED


def test_a_file_without_the_tier_holds_curated_entries_and_a_wrong_tier_is_refused(cast, tmp_path):
    path = write_xlsx(tmp_path / "kb.xlsx", [GOOD])
    imports.import_file(acting_user=None, org=cast.org["P"], path=path)
    assert Entry.objects.get().tier == EntryTier.CURATED
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"question": "层级不对的问题？", "answer": "答", "tier": "网上抄的"}),
        encoding="utf-8",
    )
    outcome = imports.import_file(acting_user=None, org=cast.org["C1"], path=bad)
    assert [(e.row, e.column, e.message) for e in outcome.errors] == [(1, "tier", imports.MSG_TIER)]


def test_the_starter_base_imports_cleanly(cast):
    total = 0
    for path in sorted(STARTER.glob("*.jsonl")):
        outcome = imports.import_file(acting_user=None, org=cast.org["P"], path=path, publish=True)
        assert outcome.errors == [], [str(e) for e in outcome.errors[:5]]
        total += outcome.created
    assert Entry.objects.filter(status="published").count() == total >= 300
