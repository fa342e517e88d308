"""Import bombs: tiny files that claim (or hold) huge sheets are refused at constant memory.

Issue 10: a 1.6 KB .xlsx declaring ``A1:AX1048576`` with one cell in row 1048576 grew
the server by ~500 MB (``A1:XFD1048576``: MemoryError near 3 GB), because the reader
padded every declared row into a list before counting. Each bomb here is read in a
subprocess whose address space is capped (RLIMIT_AS), through the knowledge-base
import's reader and the generic one every other import uses (members, pages, commands); it must end in the reader's Chinese refusal,
not in MemoryError. The subprocess timeout only guards against a hang.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dangjian.core import excel

ROOT = Path(__file__).resolve().parents[2]
ADDRESS_SPACE = 400 * 1024 * 1024  # Django + openpyxl + the KB app start at ~230 MB
GROWTH_LIMIT_KB = 60 * 1024  # resident-set growth while reading, in kB

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)  # fmt: skip
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)  # fmt: skip
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)  # fmt: skip
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>问题</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>答案</t></is></c></row>'
)
LAST_ROW = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def _xlsx(path: Path, sheet: str, strings: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr(
            "xl/sharedStrings.xml",
            strings or f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="0"/>',
        )
    return path


def _sheet(dimension: str, rows: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def _dimension_bomb(tmp: Path, dimension: str) -> Path:
    return _xlsx(
        tmp / f"bomb-{dimension.replace(':', '-')}.xlsx", _sheet(dimension, HEADER_ROW + LAST_ROW)
    )


def _wide_row(tmp: Path) -> Path:
    """One row holding a million empty cells: 1 KB compressed, far past Excel's width."""
    return _xlsx(
        tmp / "wide.xlsx",
        _sheet("A1:B2", HEADER_ROW + '<row r="2">' + "<c/>" * 1_000_000 + "</row>"),
    )


def _string_table(tmp: Path) -> Path:
    """Two million one-letter shared strings: openpyxl would keep every one in a list."""
    strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>'
        + "<si><t>a</t></si>" * 2_000_000
        + "</sst>"
    )
    return _xlsx(tmp / "strings.xlsx", _sheet("A1:B1", HEADER_ROW), strings)


def _entities(tmp: Path) -> Path:
    """The billion laughs, in a worksheet."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet {NS}><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&j;</t></is></c></row></sheetData></worksheet>'
    )
    return _xlsx(tmp / "entities.xlsx", sheet)


def _long_csv(tmp: Path) -> Path:
    """8 MB, two million rows (the run that cost 13.6 s and 779 MB)."""
    path = tmp / "long.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("问题,答案\n")
        fh.write("q,a\n" * 2_000_000)
    return path


def _wide_csv(tmp: Path) -> Path:
    path = tmp / "wide.csv"
    path.write_text("问题,答案\n" + "," * 4_000_000 + "\n", encoding="utf-8")
    return path


def _quoted_csv(tmp: Path) -> Path:
    """One row of short quoted fields each holding a line break: every line is short, the
    row is not (the bound is per row, however many lines it spans)."""
    path = tmp / "quoted.csv"
    path.write_text("问题,答案\n" + '"\n",' * 400_000 + "a\n", encoding="utf-8")
    return path


READER = """
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
import django
django.setup()
from dangjian.knowledge import imports
from dangjian.core.excel import SheetError, read_sheet
from dangjian.core.excel import Column
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {}
for name, read in (
    ("kb", lambda p: imports.read(p)),
    ("sheet", lambda p: read_sheet(p, [Column("问题", "q", required=True)])),
):
    try:
        read(sys.argv[1])
        out[name] = "read"
    except SheetError as exc:
        out[name] = str(exc)
