"""Spreadsheet import: .xlsx (openpyxl) and .csv in, row-level error reports out.

A sheet is read by its header row, matched on the (Chinese) column names, so the
columns may come in any order and extra columns are ignored. Row numbers are the
sheet's own (the header is row 1), as a person sees them in Excel. Errors are
collected for every row, returned as a list and written back as an .xlsx: the
original columns plus an 错误 column, only for the rows that failed.
"""

import codecs
import csv
import datetime as dt
import hashlib
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

ERROR_HEADER = "错误"
MSG_FORMAT = "只支持 .xlsx 与 .csv 文件"
MSG_MISSING = "缺少必填列：{columns}"
MSG_EMPTY = "文件中没有表头"
MSG_DATE = "日期格式应为 2020-07-01"
MSG_TOO_MANY_ROWS = "文件超过 {limit} 行，请拆分后分批导入"
MSG_TOO_MANY_COLUMNS = "文件超过 {limit} 列，请删去多余的列"
MSG_TOO_BIG = "文件过大（解压后超过 {mb} MB），请拆分后分批导入"
MSG_TOO_MANY_STRINGS = "文件中的文本单元格过多（超过 {limit} 个），请拆分后分批导入"
MSG_TOO_SLOW = "文件过于复杂，读取超时，请拆分后分批导入"
MSG_ROW_TOO_LONG = "文件中有一行超过 {limit} 个字符"
MSG_BROKEN = "文件已损坏，或不是有效的 .xlsx 文件"
MSG_ENCODING = "无法识别的文本编码（请使用 UTF-8 或 GB18030）"
MSG_CSV = "CSV 格式有误（第{line}行附近），请在 Excel 中另存为 CSV 后重试"
# Excel's own maximum: a row holding more cells is not a spreadsheet, it is an attack.
MAX_CELLS_PER_ROW = 16_384
ENCODINGS = ("utf-8-sig", "gb18030")  # Excel on Chinese Windows saves GB18030


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


@dataclass(frozen=True)
class Limits:
    """What one import may cost, whatever the file claims about itself.

    A sheet's declared dimensions, a zip member's ratio and a CSV's line length are the
    attacker's to choose: a 1.6 KB .xlsx can declare a million rows. Every bound here is
    checked while reading, so a file over any of them is refused at constant memory, in
    well under a second for the cheap cases and within ``seconds`` for the rest.
    """

    rows: int = 100_000  # sheet rows after the header, blank ones included
    columns: int = 100  # read; the columns after these are ignored
    file_bytes: int = 64 * 1024 * 1024  # on disk (.csv, .jsonl, the .xlsx archive)
    unpacked_bytes: int = 128 * 1024 * 1024  # an .xlsx's members once decompressed
    shared_strings: int = 1_000_000
    row_chars: int = 1_000_000  # one CSV/JSONL row, however many lines it spans
    seconds: float = 20.0


LIMITS = Limits()


class Budget:
    """The running cost of one read: rows seen and time spent, against ``Limits``."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise SheetError(MSG_TOO_SLOW)

    def row(self, number: int) -> None:
        """``number`` is the sheet's row number (header = 1)."""
        if number - 1 > self.limits.rows:
            raise SheetError(MSG_TOO_MANY_ROWS.format(limit=self.limits.rows))
        self.tick()


