"""Importing member records from a spreadsheet (党员信息批量导入).

The sheet's columns are named as in 党员名册: 姓名, 公民身份号码, 手机号, 民族, 学历, 职业,
入党日期, 转正日期, 党籍状态, 所在党支部代码, 家庭住址. Choices (学历, 党籍状态) may be
written as their Chinese labels or their codes. Branches are found by code within the
acting user's change scope, so a code outside it reads as unknown — as with every other
object outside scope. The rules are members.services' own (member_bulk_validate).
"""

from dangjian.core import scope
from dangjian.core.excel import Column, RowError, Sheet, parse_date
from dangjian.core.imports import Importer
from dangjian.core.scope import Perm
from dangjian.members import services
from dangjian.members.choices import Education, Status
from dangjian.orgs import selectors as org_selectors

KIND = "members"
COLUMNS = [
    Column("姓名", "name", required=True),
    Column("公民身份号码", "id_number", required=True),
    Column("手机号", "phone"),
    Column("民族", "ethnicity", required=True),
    Column("学历", "education", required=True),
    Column("职业", "occupation"),
    Column("入党日期", "joined_on", required=True),
    Column("转正日期", "full_member_on"),
    Column("党籍状态", "status", required=True),
    Column("所在党支部代码", "branch_code", required=True),
    Column("家庭住址", "address"),
]
HEADER = {c.key: c.header for c in COLUMNS}
# Service field → the column a person fixes (sex and birth date come from the ID number).
FIELD_COLUMN = {
    **HEADER,
    "branch": HEADER["branch_code"],
    "gender": HEADER["id_number"],
    "birth_date": HEADER["id_number"],
    "__all__": "",
}

MSG_BRANCH_UNKNOWN = "未找到该党支部代码，或您无权在该党支部登记党员"
MSG_CHOICE = "应为以下之一：{options}"

_EDUCATION = {**{c.label: c.value for c in Education}, **{c.value: c.value for c in Education}}
_STATUS = {**{c.label: c.value for c in Status}, **{c.value: c.value for c in Status}}


def _choice(text: str, table: dict, choices) -> str:
    if text in table:
        return table[text]
    raise ValueError(MSG_CHOICE.format(options="、".join(str(c.label) for c in choices)))


def _branches(user, codes: set[str]) -> dict:
    found = org_selectors.org_queryset(user).filter(code__in=codes)
    return {o.code: o for o in found if scope.covers(user, Perm.CHANGE_MEMBER, o.path)}


def service_rows(user, sheet: Sheet, start: int = 0) -> tuple[list[dict], list[RowError]]:
    """Sheet rows from ``start`` on as member_bulk_create rows, and every error in them.

    Returns the rows only when there is no error at all (validation is all or nothing).
    """
    rows = sheet.rows[start:]
    numbers = sheet.row_numbers[start:]
    branches = _branches(user, {r["branch_code"] for r in rows})
    errors: list[RowError] = []
    converted: list[dict] = []
    converted_numbers: list[int] = []
    for number, row in zip(numbers, rows, strict=True):
        row_errors: list[RowError] = []
        out = {
            "name": row.get("name", ""),
            "id_number": row.get("id_number", "").upper(),
            "phone": row.get("phone", ""),
            "ethnicity": row.get("ethnicity", ""),
            "occupation": row.get("occupation", ""),
            "address": row.get("address", ""),
        }
        branch = branches.get(row.get("branch_code", ""))
        if branch is None:
            row_errors.append(RowError(number, HEADER["branch_code"], MSG_BRANCH_UNKNOWN))
        out["branch"] = branch
        for key, table, choices in (
            ("education", _EDUCATION, Education),
            ("status", _STATUS, Status),
        ):
            try:
                out[key] = _choice(row.get(key, ""), table, choices)
            except ValueError as exc:
                row_errors.append(RowError(number, HEADER[key], str(exc)))
        for key in ("joined_on", "full_member_on"):
            try:
                out[key] = parse_date(row.get(key, ""))
            except ValueError as exc:
                row_errors.append(RowError(number, HEADER[key], str(exc)))
        if row_errors:
            errors.extend(row_errors)
        else:
            converted.append(out)
            converted_numbers.append(number)
    for index, field_errors in services.member_bulk_validate(rows=converted).items():
        number = converted_numbers[index - 1]
        for field, message in field_errors.items():
            errors.append(RowError(number, FIELD_COLUMN.get(field, field), message))
    errors.sort(key=lambda e: e.row)
    return ([] if errors else converted), errors


def _write(user, rows: list[dict]) -> None:
    services.member_bulk_create(acting_user=user, rows=rows)


IMPORTER = Importer(
    kind=KIND,
    columns=COLUMNS,
    convert=service_rows,
    write=_write,
    audit_action="member.import",
)
