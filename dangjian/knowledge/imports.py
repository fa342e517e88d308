"""Knowledge-base import and export: Excel (.xlsx), CSV and JSONL.

A file is all or nothing: every row is checked first (the services' own rules, plus
duplicates within the file); any error → nothing is written and the caller gets every
bad row with its number (the sheet's row, header = 1; the JSONL file's line).

Spreadsheet columns: 问题, 答案, 相似问法 (one per line or separated by |), 分类,
标签 (separated by 、 , ， or |), 依据, 责任处室, 生效日期, 失效日期, 状态 (草稿/已发布, or
draft/published). JSONL lines are the starter base's format:
{"question", "answer", "alternatives": [...], "category", "tags": [...], "source",
"owner_office", "valid_from", "valid_until"} (optionally "status", "kind").
"""

import csv
import dataclasses
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from dangjian.core.excel import (
    LIMITS,
    Budget,
    Column,
    RowError,
    SheetError,
    parse_date,
    read_sheet,
    text_lines,
)
from dangjian.core.text import normalize_name
from dangjian.knowledge.models import Entry, EntryKind, EntryStatus, EntryTier
from dangjian.knowledge.services import kb as services

COLUMNS = [
    Column("问题", "question", required=True),
    Column("答案", "answer", required=True),
    Column("相似问法", "alternatives"),
    Column("分类", "category"),
    Column("标签", "tags"),
    Column("依据", "source"),
    Column("责任处室", "office"),
    Column("生效日期", "valid_from"),
    Column("失效日期", "valid_until"),
    Column("状态", "status"),
    Column("层级", "tier"),
]
HEADER = {c.key: c.header for c in COLUMNS}
JSONL_KEYS = {
    "question": "question",
    "answer": "answer",
    "alternatives": "alternatives",
    "category": "category",
    "tags": "tags",
    "source": "source",
    "owner_office": "office",
    "office": "office",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "status": "status",
    "kind": "kind",
    "tier": "tier",
}
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
MAX_ROWS = 50_000
# The reader's own bounds (size, width, time), with this import's row limit.
READ_LIMITS = dataclasses.replace(LIMITS, rows=MAX_ROWS)

MSG_FORMAT = "只支持 .xlsx、.csv 与 .jsonl 文件"
MSG_JSON = "不是有效的 JSON：{error}"
MSG_OBJECT = "每行应为一个 JSON 对象"
MSG_LIST = "应为文本列表"
MSG_TEXT = "应为文本"
MSG_STATUS = "状态应为 草稿 或 已发布"
MSG_TIER = "层级应为 精编问答 或 题库导入"
MSG_EMPTY = "文件中没有数据行"
MSG_TOO_MANY = f"单个文件最多 {MAX_ROWS} 条"
MSG_ENCODING = "无法识别的文本编码（请使用 UTF-8）"
MSG_MERGED = "与第{first}行问题、答案相同，已合并到第{first}行"
MSG_SKIPPED = "与第{first}行问题相同而答案不同，已跳过（保留第{first}行）"

_STATUS = {
    "": EntryStatus.DRAFT,
    "草稿": EntryStatus.DRAFT,
    "draft": EntryStatus.DRAFT,
    "已发布": EntryStatus.PUBLISHED,
    "发布": EntryStatus.PUBLISHED,
    "published": EntryStatus.PUBLISHED,
}
# A file without the column (an editor's own sheet) holds curated entries.
_TIER = {
    "": EntryTier.CURATED,
    "精编问答": EntryTier.CURATED,
    "curated": EntryTier.CURATED,
    "题库导入": EntryTier.IMPORTED,
    "imported": EntryTier.IMPORTED,
}
_ALT_SPLIT = re.compile(r"[\n|]+")
_TAG_SPLIT = re.compile(r"[、,，|;；\n]+")


@dataclass
class Parsed:
    """The file's rows as service fields, each with its row/line number, the errors, and
    the notes on rows merged into or skipped for an earlier row with the same question."""

    rows: list[dict] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)


def _split(text: str, pattern: re.Pattern) -> list[str]:
    return [part.strip() for part in pattern.split(text or "") if part.strip()]