def _check_file_size(path: Path, limits: Limits) -> None:
    if path.stat().st_size > limits.file_bytes:
        raise SheetError(MSG_TOO_BIG.format(mb=limits.file_bytes // (1024 * 1024)))


class _Scan:
    """A streaming pass over one XML part (expat, constant memory) before openpyxl reads it.

    openpyxl builds each ``<row>`` element whole and keeps the shared strings in a list,
    so a row of a million cells or a million tiny strings would be built in memory; here
    they are counted as they stream past and refused at the limit. A DOCTYPE (never in a
    real workbook; the door to entity expansion) is refused outright.
    """

    def __init__(self, budget: Budget):
        self.budget = budget
        self.cells = 0
        self.rows = 0
        self.strings = 0

    def start(self, name: str, attrs: dict) -> None:
        local = name.rsplit(" ", 1)[-1]
        limits = self.budget.limits
        if local == "c":
            self.cells += 1
            if self.cells > MAX_CELLS_PER_ROW:
                raise SheetError(MSG_TOO_MANY_COLUMNS.format(limit=MAX_CELLS_PER_ROW))
        elif local == "row":
            self.cells = 0
            self.rows += 1
            number = attrs.get("r")
            self.budget.row(int(number) if number and number.isdigit() else self.rows)
        elif local == "si":
            self.strings += 1
            if self.strings > limits.shared_strings:
                raise SheetError(MSG_TOO_MANY_STRINGS.format(limit=limits.shared_strings))

    @staticmethod
    def doctype(*args) -> None:
        raise SheetError(MSG_BROKEN)

    def run(self, source) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = self.start
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        try:
            for chunk in iter(lambda: source.read(1 << 16), b""):
                parser.Parse(chunk, False)
                self.budget.tick()
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise SheetError(MSG_BROKEN) from exc


def _scan_xlsx(path: Path, budget: Budget) -> None:
    """Refuse an archive whose parts are too big, too long or too wide, before parsing it.

    ``ZipInfo.file_size`` is what the archive claims; zipfile stops reading a member at
    that size, so the claim bounds what openpyxl will see.
    """
    limits = budget.limits
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > limits.unpacked_bytes:
                raise SheetError(MSG_TOO_BIG.format(mb=limits.unpacked_bytes // (1024 * 1024)))
            for member in members:
                if member.filename.endswith(".xml"):
                    with archive.open(member) as source:
                        _Scan(budget).run(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise SheetError(MSG_BROKEN) from exc


def _read_xlsx(path: Path, budget: Budget) -> Iterator[list]:
    from openpyxl import load_workbook  # openpyxl (and numpy) load only when a sheet is read

    _scan_xlsx(path, budget)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise SheetError(MSG_BROKEN) from exc
    try:
        if not book.worksheets:
            return
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # never pad rows to what the file declares
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            budget.row(number)
            yield list(row[: budget.limits.columns])
    finally:
        book.close()


class _Lines:
    """A text file's lines, each at most ``row_chars`` long, counting characters since the
    caller last called ``reset`` (one CSV row may span lines inside quotes)."""

    def __init__(self, handle, limits: Limits):
        self.handle = handle
        self.limits = limits
        self.pending = 0

    def reset(self) -> None:
        self.pending = 0

    def __iter__(self) -> Iterator[str]:
        cap = self.limits.row_chars
        while line := self.handle.readline(cap + 1):
            self.pending += len(line)
            if self.pending > cap:
                raise SheetError(MSG_ROW_TOO_LONG.format(limit=cap))
            yield line


def text_lines(
    path: Path, *, limits: Limits = LIMITS, encodings=ENCODINGS, encoding_message=MSG_ENCODING
) -> Iterator[str]:
    """A text file's lines, streamed, each bounded by ``limits.row_chars``.

    The encoding is the first of ``encodings`` that decodes the whole file (found in a
    first streaming pass, so no line is ever yielded under a wrong guess).
    """
    path = Path(path)
    _check_file_size(path, limits)
    encoding = _detect_encoding(path, encodings, encoding_message)
    with open(path, encoding=encoding, newline="") as handle:
        lines = _Lines(handle, limits)
        for line in lines:
            lines.reset()
            yield line


def _detect_encoding(path: Path, encodings, message: str = MSG_ENCODING) -> str:
    """The first encoding that decodes the whole file (read in chunks, constant memory)."""
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise SheetError(message)


def _read_csv(path: Path, budget: Budget) -> Iterator[list]:
    _check_file_size(path, budget.limits)
    encoding = _detect_encoding(path, ENCODINGS)
    with open(path, encoding=encoding, newline="") as handle:
        lines = _Lines(handle, budget.limits)
        reader = csv.reader(lines)
        try:
            for number, row in enumerate(reader, 1):
                budget.row(number)
                lines.reset()
                if len(row) > MAX_CELLS_PER_ROW:
                    raise SheetError(MSG_TOO_MANY_COLUMNS.format(limit=MAX_CELLS_PER_ROW))
                yield row[: budget.limits.columns]
        except csv.Error as exc:
            raise SheetError(MSG_CSV.format(line=reader.line_num)) from exc


def read_sheet(path: Path, columns: Iterable[Column], *, limits: Limits = LIMITS) -> Sheet:
    """Read the first sheet of an .xlsx, or a .csv, mapping headers to keys.

    Streams the file and stops at the first limit crossed (``Limits``): SheetError with
    a message saying which, whatever the file declares about its own size.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    budget = Budget(limits)
    if suffix == ".xlsx":
        _check_file_size(path, limits)
        source = _read_xlsx(path, budget)
    elif suffix == ".csv":
        source = _read_csv(path, budget)
    else:
        raise SheetError(MSG_FORMAT)
    first = next(source, None)
    if first is None:
        raise SheetError(MSG_EMPTY)
    headers = [_text(h) for h in first]
    columns = list(columns)
    missing = [c.header for c in columns if c.required and c.header not in headers]
    if missing:
        raise SheetError(MSG_MISSING.format(columns="、".join(missing)))
    where = {c.key: headers.index(c.header) for c in columns if c.header in headers}
    rows, numbers, kept = [], [], []
    for number, values in enumerate(source, 2):
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
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

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
