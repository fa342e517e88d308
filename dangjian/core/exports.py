"""Exports of personal data (拿不走): limited, watermarked, audited.

Every export made with :func:`export` (the member roster first; other modules reuse it):

- is **limited** by the exporter's level: ``settings.EXPORT_MAX_ROWS`` maps the level of
  the organisation where a role carrying the export permission is held (the most
  generous of the user's roles) to a row limit; superusers have none. Over the limit
  nothing is written: :class:`ExportRefused` carries a Chinese message telling the user
  to narrow the filters, and the refusal itself is audited;
- carries a **visible watermark** (who, when, 仅限工作使用): in .xlsx a banner row above
  the header and the sheet's page header and footer (so every printed page shows it); in
  CSV a first comment line. A repeated background-image watermark is not possible:
  openpyxl does not write sheet backgrounds (``<picture>``);
- is **audited** (action, filters, row count, format) in a transaction before the file
  leaves: no audit entry, no file;
- is written row by row (openpyxl write_only mode, csv) into a temporary file on disk and
  streamed from there, so a 200,000-row export never sits in memory; the database is read
  in chunks (``iterator``). The file is built before the audit transaction, so a long
  export never holds the audit chain's lock.

Cell values are neutralised against formula injection: text starting with ``= + - @``
(or a tab / carriage return) is prefixed with ``'`` so a spreadsheet shows it as text.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.scope import Perm, roles_with

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
WATERMARK = "导出人：{who} · 导出时间：{at:%Y-%m-%d %H:%M} · 仅限工作使用"
MSG_TOO_MANY = "符合条件的数据共 {count} 行，超过您可导出的上限 {limit} 行，请缩小筛选范围后再导出"
MSG_NO_EXPORT = "您没有导出该数据的权限"
MSG_BAD_FORMAT = "导出格式应为 xlsx 或 csv"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and how to read the value from a row."""

    title: str
    value: Callable[[Any], Any]
    width: int = 14


class ExportRefused(Exception):
    """The export would exceed the user's row limit; nothing was exported."""

    def __init__(self, count: int, limit: int):
        self.count, self.limit = count, limit
        self.message = MSG_TOO_MANY.format(count=count, limit=limit)
        super().__init__(self.message)


def exporter_label(user) -> str:
    """``姓名（账号）`` or just the account name."""
    name = getattr(user, "display_name", "") or ""
    username = user.get_username()
    return f"{name}（{username}）" if name and name != username else username


def watermark_text(user, at=None) -> str:
    return WATERMARK.format(who=exporter_label(user), at=timezone.localtime(at))


def export_limit(user, perm: Perm) -> int | None:
    """The most rows ``user`` may export under ``perm`` (None: no limit; 0: none at all)."""
    if user.is_superuser:
        return None
    grants = user.role_assignments.filter(
        role__in=roles_with(perm), org__dissolved_on__isnull=True
    ).select_related("org")
    limits = settings.EXPORT_MAX_ROWS
    return max((limits.get(grant.org.level, 0) for grant in grants), default=0)


def safe_cell(value):
    """Text a spreadsheet would run as a formula is shown as text instead."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def _write_xlsx(out, title: str, mark: str, columns: list[Column], rows: Iterable) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.creator = mark
    wb.properties.title = title
    ws = wb.create_sheet(title[:31])
    for index, column in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    last = get_column_letter(len(columns))
    ws.merged_cells.add(f"A1:{last}1")
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    for part in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        part.center.text = mark
    for part in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        part.center.text = mark + " · 第 &P 页 共 &N 页"
    banner = WriteOnlyCell(ws, value=mark)
    banner.font = Font(bold=True, color="C00000")
    banner.fill = PatternFill("solid", fgColor="FDECEA")
    banner.alignment = Alignment(horizontal="center")
    ws.append([banner])
    heading = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.title)
        cell.font = Font(bold=True)
        heading.append(cell)
    ws.append(heading)
    count = 0
    for row in rows:
        ws.append([safe_cell(column.value(row)) for column in columns])
        count += 1
    wb.save(out)
    return count


def _write_csv(out, mark: str, columns: list[Column], rows: Iterable) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    writer = csv.writer(text)
    text.write(f"# {mark}\r\n")
    writer.writerow([column.title for column in columns])
    count = 0
    for row in rows:
        value = [safe_cell(column.value(row)) for column in columns]
        writer.writerow(["" if v is None else v for v in value])
        count += 1
    text.flush()
    text.detach()  # keep ``out`` open for the response
    return count


def export(
    *,
    user,
    perm: Perm,
    action: str,
    queryset,
    columns: list[Column],
    title: str,
    fmt: str,
    filters: dict,
    org_path: str = "",
    ip: str | None = None,
    chunk_size: int = 2000,
) -> FileResponse:
    """Build, audit and return one export of ``queryset`` (already scoped and filtered).

    Raises :class:`ExportRefused` (after auditing the refusal) when the rows exceed the
    user's limit, and ValueError for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(MSG_BAD_FORMAT)
    now = timezone.now()
    mark = watermark_text(user, now)
    count = queryset.count()
    limit = export_limit(user, perm)
    facts = {"filters": filters, "format": fmt}
    if limit is not None and count > limit:
        with transaction.atomic():
            audit.record(
                actor=user,
                action=f"{action}_refused",
                org_path=org_path,
                after={**facts, "rows": count, "limit": limit},
                ip=ip,
            )
        raise ExportRefused(count, limit)

    out = tempfile.TemporaryFile(prefix="dangjian-export-")  # noqa: SIM115 (FileResponse closes it)
    try:
        rows = queryset.iterator(chunk_size=chunk_size)
        if fmt == "xlsx":
            written = _write_xlsx(out, title, mark, columns, rows)
        else:
            written = _write_csv(out, mark, columns, rows)
        with transaction.atomic():
            audit.record(
                actor=user,
                action=action,
                org_path=org_path,
                after={**facts, "rows": written, "watermark": mark},
                ip=ip,
            )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response = FileResponse(
        out, as_attachment=True, filename=f"{title}-{stamp}.{fmt}", content_type=FORMATS[fmt]
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Export-Rows"] = str(written)
    return response