out["growth_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(out, ensure_ascii=False))
""".replace("ADDRESS_SPACE", str(ADDRESS_SPACE))


def _read_capped(path: Path) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,  # a hang guard, not a speed assertion
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


ROWS = excel.MSG_TOO_MANY_ROWS.split("{")[0]
COLUMNS = excel.MSG_TOO_MANY_COLUMNS.split("{")[0]


@pytest.mark.parametrize(
    ("bomb", "expected"),
    [
        (lambda tmp: _dimension_bomb(tmp, "A1:AX1048576"), ROWS),
        (lambda tmp: _dimension_bomb(tmp, "A1:XFD1048576"), ROWS),
        (_wide_row, COLUMNS),
        (_string_table, excel.MSG_TOO_MANY_STRINGS.split("（")[0]),
        (_entities, excel.MSG_BROKEN),
        (_long_csv, ROWS),
        (_wide_csv, excel.MSG_ROW_TOO_LONG.split("{")[0]),
        (_quoted_csv, excel.MSG_ROW_TOO_LONG.split("{")[0]),
    ],
    ids=["dimension-AX", "dimension-XFD", "wide-row", "string-table", "entities", "long-csv", "wide-csv", "quoted-csv"],
)  # fmt: skip
def test_bomb_is_refused_at_constant_memory(tmp_path, bomb, expected):
    path = bomb(tmp_path)
    result = _read_capped(path)
    assert result["kb"].startswith(expected), result
    assert result["sheet"].startswith(expected), result
    assert result["growth_kb"] < GROWTH_LIMIT_KB, result


def test_the_same_reader_still_reads_an_honest_sheet(tmp_path):
    """The bounds do not cost the normal case: a real workbook with dates, gaps and
    extra columns reads as before (what openpyxl writes, including its dimension)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "入党日期", *(f"备注{i}" for i in range(150))])
    sheet.append(["张三", __import__("datetime").date(2020, 7, 1)])
    sheet.append([])
    sheet.append(["李四", "2021-07-01"])
    book.save(tmp_path / "ok.xlsx")
    columns = [excel.Column("姓名", "name", required=True), excel.Column("入党日期", "joined")]
    read = excel.read_sheet(tmp_path / "ok.xlsx", columns)
    assert read.rows == [
        {"name": "张三", "joined": "2020-07-01"},
        {"name": "李四", "joined": "2021-07-01"},
    ]
    assert read.row_numbers == [2, 4]
    assert len(read.headers) == excel.LIMITS.columns  # the 52 columns past the limit are dropped


def test_row_limit_is_the_sheets_own_numbering(tmp_path):
    """Exactly ``rows`` data rows pass; one more is refused, for .xlsx and .csv alike."""
    limits = excel.Limits(rows=3)
    columns = [excel.Column("问题", "q", required=True)]
    for count, ok in ((3, True), (4, False)):
        path = tmp_path / f"n{count}.csv"
        path.write_text("问题\n" + "".join(f"q{i}\n" for i in range(count)), encoding="utf-8")
        if ok:
            assert len(excel.read_sheet(path, columns, limits=limits).rows) == count
        else:
            with pytest.raises(excel.SheetError, match="超过 3 行"):
                excel.read_sheet(path, columns, limits=limits)


def test_the_api_answers_the_bomb_with_a_422(cast, bearer, client, tmp_path):
    """Through the knowledge-base import endpoint: a field error on the file, nothing 5xx."""
    path = _dimension_bomb(tmp_path, "A1:XFD1048576")
    with open(path, "rb") as fh:
        response = client.post(
            "/api/v1/consult/kb/import", {"file": fh}, **bearer(cast.user["agent"])
        )
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "file"] and detail[0]["msg"].startswith(ROWS)


def test_unpacked_size_is_bounded_by_what_the_archive_claims(tmp_path):
    path = _dimension_bomb(tmp_path, "A1:B2")
    with pytest.raises(excel.SheetError, match="解压后超过"):
        excel.read_sheet(path, [], limits=excel.Limits(unpacked_bytes=1000))
