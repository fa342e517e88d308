"""Importing dues bases from a spreadsheet (党费基数批量核定), on the core import runner.

Columns: 公民身份号码, 类别 (在职/离退休/个体/自由职业/农民/学生/下岗失业/享受最低生活保障,
or their codes), 交纳基数（元）, 起始月份 (2026-01 or a date), 自愿交纳额（元）. Members are
found by ID number among those the acting user may set bases for; anything else reads as
unknown. Every row is checked first (rules.monthly_amount); a file with any error writes
nothing.
"""

import datetime as dt
import io
from pathlib import Path

from dangjian.core import crypto, scope
from dangjian.core.excel import Column, RowError, Sheet, SheetError, parse_date, read_sheet
from dangjian.core.imports import MSG_NO_ROWS, Importer, ImportRefused
from dangjian.core.scope import Perm
from dangjian.dues import rules, services
from dangjian.members.models import ID_INDEX, Member

COLUMNS = [
    Column("公民身份号码", "id_number", required=True),
    Column("类别", "category", required=True),
    Column("交纳基数（元）", "base"),
    Column("起始月份", "month", required=True),
    Column("自愿交纳额（元）", "voluntary"),
]
HEADER = {c.key: c.header for c in COLUMNS}
MSG_MEMBER = "未找到该党员，或您无权核定其党费基数"
MSG_CATEGORY = "应为以下之一：{options}"
_CATEGORY = {
    **{c.label: c.value for c in rules.Category},
    **{c.value: c.value for c in rules.Category},
}


def _month(text: str) -> dt.date:
    text = text.strip()
    if len(text) == 7:
        text += "-01"
    return rules.month_start(parse_date(text))


def convert(user, sheet: Sheet, start: int = 0) -> tuple[list[dict], list[RowError]]:
    rows, numbers = sheet.rows[start:], sheet.row_numbers[start:]
    digests = {crypto.blind_index(r.get("id_number", "").upper(), purpose=ID_INDEX) for r in rows}
    found = {
        m.id_number_digest: m
        for m in Member.objects.visible_to(user, Perm.VIEW_DUES)
        .filter(id_number_digest__in=digests)
        .select_related("branch")
        if scope.covers(user, Perm.CHANGE_DUES, m.branch.path)
    }
    out, errors = [], []
    for number, row in zip(numbers, rows, strict=True):
        row_errors = []
        member = found.get(crypto.blind_index(row.get("id_number", "").upper(), purpose=ID_INDEX))
        if member is None:
            row_errors.append(RowError(number, HEADER["id_number"], MSG_MEMBER))
        category = _CATEGORY.get(row.get("category", "").strip())
        if category is None:
            options = "、".join(str(c.label) for c in rules.Category)
            row_errors.append(
                RowError(number, HEADER["category"], MSG_CATEGORY.format(options=options))
            )
        values = {}
        for key in ("base", "voluntary"):
            text = row.get(key, "").strip()
            try:
                values[key] = rules.yuan_to_fen(text) if text else None
            except ValueError as exc:
                row_errors.append(RowError(number, HEADER[key], str(exc)))
        try:
            month = _month(row.get("month", ""))
        except ValueError as exc:
            row_errors.append(RowError(number, HEADER["month"], str(exc)))
        if not row_errors:
            try:
                rules.monthly_amount(category, values["base"], voluntary_fen=values["voluntary"])
            except ValueError as exc:
                row_errors.append(RowError(number, HEADER["base"], str(exc)))
            else:
                if month < rules.first_billable_month(member.joined_on):
                    row_errors.append(RowError(number, HEADER["month"], services.MSG_EFFECTIVE))
        if row_errors:
            errors.extend(row_errors)
            continue
        out.append(
            {
                "member": member,
                "category": category,
                "base_fen": values["base"],
                "voluntary_fen": values["voluntary"],
                "effective_month": month,
            }
        )
    return ([] if errors else out), errors


def write(user, rows: list[dict]) -> None:
    for row in rows:
        services.base_set(acting_user=user, **row)


IMPORTER = Importer(
    kind="dues.bases",
    columns=COLUMNS,
    convert=convert,
    write=write,
    audit_action="dues.base.import",
)


def preview(user, path) -> tuple[list[dict], list[RowError]]:
    """What importing ``path`` would do, writing nothing: the rows (each with its monthly
    amount) or every row's errors; ``ImportRefused`` for a file the runner refuses whole
    (unreadable, a required column missing, no data row)."""
    try:
        sheet = read_sheet(Path(path), COLUMNS, limits=IMPORTER.limits)
    except SheetError as exc:
        raise ImportRefused(str(exc)) from exc
    if not sheet.rows:
        raise ImportRefused(MSG_NO_ROWS)
    rows, errors = convert(user, sheet)
    for row in rows:
        row["amount_fen"] = rules.monthly_amount(
            row["category"],
            row["base_fen"],
            farmer_fen=services.farmer_fen(row["member"].branch),
            voluntary_fen=row["voluntary_fen"],
        ).fen
    return rows, errors


def template_xlsx() -> bytes:
    """The blank 党费基数表 to fill in, with a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "党费基数"
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (22, 16, 16, 12, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    notes = book.create_sheet("填写说明")
    categories = "、".join(str(c.label) for c in rules.Category)
    for line in (
        ["公民身份号码", "18位，须为您有权核定党费的党员"],
        ["类别", f"以下之一：{categories}"],
        ["交纳基数（元）", "在职、离退休、个体/自由职业必填，最多两位小数；其他类别不填"],
        ["起始月份", "如 2026-01，不能早于入党（成为预备党员）的月份"],
        ["自愿交纳额（元）", "本人自愿多交时填写，可不填"],
        ["说明", "整个文件校验通过才会导入；有任何错误则不导入任何一行"],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 70
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