def _sheet_row(number: int, raw: dict[str, str], out: Parsed) -> None:
    row: dict = {
        "question": raw.get("question", ""),
        "answer": raw.get("answer", ""),
        "alternatives": _split(raw.get("alternatives", ""), _ALT_SPLIT),
        "tags": _split(raw.get("tags", ""), _TAG_SPLIT),
        "category": raw.get("category", ""),
        "source": raw.get("source", ""),
        "office": raw.get("office", ""),
    }
    errors = []
    for key in ("valid_from", "valid_until"):
        try:
            row[key] = parse_date(raw.get(key, ""))
        except ValueError as exc:
            errors.append(RowError(number, HEADER[key], str(exc)))
    status = _STATUS.get(raw.get("status", "").strip().lower())
    if status is None:
        errors.append(RowError(number, HEADER["status"], MSG_STATUS))
    row["status"] = status
    tier = _TIER.get(raw.get("tier", "").strip().lower())
    if tier is None:
        errors.append(RowError(number, HEADER["tier"], MSG_TIER))
    row["tier"] = tier
    out.errors.extend(errors)
    if not errors:
        out.rows.append(row)
        out.numbers.append(number)


def _read_sheet(path: Path) -> Parsed:
    sheet = read_sheet(path, COLUMNS, limits=READ_LIMITS)
    out = Parsed()
    for number, raw in zip(sheet.row_numbers, sheet.rows, strict=True):
        _sheet_row(number, raw, out)
    return out


