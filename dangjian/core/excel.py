"""Spreadsheet import: .xlsx (openpyxl) and .csv in, row-level error reports out.

A sheet is read by its header row, matched on the (Chinese) column names, so the
columns may come in any order and extra columns are ignored. Row numbers are the
sheet's own (the header is row 1), as a person sees them in Excel. Errors are
collected for every row, returned as a list and written back as an .xlsx: the
original columns plus an 错误 column, only for the rows that failed.
"""

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

ERROR_HEADER = "错误"
MSG_FORMAT = "只支持 .xlsx 与 .csv 文件"
MSG_MISSING = "缺少必填列：{columns}"
MSG_EMPTY = "文件中没有表头"
MSG_DATE = "日期格式应为 2020-07-01"


class SheetError(Exception):
    """The file as a whole cannot be read (format, missing columns)."""


@dataclass(frozen=True)
class Column:
    header: str  # as written in the sheet's first row
    key: str  # the name the importer uses
    required: bool = False


@dataclass
class Sheet:
    """The rows as ``{key: text}``, each with its sheet row number; headers as read."""

    headers: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    raw: list[list] = field(repr=False)


@dataclass(frozen=True)
class RowError:
    row: int  # sheet row number (header = 1)
    column: str  # header of the column at fault ('' for the row as a whole)
    message: str

    def __str__(self) -> str:
        where = f"“{self.column}”" if self.column else ""
        return f"第{self.row}行{where}：{self.message}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _text(value) -> str:
    """A cell as text: numbers without '.0' or exponent, dates as ISO, blanks as ''."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path) -> list[list]:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_csv(path: Path) -> list[list]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves GB18030
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("无法识别的文本编码（请使用 UTF-8 或 GB18030）")
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]


def read_sheet(path: Path, columns: Iterable[Column]) -> Sheet:
    """Read the first sheet of an .xlsx, or a .csv, mapping headers to keys."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        raw = _read_xlsx(path)
    elif suffix == ".csv":
        raw = _read_csv(path)
    else:
        raise SheetError(MSG_FORMAT)
    if not raw:
        raise SheetError(MSG_EMPTY)
    headers = [_text(h) for h in raw[0]]
    columns = list(columns)
    missing = [c.header for c in columns if c.required and c.header not in headers]
    if missing:
        raise SheetError(MSG_MISSING.format(columns="、".join(missing)))
    where = {c.key: headers.index(c.header) for c in columns if c.header in headers}
    rows, numbers, kept = [], [], []
    for number, values in enumerate(raw[1:], 2):
        if all(_text(v) == "" for v in values):
            continue  # blank lines between blocks are not rows
        rows.append(
            {
                key: _text(values[index]) if index < len(values) else ""
                for key, index in where.items()
            }
        )
        numbers.append(number)
        kept.append(values)
    return Sheet(headers=headers, rows=rows, row_numbers=numbers, raw=kept)


def parse_date(text: str) -> dt.date | None:
    """2020-07-01, 2020/7/1, 2020.7.1 or 20200701; '' is None; else ValueError."""
    if not text:
        return None
    text = text.strip().split("T")[0].split(" ")[0]
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(MSG_DATE)


def write_error_report(path: Path, sheet: Sheet, errors: list[RowError]) -> Path:
    """The failing rows as they were, with an 错误 column saying what is wrong."""
    by_row: dict[int, list[str]] = {}
    for error in errors:
        text = f"{error.column}：{error.message}" if error.column else error.message
        by_row.setdefault(error.row, []).append(text)
    book = Workbook()
    ws = book.active
    ws.title = "错误报告"
    ws.append(["行号", *sheet.headers, ERROR_HEADER])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FDE2E1")
    for number, values in zip(sheet.row_numbers, sheet.raw, strict=True):
        if number not in by_row:
            continue
        ws.append([number, *(_text(v) for v in values), "；".join(by_row[number])])
        ws.cell(row=ws.max_row, column=ws.max_column).fill = red
    for number in sorted(set(by_row) - set(sheet.row_numbers)):
        ws.append([number, *([""] * len(sheet.headers)), "；".join(by_row[number])])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
