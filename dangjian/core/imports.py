"""A resumable spreadsheet import, for every register that imports Excel.

A register declares what it imports once::

    MEMBERS = Importer(
        kind="members",                # the job's key, with the file's SHA-256
        columns=COLUMNS,               # core.excel.Column: header, key, required
        convert=service_rows,          # (user, sheet, start) -> (rows, [RowError])
        write=write_batch,             # (user, rows) -> None: one batch, audited by its service
        audit_action="member.import",  # the entry recorded when the file is done
    )

and ``run_import(MEMBERS, path=..., acting_user=user)`` does the rest:

1. The file is read (``core.excel.read_sheet``: .xlsx or .csv, columns by their Chinese
   headers, bounded by ``Limits``). A file that cannot be read, lacks a required column
   or has no data row is refused with one Chinese message.
2. Every row is converted and checked **before anything is written**: ``convert`` returns
   every row's errors (row number as in Excel, column header, message). Any error →
   an .xlsx report (the failing rows plus an 错误 column), nothing written,
   ``ImportRefused`` carrying the errors and the report's path.
3. The rows are written in batches. Each batch, the write's own audit entries and the
   job's progress (``core.ImportJob``, keyed by kind and the file's SHA-256) commit in
   one transaction, so after a crash at any moment the database holds whole batches
   only, and running the same file again resumes after the last committed batch. A file
   already imported is not imported twice. The last batch also records ``audit_action``
   on the job (file digest, rows, where this run resumed).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangjian.core import audit
from dangjian.core.excel import (
    LIMITS,
    Column,
    Limits,
    RowError,
    Sheet,
    SheetError,
    read_sheet,
    sha256_of,
    write_error_report,
)
from dangjian.core.models import ImportJob

MSG_NO_ROWS = "文件中没有数据行"
MSG_INVALID = "校验未通过：{count} 处错误，未写入任何数据"
MSG_BUSY = "另一个导入进程正在处理该文件，已停止"
MSG_WRITE = "写入第{first}至{last}行时校验未通过（{message}）；此前已提交 {done} 行，未写入本批"
MSG_ROW_COUNT = "导入程序返回的行数与文件不符"

Convert = Callable[[Any, Sheet, int], tuple[list, list[RowError]]]
Write = Callable[[Any, list], object]
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class Importer:
    """What one register imports and how (see the module docstring)."""

    kind: str
    columns: Sequence[Column]
    convert: Convert
    write: Write
    audit_action: str
    limits: Limits = LIMITS


class ImportRefused(Exception):
    """The file was not imported (or not wholly): ``message`` in Chinese.

    ``errors`` are the rows at fault (empty when the file as a whole is refused);
    ``report_path`` is the error report written for them, if any.
    """

    def __init__(self, message: str, *, errors=(), report_path: Path | None = None):
        super().__init__(message)
        self.message = message
        self.errors: list[RowError] = list(errors)
        self.report_path = report_path


@dataclass(frozen=True)
class ImportResult:
    job: ImportJob
    total: int  # data rows in the file
    resumed_at: int  # rows an earlier run had already committed
    written: int  # rows this run wrote
    already_done: bool = False  # the file had been imported before: nothing to do


def default_report_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.错误报告.xlsx")


def run_import(
    importer: Importer,
    *,
    path,
    acting_user,
    batch_size: int = 500,
    report_path=None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import ``path`` as ``acting_user``: all rows checked first, then batches, resumable.

    ``progress(done, total)`` is called after each committed batch. Raises
    ``ImportRefused`` (nothing of this run written) for a file that cannot be read, has
    no data rows or has any row error, and when another process is importing the same
    file.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    path = Path(path)
    digest = sha256_of(path)
    try:
        sheet = read_sheet(path, importer.columns, limits=importer.limits)
    except SheetError as exc:
        raise ImportRefused(str(exc)) from exc
    total = len(sheet.rows)
    if not total:
        raise ImportRefused(MSG_NO_ROWS)

    job = ImportJob.objects.filter(kind=importer.kind, file_sha256=digest).first()
    if job is not None and job.state == ImportJob.State.DONE:
        return ImportResult(job=job, total=total, resumed_at=total, written=0, already_done=True)
    start = job.rows_done if job else 0

    rows, errors = importer.convert(acting_user, sheet, start)
    if errors:
        report = Path(report_path) if report_path else default_report_path(path)
        write_error_report(report, sheet, errors)
        raise ImportRefused(
            MSG_INVALID.format(count=len(errors)), errors=errors, report_path=report
        )
    if len(rows) != total - start:
        raise RuntimeError(MSG_ROW_COUNT)

    if job is None:
        job = _job_create(importer, path, digest, total, acting_user)
    done = start
    for offset in range(0, len(rows), batch_size):
        batch = rows[offset : offset + batch_size]
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update(no_key=True).get(pk=job.pk)
            if locked.rows_done != done:
                raise ImportRefused(MSG_BUSY)
            try:
                importer.write(acting_user, batch)
            except ValidationError as exc:
                first = sheet.row_numbers[done]
                last = sheet.row_numbers[done + len(batch) - 1]
                message = "；".join(exc.messages)
                raise ImportRefused(
                    MSG_WRITE.format(first=first, last=last, message=message, done=done)
                ) from exc
            done += len(batch)
            locked.rows_done = done
            if done == total:
                locked.state = ImportJob.State.DONE
                audit.record(
                    actor=acting_user,
                    action=importer.audit_action,
                    obj=locked,
                    after={"file_sha256": digest, "rows": total, "resumed_at": start},
                )
            locked.save(update_fields=["rows_done", "state", "updated_at"])
        job = locked
        if progress is not None:
            progress(done, total)
    return ImportResult(job=job, total=total, resumed_at=start, written=done - start)


def _job_create(importer: Importer, path: Path, digest: str, total: int, user) -> ImportJob:
    try:
        with transaction.atomic():
            return ImportJob.objects.create(
                kind=importer.kind,
                file_sha256=digest,
                file_name=path.name[:255],
                total_rows=total,
                acting_user=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError as exc:  # another process started the same file meanwhile
        raise ImportRefused(MSG_BUSY) from exc