def _json_value(key: str, value, number: int, errors: list[RowError]):
    """A JSONL field as the service wants it; a wrong type is an error on that line."""
    if key in ("alternatives", "tags"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(RowError(number, key, MSG_LIST))
            return []
        return value
    if value is None:
        return None if key in ("valid_from", "valid_until") else ""
    if not isinstance(value, str):
        errors.append(RowError(number, key, MSG_TEXT))
        return ""
    if key in ("valid_from", "valid_until"):
        try:
            return parse_date(value)
        except ValueError as exc:
            errors.append(RowError(number, key, str(exc)))
            return None
    if key == "status":
        status = _STATUS.get(value.strip().lower())
        if status is None:
            errors.append(RowError(number, key, MSG_STATUS))
        return status
    if key == "tier":
        tier = _TIER.get(value.strip().lower())
        if tier is None:
            errors.append(RowError(number, key, MSG_TIER))
        return tier
    return value


def _read_jsonl(path: Path) -> Parsed:
    lines = text_lines(
        path, limits=READ_LIMITS, encodings=("utf-8-sig",), encoding_message=MSG_ENCODING
    )
    out = Parsed()
    budget = Budget(READ_LIMITS)
    for number, line in enumerate(lines, 1):
        budget.row(number + 1)  # a line is a row; there is no header line
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            out.errors.append(RowError(number, "", MSG_JSON.format(error=exc.msg)))
            continue
        if not isinstance(data, dict):
            out.errors.append(RowError(number, "", MSG_OBJECT))
            continue
        errors: list[RowError] = []
        row = {
            JSONL_KEYS[k]: _json_value(JSONL_KEYS[k], v, number, errors)
            for k, v in data.items()
            if k in JSONL_KEYS
        }
        row.setdefault("status", EntryStatus.DRAFT)
        row["tier"] = row.get("tier") or EntryTier.CURATED
        if row.get("kind") not in (None, *EntryKind.values):
            errors.append(RowError(number, "kind", services.MSG_KIND))
        out.errors.extend(errors)
        if not errors:
            out.rows.append(row)
            out.numbers.append(number)
    return out


def read(path: Path) -> Parsed:
    """Parse an .xlsx, .csv or .jsonl file (format errors per row; SheetError if unreadable)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".csv"):
        parsed = _read_sheet(path)
    elif suffix in (".jsonl", ".ndjson"):
        parsed = _read_jsonl(path)
    else:
        raise SheetError(MSG_FORMAT)
    if not parsed.rows and not parsed.errors:
        raise SheetError(MSG_EMPTY)
    if len(parsed.rows) + len(parsed.errors) > MAX_ROWS:
        raise SheetError(MSG_TOO_MANY)
    return parsed


def _question_key(question) -> str:
    """The question as the services compare it (NFC, blanks collapsed)."""
    return " ".join(normalize_name(question if isinstance(question, str) else "").split())


def _merge_in(kept: dict, row: dict) -> None:
    for key in ("alternatives", "tags"):
        values = list(kept.get(key) or [])
        values += [v for v in row.get(key) or [] if v not in values]
        kept[key] = values


def merge_duplicates(parsed: Parsed) -> None:
    """One question, one entry: a later row repeating an earlier row's question is merged
    into it when the answers agree (its alternatives and tags added), skipped when they
    differ — either way noted, so a source with repeated stems imports instead of failing
    on hundreds of duplicate errors. Duplicates of entries already in the database are
    still errors (the services' rule): re-importing a file never doubles it."""
    first: dict[str, int] = {}
    rows, numbers = [], []
    for number, row in zip(parsed.numbers, parsed.rows, strict=True):
        key = _question_key(row.get("question"))
        if key and key in first:
            kept = first[key]
            if (rows[kept].get("answer") or "").strip() == (row.get("answer") or "").strip():
                _merge_in(rows[kept], row)
                message = MSG_MERGED
            else:
                message = MSG_SKIPPED
            parsed.notes.append(RowError(number, "", message.format(first=numbers[kept])))
            continue
        if key:
            first[key] = len(rows)
        rows.append(row)
        numbers.append(number)
    parsed.rows, parsed.numbers = rows, numbers


def _column(field_name: str, jsonl: bool) -> str:
    if jsonl:
        return "owner_office" if field_name == "office" else field_name
    return HEADER.get(field_name, "")


def validate(*, org, path: Path, publish: bool = False) -> Parsed:
    """Every error in the file: format errors, then the services' rules per row."""
    parsed = read(path)
    merge_duplicates(parsed)
    jsonl = Path(path).suffix.lower() in (".jsonl", ".ndjson")
    rows = [{**r, "status": EntryStatus.PUBLISHED} if publish else r for r in parsed.rows]
    for index, errors in services.entries_validate(org=org, rows=rows).items():
        number = parsed.numbers[index - 1]
        for name, message in errors.items():
            parsed.errors.append(RowError(number, _column(name, jsonl), message))
    parsed.errors.sort(key=lambda e: e.row)
    parsed.rows = rows
    return parsed


@dataclass(frozen=True)
class Outcome:
    created: int
    published: int
    errors: list[RowError]
    notes: list[RowError] = field(default_factory=list)  # duplicates merged or skipped


def import_file(
    *, acting_user, org, path: Path, publish: bool = False, ip: str | None = None
) -> Outcome:
    """Import the whole file, or nothing and the list of bad rows."""
    parsed = validate(org=org, path=path, publish=publish)
    if parsed.errors:
        return Outcome(0, 0, parsed.errors, parsed.notes)
    created = services.entry_bulk_create(
        acting_user=acting_user, org=org, rows=parsed.rows, publish=publish, ip=ip
    )
    published = sum(e.status == EntryStatus.PUBLISHED for e in created)
    return Outcome(len(created), published, [], parsed.notes)


# --- Export


def _sheet_values(entry: Entry) -> list[str]:
    return [
        entry.question,
        entry.answer,
        "\n".join(entry.alternatives or ()),
        entry.category,
        "、".join(entry.tags or ()),
        entry.source,
        entry.office,
        entry.valid_from.isoformat() if entry.valid_from else "",
        entry.valid_until.isoformat() if entry.valid_until else "",
        entry.get_status_display(),
        entry.get_tier_display(),
    ]


def _safe(value: str) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @ at the start) in exported text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _jsonl_line(entry: Entry) -> str:
    data = {
        "question": entry.question,
        "answer": entry.answer,
        "alternatives": list(entry.alternatives or ()),
        "category": entry.category,
        "tags": list(entry.tags or ()),
        "source": entry.source,
        "owner_office": entry.office,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "status": entry.status,
        "kind": entry.kind,
        "tier": entry.tier,
    }
    return json.dumps(data, ensure_ascii=False)


def export_bytes(entries, fmt: str) -> bytes:
    """The entries as a file the importer reads back (same columns, same keys)."""
    if fmt == "jsonl":
        return "".join(_jsonl_line(e) + "\n" for e in entries).encode("utf-8")
    headers = [c.header for c in COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for entry in entries:
            writer.writerow([_safe(v) for v in _sheet_values(entry)])
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("知识库")
    sheet.append(headers)
    for entry in entries:
        sheet.append([_safe(v) for v in _sheet_values(entry)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
